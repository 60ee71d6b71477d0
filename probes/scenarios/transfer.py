"""Probe scenario ``transfer`` (one declaration: ``SCENARIO``).

Tests conservation of amount: liquid flows from one tank to another, none is lost.
"""

from __future__ import annotations

import numpy as np

from vbench_lite.probes.scenarios.base import CONTAINER_COLOR, LEVEL_TOTAL, LEVELS, LIQUID_COLOR, Scenario
from vbench_lite.probes.scene import WORLD_WIDTH, Scene

# level rates: the whole change must fit in a ~9-unit-tall frame over 3.2 s
RANGES = {"speed": {"id": [(0.5, 1.5)], "ood": [(0.1, 0.3), (1.7, 2.0)]}}


def build(rng, p, hw, duration, cond_time):
    q = p["speed"]
    base, depth = 1.5, min(6.0, hw - 2.5)
    left0 = min(q * duration + rng.uniform(0.3, 1.0), depth - 0.2)
    right0 = rng.uniform(0.2, 0.8)
    cont = np.array([[1.5, base, 4.0, base + depth], [6.0, base, 8.5, base + depth]])  # liquid columns
    wall = 0.25  # tank walls and floor around the liquid, so every liquid edge sits on tank colour
    tanks = cont + np.array([-wall, -wall, wall, 0.0])
    s = Scene(WORLD_WIDTH, hw, rects=tanks, rect_color=np.array([CONTAINER_COLOR] * 2, float),
              rect_over=np.array([False, False]), level0=np.array([left0, right0]),
              level_rate=np.array([-q, q]), level_min=np.array([0.05, 0.05]),
              level_max=np.array([depth, depth]), level_x0=cont[:, 0], level_x1=cont[:, 2],
              level_base=cont[:, 1], level_color=np.array([LIQUID_COLOR] * 2, float))
    p.update(level_left0=left0, level_right0=right0, depth=depth)
    prompt = (f"Blue liquid flows from the left tank into the right tank at {q:.1f} units of level per "
              f"second; the total amount of liquid stays the same.")
    return s, p, prompt


SCENARIO = Scenario(
    name="transfer", order=80, tests="conservation of amount: liquid flows from one tank to another, none is lost",
    ranges=RANGES, builder=build, features=frozenset({LEVELS, LEVEL_TOTAL}),
)
