"""Probe scenario ``collision`` (one declaration: ``SCENARIO``).

Tests an elastic two-ball collision: momentum and energy are conserved.
"""

from __future__ import annotations

import numpy as np

from vbench_lite.probes.scenarios.base import AREA, BALLS, COUNT, ENERGY, MOMENTUM, RADIUS, SPEED, Scenario, colors
from vbench_lite.probes.scene import WORLD_WIDTH, Scene

def build(rng, p, hw, duration, cond_time):
    r_a = p["radius"]
    r_b = max(0.35, r_a * rng.uniform(0.55, 0.8))
    if rng.random() < 0.5:  # the moving ball is the bigger or the smaller one
        r_a, r_b = r_b, r_a
    v = p["speed"]
    u = v * rng.uniform(0.0, 0.5)  # the target ball drifts towards the striker
    y = hw / 2
    xa, xb = r_a + 0.3, rng.uniform(5.5, 7.0)
    names, col = colors(rng, 2)
    s = Scene(WORLD_WIDTH, hw, ball_pos=np.array([[xa, y], [xb, y]]),
              ball_vel=np.array([[v, 0.0], [-u, 0.0]]), ball_radius=np.array([r_a, r_b]), ball_color=col)
    p.update(radius_b=r_b, radius_a=r_a, speed_b=u, colors=names)
    prompt = (f"A {names[0]} ball of radius {r_a:.1f} moving right at {v:.1f} units per second hits a "
              f"{names[1]} ball of radius {r_b:.1f} in a perfectly elastic collision.")
    return s, p, prompt


SCENARIO = Scenario(
    name="collision", order=30, tests="an elastic two-ball collision: momentum and energy are conserved",
    ranges={"speed": SPEED, "radius": RADIUS}, builder=build, features=frozenset({BALLS, COUNT, AREA, MOMENTUM, ENERGY}),
)
