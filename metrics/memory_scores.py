"""World-model memory scores as pure functions of (parse, truth[, frames]).

Where the camera comes back (``revisit``) and how errors grow over a long rollout
(``rollout``). Off-screen re-entry is ``physics_scores.permanence`` (the same
question as an occluder: is the ball back at the right place and time, as itself).

Frames: the video's world window (``ProbeTruth.world_window``), uint8 (T, H, W, 3).
Units: positions in world units, pixel errors as mean absolute difference per colour
channel in RGB 0-255 (0 = identical, 255 = black against white), times in s.
"""

from __future__ import annotations

import warnings

import numpy as np

BALL_MARGIN_PX = 3  # ball masks grow by the parser's soft-mask margin (probes.parse.GROW_PX): AA ramp + blur


def revisit_frames(truth) -> tuple[np.ndarray, np.ndarray]:
    """(first, back), each (T,) bool: frames of the first visit (the camera where it
    started, before it first moves) and scored frames after it is back there for good."""
    view = truth.traj.view  # (T, 2)
    home = np.all(view == view[:1], axis=1)  # (T,)
    if home.all():
        raise ValueError("the camera never moves away in this case")
    away = np.nonzero(~home)[0]
    first = home.copy()
    first[away[0]:] = False
    back = home.copy()
    back[:away[-1] + 1] = False
    back &= truth.scored
    if not back.any():
        raise ValueError("the camera does not come back within this clip")
    return first, back


def _ball_mask(truth, parse, t: int) -> np.ndarray:
    """(H, W) bool: pixels of frame ``t`` near a ball, where the truth puts one or the
    parse found one (so a misplaced ball is not counted as a changed static scene)."""
    h, w, scale = truth.height, truth.width, truth.scale
    view = truth.traj.view[t]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64) + 0.5  # pixel centres
    mask = np.zeros((h, w), bool)
    centres = list(zip(truth.traj.ball_pos[t], truth.traj.ball_radius[t]))
    centres += [(p, max(r, rt)) for p, r, rt, f in zip(parse.ball_pos[t], parse.ball_radius[t],
                                                       truth.traj.ball_radius[t], parse.ball_found[t]) if f]
    for (x, y), r in centres:
        cx, cy = (x - view[0]) * scale, (truth.scene.height_w - (y - view[1])) * scale
        mask |= np.hypot(xx - cx, yy - cy) <= r * scale + BALL_MARGIN_PX
    return mask


def revisit(parse, truth, frames: np.ndarray, truth_frames: np.ndarray) -> dict[str, float]:
    """The scene on return, against the first visit and against the truth.

    ``revisit_static_error``: mean |frame - first visit| over the static pixels of the
    frames after the camera is back (RGB 0-255), the first visit being the per-pixel
    median of the video's own first-visit frames (balls masked out): a generator that
    remembers the place scores 0 whatever its rendering style.
    ``revisit_static_truth_error``: the same pixels against the true render.
    ``revisit_position_error``: mean |p - p_true| (world units) of the balls in those
    frames, truly in view and found. ``revisit_balls_found``: share of (frame, ball)
    pairs truly in view there in which the ball is found at all (a forgotten ball
    has no position error; it shows here).
    Static pixels: away from every ball the truth places or the parse finds
    (``BALL_MARGIN_PX`` beyond its radius)."""
    first, back = revisit_frames(truth)
    f = frames.astype(np.float32)  # (T, H, W, 3)
    visits = f[first].copy()  # (F, H, W, 3)
    for k, t in enumerate(np.nonzero(first)[0]):
        visits[k][_ball_mask(truth, parse, t)] = np.nan
    with warnings.catch_warnings():  # a pixel a ball covered in every first frame has no reference: left out
        warnings.filterwarnings("ignore", message="All-NaN slice")
        ref = np.nanmedian(visits, axis=0)  # (H, W, 3)
    known = np.isfinite(ref).all(-1)  # (H, W)
    own, true = [], []
    for t in np.nonzero(back)[0]:
        static = ~_ball_mask(truth, parse, t)
        m = static & known
        if m.any():
            own.append(float(np.abs(f[t][m] - ref[m]).mean()))
        if static.any():
            true.append(float(np.abs(f[t][static] - truth_frames[t][static].astype(np.float32)).mean()))
    vis = truth.ball_visible & back[:, None]  # (T, N)
    err = np.linalg.norm(parse.ball_pos - truth.traj.ball_pos, axis=-1)[vis & parse.ball_found]
    return {"revisit_static_error": float(np.mean(own)) if own else float("nan"),
            "revisit_static_truth_error": float(np.mean(true)) if true else float("nan"),
            "revisit_position_error": float(np.mean(err)) if err.size else float("nan"),
            "revisit_balls_found": float(parse.ball_found[vis].mean()) if vis.any() else float("nan")}


def error_growth(timeline: np.ndarray, truth) -> float:
    """Least-squares slope of a per-frame error timeline (T,) against time over the
    scored frames that have a value: how fast the error grows (its units per second;
    0 for an error that does not grow, negative for one that shrinks). NaN with fewer
    than 2 such frames."""
    ok = np.isfinite(timeline) & truth.scored
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(truth.times[ok], timeline[ok], 1)[0])

