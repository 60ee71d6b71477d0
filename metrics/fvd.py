"""Fréchet Video Distance (Unterthiner et al. 2018) with a PyTorch I3D.

Protocol. Everything that changes the number is named in ``FVD.protocol``, which the
runner stores with the run and which is part of the metric's ``identity()`` (so it is
part of the run id: numbers computed differently never mix)::

    i3d-k400@1a2b3c4d/clip=first16,stride1/resize=squash224,bilinear,antialias/
    range=[-1,1]/feature=logits400,tmean,fp32/ref=truth/frechet=eigh,float64,cov/(n-1)

(one line in the store). Reading it left to right:

- ``i3d-k400@1a2b3c4d``: the Kinetics-400 I3D and the first 8 hex digits of the
  weights file's sha256;
- ``clip=first16,stride1``: one clip per video, frames 0, 1, ..., 15 (with
  ``frame_stride=2``: 0, 2, ..., 30); a video shorter than that is left out;
- ``resize=squash224,...``: every frame squashed to 224x224 (aspect not kept, no crop),
  bilinear, antialiased on axes that shrink (``metrics.i3d.preprocess``);
- ``range=[-1,1]``: pixel values scaled to [-1, 1];
- ``feature=logits400,tmean,fp32``: the 400 class logits averaged over time, computed
  in full float32 (TF32 off on GPUs), stored as float64;
- ``ref=truth``: the reference set is the simulator's ground truth of the same cases
  (``case.truth.render()``), so probe suites need no data; ``ref=dir:<sha256[:12]>``:
  a folder of real videos (``FVD(reference_dir=...)``: video files, ``.npy`` /
  ``.npz`` arrays or frame folders, read with ``vbench_lite.io.read_video``),
  fingerprinted by content (renaming files keeps it, changing any byte does not);
  the reference clips are sampled and resized like the generated ones;
- ``frechet=...``: ``metrics.frechet`` (symmetric eigendecompositions, float64,
  unbiased covariance).

Sample sizes. n is not known when the protocol is fixed (videos that fail or are too
short drop out) but it moves FVD, which is biased for small sets. So ``compute_set``
returns it next to the value: ``fvd_n_generated`` and ``fvd_n_reference`` (clips),
stored as rows of the same set-level result. The full description of one stored
value is the protocol plus ``n=<generated>,<reference>``. With fewer clips than
feature dimensions (400) the covariance is rank-deficient and a warning is raised.

Lower is better; units are squared logits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np

from vbench_lite import weights
from vbench_lite.errors import UserError
from vbench_lite.metrics import frechet
from vbench_lite.metrics.base import (
    LOWER, NEEDS_BACKBONE, NEEDS_REFERENCE, UNDIRECTED, MetricSkipped, Output, Score, SetMetric, VideoContext,
)
from vbench_lite.metrics.frechet import FrechetStats, stats_distance
from vbench_lite.metrics.options import DEVICE, FILE, INT, VIDEOS_DIR, Option, check_videos_dir
from vbench_lite.metrics.reference_set import reference_id, reference_paths

# = metrics.i3d.MIN_FRAMES (tests/test_backbone_batching.py checks it), here so that loading
# the metric -- every run does, to list it or skip it -- does not import torch (2.8 s, 0.3 GB)
I3D_MIN_FRAMES = 9


def _default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _positive_int(name: str, value) -> int:
    """Constructor options arrive as strings from the CLI (``--metric-set fvd.num_frames=16``)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise UserError(f"FVD {name} must be an integer, got {value!r}") from None
    if number < 1:
        raise UserError(f"FVD {name} must be >= 1, got {number}")
    return number


