"""Probe scenario ``count`` (one declaration: ``SCENARIO``).

Tests conservation of number: balls bouncing in a box never appear or vanish.
"""

from __future__ import annotations

import numpy as np

from vbench_lite.probes.scenarios.base import AREA, BALLS, COUNT, SPEED, Scenario, colors, draw
from vbench_lite.probes.scene import WORLD_WIDTH, Scene

RANGES = {"speed": SPEED, "radius": {"id": [(0.5, 0.9)], "ood": [(0.3, 0.45)]},
          "num_balls": {"id": [(2, 4)], "ood": [(5, 6)]}}


def build(rng, p, hw, duration, cond_time):
    n, v = int(p["num_balls"]), p["speed"]
    radii = np.array([p["radius"]] + [draw(rng, RANGES["radius"][p["split"]])
                                      for _ in range(n - 1)])
    pos = np.zeros((n, 2))
    for i in range(n):  # rejection-sample non-overlapping starts
        for _ in range(500):
            c = np.array([rng.uniform(radii[i] + 0.1, WORLD_WIDTH - radii[i] - 0.1),
                          rng.uniform(radii[i] + 0.1, hw - radii[i] - 0.1)])
            if all(np.linalg.norm(c - pos[j]) > radii[i] + radii[j] + 0.2 for j in range(i)):
                break
        pos[i] = c
    ang = rng.uniform(0, 2 * np.pi, n)
    vel = v * np.stack([np.cos(ang), np.sin(ang)], 1)  # (N, 2)
    names, col = colors(rng, n)
    s = Scene(WORLD_WIDTH, hw, ball_pos=pos, ball_vel=vel, ball_radius=radii, ball_color=col,
              walls=(True, True, True, True))
    p.update(radii=radii.tolist(), colors=names)
    prompt = (f"{n} balls ({', '.join(names)}) move at {v:.1f} units per second and bounce off the walls "
              f"and each other inside a box; there are always exactly {n} balls.")
    return s, p, prompt


SCENARIO = Scenario(
    name="count", order=60, tests="conservation of number: balls bouncing in a box never appear or vanish",
    ranges=RANGES, builder=build, features=frozenset({BALLS, COUNT, AREA}), integer=frozenset({"num_balls"}),
)
