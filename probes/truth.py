"""``ProbeTruth``: the exact ground truth of one probe case.

It holds the scene, the sampled parameters and the clip geometry (frame size,
count, fps, conditioning frames); the per-frame state is computed on demand and
cached, frames are rendered on demand (never cached: a suite at 512x512 would not
fit in memory).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from vbench_lite.probes.render import pixels_per_unit, render
from vbench_lite.probes.scene import Scene, Trajectory


@dataclass(eq=False)
class ProbeTruth:
    scenario: str
    split: str
    seed: int
    scene: Scene
    params: dict[str, Any]
    prompt: str
    height: int = 64
    width: int = 64
    num_frames: int = 32
    fps: float = 10.0
    cond_frames: int = 4
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
    def scale(self) -> float:
        """Pixels per world unit."""
        return pixels_per_unit(self.scene, self.width)

    def render(self, frames: slice | None = None) -> np.ndarray:
        """The clip as uint8 (T, H, W, 3) RGB (or the frames in ``frames``)."""
        tr = self.traj
        if frames is not None:
            tr = Trajectory(*(getattr(tr, f)[frames] for f in Trajectory.__dataclass_fields__))
        return render(self.scene, tr, self.height, self.width)

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
        inside = ((p[..., 0] - r >= 0) & (p[..., 0] + r <= s.width_w)
                  & (p[..., 1] - r >= 0) & (p[..., 1] + r <= s.height_w))
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


def _box_distance(p: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Distance from points (..., 2) to an axis-aligned box [x0, y0, x1, y1] (0 inside)."""
    dx = np.maximum(np.maximum(box[0] - p[..., 0], p[..., 0] - box[2]), 0.0)
    dy = np.maximum(np.maximum(box[1] - p[..., 1], p[..., 1] - box[3]), 0.0)
    return np.hypot(dx, dy)
