"""Probe scenario ``offscreen`` (one declaration: ``SCENARIO``).

Tests memory of what left the frame: the world is wider than the view; a ball rolls
out of the picture, bounces off a wall just beyond the edge -- unseen -- and must
come back at the right place and time, with its colour and size.
"""

from __future__ import annotations

import numpy as np

from vbench_lite.probes.scenarios.base import BALLS, OFFSCREEN, Scenario, colors, direction, draw
from vbench_lite.probes.scene import WORLD_WIDTH, Scene

# as occlusion: a ball must leave, stay out >= 0.2 s and come back fully for >= 0.3 s
# within 3.1 s, so speeds under ~1.5 units/s cannot (OOD-slow is 1.5-1.9) and balls are smaller
RANGES = {"speed": {"id": [(2.0, 4.0)], "ood": [(1.5, 1.9), (4.5, 6.0)]},
          "radius": {"id": [(0.45, 0.7)], "ood": [(0.3, 0.4), (0.75, 0.85)]}}


def build(rng, p, hw, duration, cond_time):
    """Fully in view through the conditioning frames, fully out of view for a while,
    fully back for at least 0.3 s before the clip ends (resampled until so)."""
    sign = direction(rng)
    for attempt in range(100):
        if attempt:  # infeasible (too slow or too big for the clip): redraw within the same split
            p = {k: draw(rng, val[p["split"]]) for k, val in RANGES.items()} | {"split": p["split"]}
        r, v = p["radius"], p["speed"]
        margin = rng.uniform(0.2, 1.0)  # units between the ball and the edge at the last conditioning frame
        x0 = WORLD_WIDTH - r - margin - v * cond_time
        t_hide = rng.uniform(0.2, 0.6)  # s fully out of view (there and back beyond the edge)
        wall = WORLD_WIDTH + 2 * r + v * t_hide / 2  # the unseen wall's inner face
        t_in = ((wall - r - x0) + (wall - WORLD_WIDTH)) / v  # fully back in view
        if x0 - r >= 0.2 and t_in + 0.3 <= duration:
            break  # (after 100 tries a very short clip keeps the last draw: it may not come back)
    y = hw / 2 + rng.uniform(-2.0, 2.0)
    bounds = (0.0, wall, 0.0, hw)
    if sign < 0:  # mirror: out on the left
        x0, bounds = WORLD_WIDTH - x0, (WORLD_WIDTH - wall, WORLD_WIDTH, 0.0, hw)
    names, col = colors(rng, 1)
    s = Scene(WORLD_WIDTH, hw, ball_pos=np.array([[x0, y]]), ball_vel=np.array([[sign * v, 0.0]]),
              ball_radius=np.array([r]), ball_color=col, walls=(True, True, False, False), bounds=bounds)
    side = "right" if sign > 0 else "left"
    p.update(wall_x=bounds[1] if sign > 0 else bounds[0], hidden_s=t_hide, color=names[0], direction=side)
    prompt = (f"A {names[0]} ball moves {side} at {v:.1f} units per second, rolls out of the picture, bounces "
              f"off a wall just out of view and comes back.")
    return s, p, prompt


SCENARIO = Scenario(
    name="offscreen", order=90,
    tests="memory off-screen: a ball leaves the frame, bounces unseen and must come back at the right place "
          "and time, with its colour and size",
    ranges=RANGES, builder=build, features=frozenset({BALLS, OFFSCREEN}), suites=("memory",), since="3",
)
