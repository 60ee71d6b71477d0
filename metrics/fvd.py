"""Fréchet Video Distance (Unterthiner et al. 2018) with a PyTorch I3D.

Protocol (named in ``FVD.protocol`` and stored with every value, so numbers computed
differently never mix): the first ``num_frames`` frames (default 16, as FVD-16) of
each clip, squash-resized to 224x224 (bilinear), scaled to [-1, 1], through the
Kinetics-400 I3D (``i3d-k400``); features are the 400 class logits averaged over time,
in float64; the distance is ``metrics.frechet`` between the generated and reference
sets. The weights file's sha256 prefix ends the protocol string.

Reference set: by default the simulator's ground truth of the same cases
(``case.truth.render()``), so probe suites need no data; for prompt suites pass
``FVD(reference_dir="path/to/real_videos")`` -- a folder of video files, ``.npy`` /
``.npz`` arrays or frame folders, read with ``vbench_lite.io.read_video``.

FVD is biased for small sets: with fewer clips than feature dimensions (400) the
covariance is rank-deficient and a warning is raised. Lower is better; units are
squared logits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np

from vbench_lite import weights
from vbench_lite.errors import UserError
from vbench_lite.metrics.base import (
    LOWER, NEEDS_BACKBONE, NEEDS_REFERENCE, MetricSkipped, Output, Score, SetMetric, VideoContext,
)
from vbench_lite.metrics.frechet import FrechetStats, stats_distance


def _default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class FVD(SetMetric):
    """Set-level FVD; see the module docstring for the protocol.

    ``reference_dir``: folder of real videos used as the reference set instead of
    simulator truth. ``weights_path``: an explicit I3D checkpoint (else the weights
    manager finds ``i3d_pretrained_400.pt``). ``num_frames`` >= 9 (I3D's minimum).
    ``frame_size`` is 224 in the protocol; tests pass a smaller multiple of 32.
    """

    name = "fvd"
    version = "1"
    group = "temporal"
    needs = frozenset({NEEDS_REFERENCE, NEEDS_BACKBONE})
    backbone = "i3d-k400"
    outputs = (Output("fvd", "squared I3D logits", LOWER, "Fréchet Video Distance to the reference set"),)
    default = True

    def __init__(self, reference_dir: str | Path | None = None, weights_path: str | Path | None = None,
                 num_frames: int = 16, device: str | None = None, frame_size: int = 224):
        from vbench_lite.metrics.i3d import MIN_FRAMES

        if num_frames < MIN_FRAMES:
            raise UserError(f"FVD num_frames must be >= {MIN_FRAMES} (I3D downsamples time 8x), got {num_frames}")
        self.reference_dir = Path(reference_dir).expanduser() if reference_dir else None
        if self.reference_dir is not None and not self.reference_dir.is_dir():
            raise UserError(f"FVD reference_dir {self.reference_dir} is not a folder of videos")
        self.weights_path = weights_path
        self.num_frames = int(num_frames)
        self.frame_size = int(frame_size)  # 224 is the protocol; smaller only for tests
        self.device = device
        self._model = None
        self._sha = None

    def unavailable_reason(self) -> str | None:
        return weights.availability(self.backbone, self.weights_path)

    @property
    def protocol(self) -> str:
        """e.g. ``i3d-k400/f16/224-squash-bilinear/[-1,1]/logits400-tmean/1a2b3c4d``."""
        self._load()
        return (f"{self.backbone}/f{self.num_frames}/{self.frame_size}-squash-bilinear/[-1,1]/"
                f"logits{self._model.num_classes}-tmean/{self._sha[:8]}")

    def describe(self) -> dict:
        """Adds the protocol, which the runner stores with the run's provenance (None
        when the weights are missing or unreadable; the metric is then skipped)."""
        info = super().describe()
        try:
            info["protocol"] = self.protocol if self.unavailable_reason() is None else None
        except UserError:
            info["protocol"] = None
        return info

    def _load(self):
        if self._model is None:
            from vbench_lite.metrics.i3d import build_from_state_dict

            path = weights.resolve(self.backbone, self.weights_path)
            try:
                model = build_from_state_dict(weights.load_state_dict(path), source=path)
            except ValueError as exc:
                raise UserError(str(exc)) from None
            self.device = self.device or _default_device()
            self._model = model.to(self.device)
            self._sha = weights.file_sha256(path)
        return self._model

    def clip_features(self, frames: np.ndarray) -> np.ndarray:
        """uint8 (T, H, W, 3) with T >= num_frames -> float64 (num_classes,) logits."""
        import torch

        from vbench_lite.metrics.i3d import preprocess

        model = self._load()
        clip = torch.from_numpy(np.ascontiguousarray(frames[: self.num_frames]))[None]  # (1, T, H, W, 3)
        with torch.inference_mode():
            x = preprocess(clip.to(self.device), self.frame_size)  # (1, 3, T, 224, 224) in [-1, 1]
            logits = model(x.float())  # (1, num_classes)
        return logits[0].double().cpu().numpy()

    def features(self, video, case, ctx: VideoContext) -> np.ndarray:
        if video.num_frames < self.num_frames:
            raise MetricSkipped(f"FVD ({self.num_frames} frames) needs at least {self.num_frames} frames, "
                                f"video has {video.num_frames}")
        return self.clip_features(video.frames)

    def reference_features(self, cases: Iterable) -> np.ndarray | None:
        """(N, num_classes) float64 features of the reference set: the videos in
        ``reference_dir`` when set, else each case's rendered ground truth. None when
        neither exists (prompt suites without a reference folder)."""
        if self.reference_dir is not None:
            clips = self._reference_folder_clips()
        else:
            clips = (c.truth.render() for c in cases if getattr(c, "truth", None) is not None)
        rows = [self.clip_features(np.asarray(f)) for f in clips if len(f) >= self.num_frames]
        if not rows:
            return None
        return np.stack(rows)  # (N, num_classes)

    def _reference_folder_clips(self):
        from vbench_lite.io import is_video_path, read_video

        paths = sorted(p for p in self.reference_dir.iterdir() if is_video_path(p))
        if not paths:
            raise UserError(f"FVD reference_dir {self.reference_dir} contains no readable videos")
        for p in paths:
            yield read_video(p).frames

    def compute_set(self, features: np.ndarray, reference: np.ndarray) -> dict[str, Score | float]:
        if reference is None or len(reference) == 0:
            raise MetricSkipped("FVD needs a reference set: simulator ground truth or FVD(reference_dir=...)")
        if len(features) < 2 or len(reference) < 2:
            raise MetricSkipped(f"FVD needs at least 2 clips per set, got {len(features)} and {len(reference)}")
        value = stats_distance(FrechetStats.from_features(features), FrechetStats.from_features(reference),
                               what="clips")
        return {"fvd": Score(value)}
