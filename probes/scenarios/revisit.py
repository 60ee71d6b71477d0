"""Probe scenario ``revisit`` (one declaration: ``SCENARIO``).

Tests memory of a place: the world is twice as wide as the view; the camera pans
away from a row of static landmarks and back, while two balls keep moving (and
bouncing off the world's end walls). On return the landmarks must look as they did
on the first visit and the balls must be where physics put them.
"""

from __future__ import annotations

import numpy as np

from vbench_lite.probes.scenarios.base import (
    BALLS, LANDMARK_COLORS, RADIUS, REVISIT, SPEED, Scenario, colors, direction, draw,
)
from vbench_lite.probes.scene import WORLD_WIDTH, Scene

WORLD_SPAN = 2 * WORLD_WIDTH  # world units across; the view is WORLD_WIDTH wide
LANE_FLOOR = 3.6  # balls move above this height, landmarks stand >= 1 unit below it (3 px clear at 32x32)
LANE_GAP = 1.0  # units between the two balls' lanes: the parser's soft masks (3 px) never reach across
AWAY_AT = 0.5  # s: the pan starts after the first generated frames (0.4, 0.5 s: part of the first visit)
PAN_S = 0.6  # s each way
MIN_BACK_S = 0.6  # s of the clip with the camera back where it started


def _landmarks(rng) -> tuple[np.ndarray, np.ndarray]:
    """Static boxes standing on the ground along the whole world: (M, 4) and colours (M, 3)."""
    boxes, x = [], rng.uniform(0.3, 1.0)
    while True:
        w = rng.uniform(1.0, 2.5)
        if x + w > WORLD_SPAN - 0.3:
            break
        boxes.append([x, 0.4, x + w, 0.4 + rng.uniform(1.0, LANE_FLOOR - 1.4)])
        x += w + rng.uniform(0.6, 1.8)
    cols = [LANDMARK_COLORS[i] for i in rng.permutation(len(boxes)) % len(LANDMARK_COLORS)]
    return np.array(boxes), np.array(cols, float)


def build(rng, p, hw, duration, cond_time):
    """The balls are fully in view in the conditioning frames and at least one of them
    is fully in view in 3 or more frames after the camera is back (redrawn until so)."""
    boxes, box_cols = _landmarks(rng)
    for attempt in range(100):
        if attempt:
            p = {k: draw(rng, val[p["split"]]) for k, val in RANGES.items()} | {"split": p["split"]}
        r1, v1 = p["radius"], p["speed"]
        r2 = min(max(0.35, r1 * rng.uniform(0.5, 0.8)), (hw - LANE_FLOOR - LANE_GAP - 0.2) / 2 - r1)
        y1 = LANE_FLOOR + r1 + 0.1
        y2 = rng.uniform(y1 + r1 + r2 + LANE_GAP, hw - r2 - 0.1)  # the upper lane: the balls never meet
        v = np.array([[direction(rng) * v1, 0.0], [direction(rng) * v1 * rng.uniform(0.5, 1.0), 0.0]])
        x = np.array([rng.uniform(r + 0.2 + max(-vx, 0) * cond_time, WORLD_WIDTH - r - 0.2 - max(vx, 0) * cond_time)
                      for r, vx in zip((r1, r2), v[:, 0])])
        pan = rng.uniform(6.0, WORLD_WIDTH)  # units the camera moves away
        hold = rng.uniform(0.2, duration - AWAY_AT - 2 * PAN_S - MIN_BACK_S)
        back = AWAY_AT + 2 * PAN_S + hold  # s: the camera is back at its start
        camera = np.array([[0.0, 0.0, 0.0], [AWAY_AT, 0.0, 0.0], [AWAY_AT + PAN_S, pan, 0.0],
                           [AWAY_AT + PAN_S + hold, pan, 0.0], [back, 0.0, 0.0]])
        names, col = colors(rng, 2)
        s = Scene(WORLD_WIDTH, hw, ball_pos=np.stack([x, [y1, y2]], 1), ball_vel=v, ball_radius=np.array([r1, r2]),
                  ball_color=col, walls=(True, True, False, False), bounds=(0.0, WORLD_SPAN, 0.0, hw),
                  rects=boxes, rect_color=box_cols, rect_over=np.zeros(len(boxes), bool), camera=camera)
        t = np.arange(back, duration + 1e-9, 0.1)  # the protocol's frame times once back
        tr = s.trajectory(t)
        q, rr = tr.ball_pos[..., 0], tr.ball_radius  # the view is back at x = 0
        if ((q - rr >= 0) & (q + rr <= WORLD_WIDTH)).any(1).sum() >= 3:
            break
    p.update(radius_b=r2, speed_b=float(abs(v[1, 0])), pan=pan, away_s=AWAY_AT, back_s=back, colors=names,
             landmarks=len(boxes))
    prompt = (f"The camera pans {pan:.0f} units to the right over a row of coloured blocks and back, while a "
              f"{names[0]} ball and a {names[1]} ball keep rolling between the end walls.")
    return s, p, prompt


RANGES = {"speed": SPEED, "radius": RADIUS}

SCENARIO = Scenario(
    name="revisit", order=100,
    tests="memory of a place: the camera pans away and back; the static scene must be as on the first visit "
          "and the moving balls where physics put them",
    ranges=RANGES, builder=build, features=frozenset({BALLS, REVISIT}), suites=("memory",), since="3",
)
