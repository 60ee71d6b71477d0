"""Probe scenario ``occlusion`` (one declaration: ``SCENARIO``).

Tests object permanence: a ball passes behind a wall and must come out at the right
place and time.
"""

from __future__ import annotations

import numpy as np

from vbench_lite.probes.scenarios.base import BALLS, OCCLUDER, OCCLUDER_COLOR, Scenario, colors, direction, draw
from vbench_lite.probes.scene import WORLD_WIDTH, Scene

# a hidden ball must pass a wider-than-it occluder and re-emerge within 3.2 s in
# 10 units: slower than 1.4 units/s cannot, so OOD-slow is 1.0-1.4 and balls are smaller
RANGES = {"speed": {"id": [(1.5, 4.0)], "ood": [(1.0, 1.4), (4.5, 6.0)]},
          "radius": {"id": [(0.45, 0.7)], "ood": [(0.3, 0.4), (0.75, 0.85)]}}


def build(rng, p, hw, duration, cond_time):
    """The ball is fully visible in the conditioning frames, fully hidden for a while,
    and fully visible again for at least 0.3 s before the clip ends (resampled until so)."""
    sign = direction(rng)
    for attempt in range(100):
        if attempt:  # infeasible (too slow for the clip length): redraw within the same split
            p = {k: draw(rng, val[p["split"]]) for k, val in RANGES.items()} | {"split": p["split"]}
        r, v = p["radius"], p["speed"]
        x0 = r + 0.2
        t_hide = rng.uniform(0.2, 0.6)  # seconds fully hidden
        x_left = x0 + v * cond_time + r + rng.uniform(0.35, 0.9)  # occluder left edge (clear by > 1 px at 32x32)
        width = 2 * r + v * t_hide
        t_out = (x_left + width + r - x0) / v  # fully out again
        if t_out + 0.3 <= duration and x_left + width + 2 * r + 0.3 * v <= WORLD_WIDTH:
            break  # (after 100 tries a very short clip keeps the last draw: it may not re-emerge)
    y = hw / 2 + rng.uniform(-1.0, 1.0)
    x_right = x_left + width
    if sign < 0:  # mirror the layout
        x0, x_left, x_right = WORLD_WIDTH - x0, WORLD_WIDTH - x_right, WORLD_WIDTH - x_left
    names, col = colors(rng, 1)
    occ = np.array([[x_left, y - r - 1.5, x_right, y + r + 1.5]])
    s = Scene(WORLD_WIDTH, hw, ball_pos=np.array([[x0, y]]), ball_vel=np.array([[sign * v, 0.0]]),
              ball_radius=np.array([r]), ball_color=col, rects=occ,
              rect_color=np.array([OCCLUDER_COLOR], float), rect_over=np.array([True]))
    p.update(occluder_x0=x_left, occluder_x1=x_right, hidden_s=t_hide, color=names[0],
             direction="right" if sign > 0 else "left")
    prompt = (f"A {names[0]} ball moves {p['direction']} at {v:.1f} units per second, passes behind a grey "
              f"wall and comes out on the other side.")
    return s, p, prompt


SCENARIO = Scenario(
    name="occlusion", order=50, tests="object permanence: a ball passes behind a wall and must come out at the right place and time",
    ranges=RANGES, builder=build, features=frozenset({BALLS, OCCLUDER}),
)
