"""Probe scenario ``uniform_motion`` (one declaration: ``SCENARIO``).

Tests constant velocity: a ball slides in a straight line (inertia).
"""

from __future__ import annotations

import math

import numpy as np

from vbench_lite.probes.scenarios.base import BALLS, RADIUS, SPEED, Scenario, colors, direction
from vbench_lite.probes.scene import WORLD_WIDTH, Scene

def build(rng, p, hw, duration, cond_time):
    r, v, sign = p["radius"], p["speed"], direction(rng)
    ang = math.radians(rng.uniform(-10, 10))
    x0 = r + 0.3 if sign > 0 else WORLD_WIDTH - r - 0.3
    y0 = hw / 2 + rng.uniform(-1.0, 1.0)
    names, col = colors(rng, 1)
    s = Scene(WORLD_WIDTH, hw, ball_pos=np.array([[x0, y0]]),
              ball_vel=np.array([[sign * v * math.cos(ang), v * math.sin(ang)]]),
              ball_radius=np.array([r]), ball_color=col)
    p.update(angle_deg=math.degrees(ang), direction="right" if sign > 0 else "left", color=names[0])
    prompt = (f"A {names[0]} ball of radius {r:.1f} slides to the {p['direction']} at a constant "
              f"{v:.1f} units per second on a dark background.")
    return s, p, prompt


SCENARIO = Scenario(
    name="uniform_motion", order=10, tests="constant velocity: a ball slides in a straight line (inertia)",
    ranges={"speed": SPEED, "radius": RADIUS}, builder=build, features=frozenset({BALLS}),
)
