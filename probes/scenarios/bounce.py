"""Probe scenario ``bounce`` (one declaration: ``SCENARIO``).

Tests a ball bouncing elastically off the floor and walls under gravity.
"""

from __future__ import annotations

import math

import numpy as np

from vbench_lite.probes.scenarios.base import BALLS, GRAVITY, RADIUS, SPEED, Scenario, colors
from vbench_lite.probes.scene import WORLD_WIDTH, Scene

def build(rng, p, hw, duration, cond_time):
    r, v = p["radius"], p["speed"]
    ang = rng.uniform(0, 2 * math.pi)
    x0, y0 = rng.uniform(r + 0.5, WORLD_WIDTH - r - 0.5), rng.uniform(hw / 2, hw - r - 0.5)
    names, col = colors(rng, 1)
    s = Scene(WORLD_WIDTH, hw, ball_pos=np.array([[x0, y0]]),
              ball_vel=np.array([[v * math.cos(ang), v * math.sin(ang)]]), ball_radius=np.array([r]),
              ball_color=col, gravity=GRAVITY, walls=(True, True, True, True))
    p.update(angle_deg=math.degrees(ang), gravity=GRAVITY, color=names[0])
    prompt = (f"A {names[0]} ball bounces elastically off the floor and walls of a box under gravity, "
              f"starting at {v:.1f} units per second.")
    return s, p, prompt


SCENARIO = Scenario(
    name="bounce", order=40, tests="a ball bouncing elastically off the floor and walls under gravity",
    ranges={"speed": SPEED, "radius": RADIUS}, builder=build, features=frozenset({BALLS}),
)