class FVD(SetMetric):
    """Set-level FVD; see the module docstring for the protocol.

    ``reference_dir``: folder of real videos used as the reference set instead of
    simulator truth. ``weights_path``: an explicit I3D checkpoint (else the weights
    manager finds ``i3d_pretrained_400.pt``). ``num_frames`` >= 9 (I3D's minimum)
    frames per clip, taken every ``frame_stride`` frames from the first.
    ``frame_size`` is 224 in the protocol; tests pass a smaller multiple of 32.
    """

    name = "fvd"
    version = "2"  # 2: antialias on every shrinking axis, fp32 convolutions on GPU, n outputs
    group = "temporal"
    needs = frozenset({NEEDS_REFERENCE, NEEDS_BACKBONE})
    backbone = "i3d-k400"
    outputs = (
        Output("fvd", "squared I3D logits", LOWER, "Fréchet Video Distance to the reference set"),
        Output("fvd_n_generated", "clips", UNDIRECTED, "generated clips in the FVD value"),
        Output("fvd_n_reference", "clips", UNDIRECTED, "reference clips in the FVD value"),
    )
    default = True

    options = (
        Option("reference_dir", VIDEOS_DIR, None, "a folder of real videos as the reference set (default: probe truth)"),
        Option("weights_path", FILE, None, "an I3D checkpoint instead of the managed file", identity=False),
        Option("num_frames", INT, 16, "frames per clip (>= 9: I3D downsamples time 8x)", minimum=I3D_MIN_FRAMES),
        Option("device", DEVICE, None, "where the backbone runs: cpu, cuda, cuda:N (default: cuda when present)"),
        Option("frame_size", INT, 224, "I3D input size (224 in the protocol; smaller only for tests)", minimum=32),
        Option("frame_stride", INT, 1, "take every n-th frame for a clip", minimum=1),
        Option("batch", INT, 8, "clips per forward pass (memory vs speed; the same numbers)", minimum=1, identity=False),
    )

    def __init__(self, reference_dir: str | Path | None = None, weights_path: str | Path | None = None,
                 num_frames: int = 16, device: str | None = None, frame_size: int = 224, frame_stride: int = 1,
                 batch: int | str = 8):
        from vbench_lite.metrics.base import check_batch

        self.batch = check_batch(batch)  # reference clips per I3D forward pass (same numbers, any batch)
        num_frames = _positive_int("num_frames", num_frames)
        if num_frames < I3D_MIN_FRAMES:
            raise UserError(f"FVD num_frames must be >= {I3D_MIN_FRAMES} (I3D downsamples time 8x), got {num_frames}")
        self.reference_dir = check_videos_dir(reference_dir, "fvd.reference_dir") if reference_dir else None
        self.weights_path = weights_path
        self.num_frames = num_frames
        self.frame_stride = _positive_int("frame_stride", frame_stride)
        self.frame_size = _positive_int("frame_size", frame_size)  # 224 is the protocol; smaller only for tests
        self.device = device
        self._model = None
        self._sha: str | None = None
        self._reference_id: str | None = None

    @property
    def clip_length(self) -> int:
        """Frames a video needs for one clip: (num_frames - 1) * frame_stride + 1."""
        return (self.num_frames - 1) * self.frame_stride + 1

    def unavailable_reason(self) -> str | None:
        return weights.availability(self.backbone, self.weights_path)

    @property
    def protocol(self) -> str:
        """Everything that changes the value but n (see the module docstring), e.g.
        ``i3d-k400@1a2b3c4d/clip=first16,stride1/resize=squash224,bilinear,antialias/
        range=[-1,1]/feature=logits400,tmean,fp32/ref=truth/frechet=eigh,float64,cov/(n-1)``.
        Loads the weights (and fingerprints a reference folder) on first use."""
        from vbench_lite.metrics.i3d import RESIZE

        model = self._load()
        return "/".join([
            f"{self.backbone}@{self._sha[:8]}",
            f"clip=first{self.num_frames},stride{self.frame_stride}",
            f"resize=squash{self.frame_size},{RESIZE}",
            "range=[-1,1]",
            f"feature=logits{model.num_classes},tmean,fp32",
            f"ref={self.reference_id()}",
            f"frechet={frechet.PROTOCOL}",
        ])

    def reference_id(self) -> str:
        """``reference_id`` of this metric's reference set, computed once per object."""
        if self._reference_id is None:
            self._reference_id = reference_id(self.reference_dir)
        return self._reference_id

    def identity(self) -> dict:
        """The version, the protocol and the I3D file's full sha256: what makes two
        FVD values comparable (n aside, which is stored with each value). Protocol and
        digest are None when the weights cannot be read; the metric then skips with
        the reason when it runs."""
        ident = {**super().identity(), "protocol": None, "backbone_sha256": None}
        try:
            ident["protocol"] = self.protocol
            ident["backbone_sha256"] = self._sha
        except UserError:
            pass
        return ident

    def describe(self) -> dict:
        """Adds the protocol, which the runner stores with the run's provenance (None
        when the weights are missing or unreadable; the metric is then skipped), and
        the reference folder's path (its content is in the protocol)."""
        info = super().describe()
        try:
            info["protocol"] = self.protocol if self.unavailable_reason() is None else None
        except UserError:
            info["protocol"] = None
        info["reference_dir"] = str(self.reference_dir) if self.reference_dir is not None else None
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
            self._sha = weights.file_sha256(path)  # memoised per (path, size, mtime)
        return self._model

    def clip_features(self, frames: np.ndarray) -> np.ndarray:
        """uint8 (T, H, W, 3) with T >= clip_length -> float64 (num_classes,) logits
        of the clip ``frames[0 : clip_length : frame_stride]``."""
        return self.clips_features([frames])[0]

    def clips_features(self, clips: Iterable[np.ndarray]) -> np.ndarray:
        """``clip_features`` of every video in ``clips`` (each uint8 (T_i, H_i, W_i, 3),
        T_i >= clip_length; sizes may differ), ``batch`` clips per I3D forward pass:
        (N, num_classes) float64. Clips are preprocessed one by one (each to
        frame_size^2), so only ``batch`` of them are held at once."""
        import torch

        from vbench_lite.metrics.i3d import full_fp32, preprocess

        model = self._load()
        rows, pending = [], []

        def flush():
            with torch.inference_mode(), full_fp32():
                logits = model(torch.cat(pending).float())  # (B, num_classes)
            rows.append(logits.double().cpu().numpy())
            pending.clear()

        for frames in clips:
            clip = np.ascontiguousarray(frames[: self.clip_length: self.frame_stride])  # (num_frames, H, W, 3)
            with torch.inference_mode(), full_fp32():
                pending.append(preprocess(torch.from_numpy(clip)[None].to(self.device), self.frame_size))
            if len(pending) >= self.batch:  # (1, 3, T, S, S) each, in [-1, 1]
                flush()
        if pending:
            flush()
        return np.concatenate(rows) if rows else np.zeros((0, 0))

    def features(self, video, case, ctx: VideoContext) -> np.ndarray:
        return self._first_clip_features(video.frames, video.num_frames)

    def accumulator(self, case):
        """Holds the first ``clip_length`` frames of a streamed video (the clip FVD reads)."""
        from vbench_lite.metrics.stream import FirstFrames

        return FirstFrames(self.clip_length, lambda frames, info: self._first_clip_features(frames, info.num_frames))

    def _first_clip_features(self, frames: np.ndarray, num_frames: int) -> np.ndarray:
        if num_frames < self.clip_length:
            raise MetricSkipped(f"FVD ({self.num_frames} frames, stride {self.frame_stride}) needs at least "
                                f"{self.clip_length} frames, video has {num_frames}")
        return self.clip_features(frames)

    def reference_features(self, cases: Iterable) -> np.ndarray | None:
        """(N, num_classes) float64 features of the reference set: the videos in
        ``reference_dir`` when set, else each case's rendered ground truth. None when
        neither exists (prompt suites without a reference folder)."""
        if self.reference_dir is not None:
            clips = self._reference_folder_clips()
        else:
            clips = (c.truth.render() for c in cases if getattr(c, "truth", None) is not None)
        rows = self.clips_features(np.asarray(f) for f in clips if len(f) >= self.clip_length)
        if not len(rows):
            return None
        return rows  # (N, num_classes)

    def _reference_folder_clips(self):
        from vbench_lite.io import read_video

        paths = reference_paths(self.reference_dir)
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
        return {"fvd": Score(value), "fvd_n_generated": float(len(features)), "fvd_n_reference": float(len(reference))}
