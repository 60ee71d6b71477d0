"""Probe scenario ``long_rollout`` (one declaration: ``SCENARIO``).

Tests how errors pile up over a long rollout: two balls bounce elastically around a
closed box (no gravity) for four protocol clips (12.4 s: 125 frames at 10 fps) --
long enough that a windowed generator chains many windows (the reference DiT's
16-frame windows with 4 frames of overlap: 11). Every ball state is exact, so the
per-frame errors say where, and at which seams, the rollout drifts.
"""

from __future__ import annotations

import math

import numpy as np

from vbench_lite.probes.scenarios.base import BALLS, COUNT, ENERGY, RADIUS, ROLLOUT, SPEED, Scenario, colors
from vbench_lite.probes.scene import WORLD_WIDTH, Scene

CLIPS = 4  # protocol clips: 4 x 31 + 1 = 125 frames at the protocol's 32 per clip


def build(rng, p, hw, duration, cond_time):
    r1, v1 = p["radius"], p["speed"]
    r2 = max(0.35, r1 * rng.uniform(0.55, 0.8))
    radii = np.array([r1, r2])
    for _ in range(100):  # two non-overlapping starting places
        pos = np.array([[rng.uniform(r + 0.3, WORLD_WIDTH - r - 0.3), rng.uniform(r + 0.3, hw - r - 0.3)]
                        for r in radii])
        if np.linalg.norm(pos[0] - pos[1]) > r1 + r2 + 0.5:
            break
    speeds = np.array([v1, v1 * rng.uniform(0.5, 1.0)])
    ang = rng.uniform(0, 2 * math.pi, size=2)
    vel = speeds[:, None] * np.stack([np.cos(ang), np.sin(ang)], 1)
    names, col = colors(rng, 2)
    s = Scene(WORLD_WIDTH, hw, ball_pos=pos, ball_vel=vel, ball_radius=radii, ball_color=col,
              walls=(True, True, True, True))
    p.update(radius_b=r2, speed_b=float(speeds[1]), colors=names, seconds=duration)
    prompt = (f"A {names[0]} ball and a {names[1]} ball bounce around a closed box without gravity for "
              f"{duration:.0f} seconds, the {names[0]} one starting at {v1:.1f} units per second.")
    return s, p, prompt


SCENARIO = Scenario(
    name="long_rollout", order=110,
    tests="error growth over a long rollout: two balls bounce in a closed box for 125 frames, errors "
          "followed window by window",
    ranges={"speed": SPEED, "radius": RADIUS}, builder=build, features=frozenset({BALLS, COUNT, ENERGY, ROLLOUT}),
    suites=("memory",), since="3", length=CLIPS,
)
