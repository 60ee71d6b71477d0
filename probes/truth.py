"""``ProbeTruth``: the exact ground truth of one probe case, and the probe protocol.

**The protocol** (the ``PROBE_*`` constants below, defined here once; import them
from ``vbench_lite.probes.world``) is the canonical geometry of the physics probes,
as in the PhyWorld setup of Kang et al. 2024 (arXiv:2411.02385): a square world
10 units across, 32 frames at 10 fps, the first 4 of them given as conditioning.
Every world is sampled for the protocol, so a case's world (objects, occluders,
parameters, prompt, trajectory) and the time from which it is scored depend only
on (suite, case id, seed) -- never on what a generator declares.

**An observation** of that world is what a ``ProbeTruth`` adds: the frame size,
frame count and fps a generator makes, and how many leading frames it is given
(``cond_frames``, the frames of ``render_cond``). These decide frame times and the
pixel scale only. A non-square frame shows the whole square world centred at
``min(height, width)`` pixels across, letter- or pillar-boxed with black bars
(``BAR_COLOR``): cropping would cut off floors, candles and tanks the scenarios
need, stretching would turn discs into ellipses. Scores read the world's square
window (``world_window``), so the bars never enter a score.

The per-frame state is computed on demand and cached; frames are rendered on
demand (never cached: a suite at 512x512 would not fit in memory).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from vbench_lite.case import PROTOCOL
from vbench_lite.errors import VideoError
from vbench_lite.probes.render import render
from vbench_lite.probes.scene import WORLD_WIDTH, Scene, Trajectory

# ---- the probe protocol (Kang et al. 2024): declared once, as vbench_lite.case.PROTOCOL ----
PROBE_FRAMES = PROTOCOL.num_frames  # 32 frames per clip
PROBE_FPS = PROTOCOL.fps  # 10 frames per second (0.1 s a frame)
PROBE_COND_FRAMES = PROTOCOL.cond_frames  # 4 leading frames the protocol gives a generator
PROBE_SIZE = PROTOCOL.height  # 64: default frame height and width, px (6.4 px per world unit); not part of the world
WORLD_HEIGHT = WORLD_WIDTH  # the world is square: 10 x 10 units
PROBE_DURATION = (PROBE_FRAMES - 1) / PROBE_FPS  # 3.1 s: time of the last frame
PROBE_COND_TIME = (PROBE_COND_FRAMES - 1) / PROBE_FPS  # 0.3 s: time of the last conditioning frame
# 0.4 s: the protocol's first generated frame. Scores look at frames from here on, at
# any fps and whatever number of frames the generator was given.
SCORE_FROM_S = PROBE_COND_FRAMES / PROBE_FPS
_TIME_EPS = 1e-9  # s: frame times are k / fps, compared with float rounding in mind

BAR_COLOR = (0, 0, 0)  # letter-/pillar-box bars of a non-square frame, RGB 0-255


@dataclass(eq=False)
class ProbeTruth:
    """One case: the world (``scene``, ``params``, ``prompt``, sampled for the protocol) and
    one observation of it (``height`` x ``width`` px, ``num_frames`` at ``fps``, the first
    ``cond_frames`` given to the generator). ``scene`` is always the square protocol world."""

    scenario: str
    split: str
    seed: int
    scene: Scene
    params: dict[str, Any]
    prompt: str
    height: int = PROBE_SIZE
    width: int = PROBE_SIZE
    num_frames: int = PROBE_FRAMES
    fps: float = PROBE_FPS
    # leading frames the generator is given (``render_cond``); changes neither the world nor the scored frames
    cond_frames: int = PROBE_COND_FRAMES
    perturbation: tuple[str, float] = ("none", 0.0)
    _traj: Trajectory | None = field(default=None, repr=False)

    @property
    def times(self) -> np.ndarray:
        """Frame times in seconds, (T,)."""
        return np.arange(self.num_frames) / self.fps

    @property
    def traj(self) -> Trajectory:
        if self._traj is None:
            self._traj = self.scene.trajectory(self.times)
        return self._traj

    @property
    def scored(self) -> np.ndarray:
        """(T,) bool: the frames scores look at, those at or after ``SCORE_FROM_S`` (0.4 s,
        the protocol's first frame after its conditioning frames)."""
        return self.times >= SCORE_FROM_S - _TIME_EPS

    @property
    def first_scored(self) -> int:
        """Index of the first scored frame (``num_frames`` when the clip ends before it)."""
        scored = self.scored
        return int(np.argmax(scored)) if scored.any() else self.num_frames

    # ---- the observation: where the square world sits in the frame ----
    @property
    def side(self) -> int:
        """Pixels across the (square) world: ``min(height, width)``."""
        return min(self.height, self.width)

    @property
    def window(self) -> tuple[slice, slice]:
        """(rows, cols) of the world's square in the frame, centred (the rest is bars)."""
        top, left = (self.height - self.side) // 2, (self.width - self.side) // 2
        return slice(top, top + self.side), slice(left, left + self.side)

    @property
    def scale(self) -> float:
        """Pixels per world unit."""
        return self.side / self.scene.width_w

    def render(self, frames: slice | None = None) -> np.ndarray:
        """The clip as uint8 (T, H, W, 3) RGB (or the frames in ``frames``)."""
        tr = self.traj
        if frames is not None:
            tr = Trajectory(*(getattr(tr, f)[frames] for f in Trajectory.__dataclass_fields__))
        square = render(self.scene, tr, self.side, self.side)  # (T, side, side, 3)
        if self.height == self.width:
            return square
        out = np.empty((square.shape[0], self.height, self.width, 3), np.uint8)
        out[:] = np.asarray(BAR_COLOR, np.uint8)
        out[(slice(None), *self.window)] = square
        return out

    def world_window(self, frames: np.ndarray) -> tuple[np.ndarray, "ProbeTruth"]:
        """The world's square of a video of this case, and this truth observed at that
        square: what the parser reads (bars never enter a score). ``frames`` (T, H, W, 3)."""
        if frames.ndim != 4 or frames.shape[1:3] != (self.height, self.width):
            raise VideoError(f"video frames have shape {frames.shape} but the probe was rendered at "
                             f"{self.height}x{self.width}; generate at the case's resolution")
        if self.height == self.width:
            return frames, self
        square = dataclasses.replace(self, height=self.side, width=self.side, _traj=self.traj)
        return frames[(slice(None), *self.window)], square

    def render_cond(self) -> np.ndarray | None:
        """The first ``cond_frames`` frames, or None when there are none."""
        k = min(self.cond_frames, self.num_frames)
        return self.render(slice(0, k)) if k > 0 else None

    # ---- visibility, from geometry (not from pixels) ----
    @cached_property
    def ball_visible(self) -> np.ndarray:
        """(T, N) bool: the whole disc is inside the frame, clear of occluders and other
        balls by one pixel (the anti-aliasing ramp), and not hidden. Scores use these frames."""
        tr, s = self.traj, self.scene
        p, r = tr.ball_pos, tr.ball_radius  # (T, N, 2), (T, N)
        px = 1.0 / self.scale  # one pixel in world units
        q = p - tr.view[:, None, :]  # (T, N, 2) in view coordinates (the camera's origin at 0)
        inside = ((q[..., 0] - r >= 0) & (q[..., 0] + r <= s.width_w)
                  & (q[..., 1] - r >= 0) & (q[..., 1] + r <= s.height_w))
        clear = np.ones_like(inside)
        for m in np.nonzero(s.rect_over)[0]:
            clear &= _box_distance(p, s.rects[m]) >= r + px  # disc does not touch the box
        gap = np.linalg.norm(p[:, :, None] - p[:, None], axis=-1) - r[:, :, None] - r[:, None]  # (T, N, N)
        gap[:, np.arange(r.shape[1]), np.arange(r.shape[1])] = np.inf
        shown = ~tr.ball_hidden
        clear &= np.all((gap >= px) | ~shown[:, None, :], axis=2)  # hidden balls do not crowd
        return inside & clear & shown

    @cached_property
    def ball_occluded(self) -> np.ndarray:
        """(T, N) bool: the whole disc is behind an occluder (in the truth it is not seen)."""
        tr, s = self.traj, self.scene
        out = np.zeros(tr.ball_radius.shape, bool)
        for m in np.nonzero(s.rect_over)[0]:
            x0, y0, x1, y1 = s.rects[m]
            p, r = tr.ball_pos, tr.ball_radius
            out |= ((p[..., 0] - r >= x0) & (p[..., 0] + r <= x1) & (p[..., 1] - r >= y0) & (p[..., 1] + r <= y1))
        return out

    @cached_property
    def ball_offscreen(self) -> np.ndarray:
        """(T, N) bool: the whole disc is outside the view (in the truth it is not seen)."""
        q = self.traj.ball_pos - self.traj.view[:, None, :]  # (T, N, 2) view coordinates
        r, s = self.traj.ball_radius, self.scene
        return ((q[..., 0] + r <= 0) | (q[..., 0] - r >= s.width_w)
                | (q[..., 1] + r <= 0) | (q[..., 1] - r >= s.height_w))

    def in_view_fraction(self, ball: int = 0) -> np.ndarray:
        """(T,) share of the disc's area inside the view: the product of the shares
        between its vertical and between its horizontal edges (circular segments;
        exact while at most one edge cuts the disc)."""
        tr, s = self.traj, self.scene
        q, r = tr.ball_pos[:, ball] - tr.view, tr.ball_radius[:, ball]  # (T, 2), (T,)
        share = np.ones_like(r)
        for axis, size in ((0, s.width_w), (1, s.height_w)):
            share *= _disc_share_below(size, q[:, axis], r) - _disc_share_below(0.0, q[:, axis], r)
        return np.clip(share, 0.0, 1.0)

    def occluder_visible_fraction(self, ball: int = 0) -> np.ndarray:
        """(T,) share of the disc's area not behind any (full-height) occluder, from the
        circular-segment area on each side of the occluder's vertical edges."""
        tr, s = self.traj, self.scene
        x, r = tr.ball_pos[:, ball, 0], tr.ball_radius[:, ball]  # (T,)

        def left_of(a):  # share of the disc with x' <= a
            u = np.clip((a - x) / r, -1.0, 1.0)
            return (np.pi - np.arccos(u) + u * np.sqrt(1 - u * u)) / np.pi

        vis = np.ones_like(x)
        for m in np.nonzero(s.rect_over)[0]:
            vis -= left_of(s.rects[m][2]) - left_of(s.rects[m][0])
        return np.clip(vis, 0.0, 1.0)

    def describe(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "split": self.split, "seed": self.seed, **self.params}


def _disc_share_below(a, c: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Share of a disc of centre coordinate ``c`` and radius ``r`` (along one axis)
    lying below ``a`` on that axis (the circular-segment area over the disc's)."""
    u = np.clip((a - c) / r, -1.0, 1.0)
    return (np.pi - np.arccos(u) + u * np.sqrt(1 - u * u)) / np.pi


def _box_distance(p: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Distance from points (..., 2) to an axis-aligned box [x0, y0, x1, y1] (0 inside)."""
    dx = np.maximum(np.maximum(box[0] - p[..., 0], p[..., 0] - box[2]), 0.0)
    dy = np.maximum(np.maximum(box[1] - p[..., 1], p[..., 1] - box[3]), 0.0)
    return np.hypot(dx, dy)
