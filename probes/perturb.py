"""Controlled physical errors applied to a probe's ground truth.

Each perturbation re-simulates or edits the trajectory *after the conditioning
frames* (so the conditioning part stays exact) and grows with ``strength``
(0 = the exact truth). They are how tests prove each physics score moves the
right way, and what the ``simulator`` generator offers as settings.

- ``speed``: time runs ``1 + strength`` times faster after the last conditioning
  frame, so every velocity (and a level's rate) is scaled by ``1 + strength``; the
  camera (``Scene.camera``) is not physics and keeps the clock's time.
- ``vanish``: the main ball disappears for the last ``strength`` fraction of the
  frames after conditioning; where it passes an occluder (feature ``occluder``) or
  leaves the view (``offscreen``) it stays hidden after it for a ``strength``
  fraction of the frames after its true re-emergence (1 = it never comes back). Level scenarios: the change stops (candle
  stops burning, flow stops) for the last ``strength`` fraction.
- ``recolor``: ball colours drift linearly to ``c + 0.35 * strength * (c' - c)``
  at the last frame, ``c'`` the colour with its channels rotated (R,G,B -> G,B,R).
- ``resize``: ball radii grow linearly to ``(1 + 0.5 * strength) r`` at the last frame.
- ``drop``: the last ball is removed for the last ``strength`` fraction of frames
  after conditioning; where the levels' total is conserved (feature ``level_total``)
  the receiving level gets only ``1 - strength`` of the inflow after conditioning
  (liquid is lost).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from vbench_lite.errors import UserError
from vbench_lite.probes.scenarios import LEVEL_TOTAL, OCCLUDER, OFFSCREEN, features
from vbench_lite.probes.truth import ProbeTruth

PERTURBATIONS = ("none", "speed", "vanish", "recolor", "resize", "drop")
RECOLOR_GAIN = 0.35  # keeps a drifted colour nearest to its own palette entry
RESIZE_GAIN = 0.5


def perturb(truth: ProbeTruth, kind: str, strength: float) -> ProbeTruth:
    """A copy of ``truth`` whose trajectory carries the error ``kind`` at ``strength`` >= 0."""
    if kind not in PERTURBATIONS:
        raise UserError(f"unknown perturbation {kind!r}; choose one of {', '.join(PERTURBATIONS)}")
    strength = float(strength)
    if not np.isfinite(strength) or strength < 0:
        raise UserError(f"perturbation strength must be a finite number >= 0, got {strength}")
    if kind in ("vanish", "drop") and strength > 1:
        raise UserError(f"{kind} strength is a fraction of the clip; use 0..1, got {strength}")
    out = dataclasses.replace(truth, perturbation=(kind, strength), _traj=None)
    if kind == "none" or strength == 0:
        return out
    times = truth.times  # (T,)
    t_c = times[min(max(truth.cond_frames - 1, 0), len(times) - 1)]
    frac = np.clip((times - t_c) / max(times[-1] - t_c, 1e-9), 0.0, 1.0)  # (T,) 0 -> 1 after cond
    if kind == "speed":
        warped = np.where(times > t_c, t_c + (1 + strength) * (times - t_c), times)
        tr = truth.scene.trajectory(warped)
        tr.ball_vel[times > t_c] *= 1 + strength
        tr.times, tr.view = times, truth.traj.view
        out._traj = tr
        return out
    tr = dataclasses.replace(truth.traj)
    tr.ball_hidden, tr.ball_color = truth.traj.ball_hidden.copy(), truth.traj.ball_color.copy()
    tr.ball_radius, tr.levels = truth.traj.ball_radius.copy(), truth.traj.levels.copy()
    late = frac > 1 - strength  # (T,) the last `strength` fraction after conditioning
    n = tr.ball_radius.shape[1]
    feats = features(truth.scenario)
    conserved_total = LEVEL_TOTAL in feats
    if kind == "vanish" and n:
        if feats & {OCCLUDER, OFFSCREEN}:
            tr.ball_hidden[:, 0] = _hidden_after_unseen(truth, strength, offscreen=OFFSCREEN in feats)
        else:
            tr.ball_hidden[late, 0] = True
    elif kind in ("vanish", "drop") and tr.levels.shape[1] and not (kind == "drop" and conserved_total):
        t_freeze = times[late][0] if late.any() else times[-1]
        tr.levels = truth.scene.levels_at(np.minimum(times, t_freeze))
    elif kind == "drop" and conserved_total:
        gain = tr.levels[:, 1] - np.interp(t_c, times, tr.levels[:, 1])  # (T,) inflow since conditioning
        tr.levels[:, 1] -= strength * np.where(times > t_c, gain, 0.0)
    elif kind == "drop" and n:
        tr.ball_hidden[late, n - 1] = True
    elif kind == "recolor" and n:
        c = tr.ball_color  # (T, N, 3)
        target = np.roll(c, -1, axis=-1)  # (R, G, B) -> (G, B, R)
        tr.ball_color = c + (RECOLOR_GAIN * strength * frac)[:, None, None] * (target - c)
    elif kind == "resize" and n:
        tr.ball_radius = tr.ball_radius * (1 + RESIZE_GAIN * strength * frac)[:, None]
    out._traj = tr
    return out


def _hidden_after_unseen(truth: ProbeTruth, strength: float, offscreen: bool) -> np.ndarray:
    """(T,) bool: hidden from the first fully occluded (or, ``offscreen``, fully out of
    view) frame until a ``strength`` fraction of the remaining frames after the true
    re-emergence has passed."""
    occ = (truth.ball_offscreen if offscreen else truth.ball_occluded)[:, 0]
    t_n = occ.shape[0]
    hidden = np.zeros(t_n, bool)
    if not occ.any():
        return hidden
    first = int(np.argmax(occ))
    vis_after = np.nonzero(truth.ball_visible[first:, 0])[0]
    emerge = first + int(vis_after[0]) if vis_after.size else t_n
    back = emerge + int(np.ceil(strength * (t_n - emerge)))
    hidden[first:back] = True
    return hidden
