"""Probe scenario ``parabola`` (one declaration: ``SCENARIO``).

Tests projectile motion: a thrown ball follows a parabola under gravity.
"""

from __future__ import annotations

import math

import numpy as np

from vbench_lite.probes.scenarios.base import BALLS, GRAVITY, RADIUS, SPEED, Scenario, colors, direction
from vbench_lite.probes.scene import WORLD_WIDTH, Scene

def build(rng, p, hw, duration, cond_time):
    r, v, sign = p["radius"], p["speed"], direction(rng)
    ang = math.radians(rng.uniform(30, 60))
    x0 = r + 0.3 if sign > 0 else WORLD_WIDTH - r - 0.3
    y0 = rng.uniform(2.0, 4.0)
    names, col = colors(rng, 1)
    s = Scene(WORLD_WIDTH, hw, ball_pos=np.array([[x0, y0]]),
              ball_vel=np.array([[sign * v * math.cos(ang), v * math.sin(ang)]]),
              ball_radius=np.array([r]), ball_color=col, gravity=GRAVITY)
    p.update(angle_deg=math.degrees(ang), gravity=GRAVITY, color=names[0])
    prompt = (f"A {names[0]} ball is thrown at {v:.1f} units per second, {math.degrees(ang):.0f} degrees "
              f"above horizontal, and falls under gravity on a dark background.")
    return s, p, prompt


SCENARIO = Scenario(
    name="parabola", order=20, tests="projectile motion: a thrown ball follows a parabola under gravity",
    ranges={"speed": SPEED, "radius": RADIUS}, builder=build, features=frozenset({BALLS}),
)
