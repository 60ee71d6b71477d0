"""Probe scenario ``candle`` (one declaration: ``SCENARIO``).

Tests monotone change: a candle burns down steadily.
"""

from __future__ import annotations

import numpy as np

from vbench_lite.probes.scenarios.base import CANDLE_COLOR, LEVELS, Scenario
from vbench_lite.probes.scene import WORLD_WIDTH, Scene

# level rates: the whole change must fit in a ~9-unit-tall frame over 3.2 s
RANGES = {"speed": {"id": [(0.5, 2.0)], "ood": [(0.1, 0.4), (2.2, 2.6)]},
          "width": {"id": [(0.8, 1.6)], "ood": [(0.4, 0.7), (1.8, 2.4)]}}


def build(rng, p, hw, duration, cond_time):
    rate, w = p["speed"], p["width"]
    base = 1.0
    h0 = min(rate * duration + rng.uniform(0.5, 1.5), hw - base - 0.5)
    xc = WORLD_WIDTH / 2 + rng.uniform(-2.0, 2.0)
    s = Scene(WORLD_WIDTH, hw, level0=np.array([h0]), level_rate=np.array([-rate]),
              level_min=np.array([0.2]), level_max=np.array([hw]), level_x0=np.array([xc - w / 2]),
              level_x1=np.array([xc + w / 2]), level_base=np.array([base]),
              level_color=np.array([CANDLE_COLOR], float))
    p.update(height0=h0, x_center=xc)
    prompt = (f"A candle {w:.1f} units wide and {h0:.1f} units tall burns down steadily, getting shorter by "
              f"{rate:.1f} units per second.")
    return s, p, prompt


SCENARIO = Scenario(
    name="candle", order=70, tests="monotone change: a candle burns down steadily",
    ranges=RANGES, builder=build, features=frozenset({LEVELS}),
)
