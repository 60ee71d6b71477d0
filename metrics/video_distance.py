"""Set-level distances on the weight-free video descriptor: an unbiased kernel
distance with its standard error (``video_kd``, the default) and a Fréchet distance
(``video_fd``, for large sets).

Both compare the distribution of ``metrics.video_descriptor`` over the generated
videos with its distribution over a reference set, and need no download: they run
on every install, where FVD (I3D weights) is skipped.

Which to read. At this project's suite sizes (16-64 videos) a Fréchet distance on a
115-d descriptor is mostly small-sample bias (its covariances are rank-deficient
below 116 videos, and between two samples of one distribution it is biased upwards by
about d/n), so ``video_fd`` skips itself until both sets have more videos than
dimensions. ``video_kd`` is unbiased at any n (two samples of one distribution give
about 0 within its standard error) and comes with that standard error.

Reference set (``ref=`` in the protocol):

- ``truth`` (default): each generated video of a probe case carries the descriptor of
  its own case's ground truth, rendered at the same size; the estimate leaves out
  same-case pairs (``vbench_lite.mmd``, layout ``paired``), so the simulator oracle
  scores exactly 0 and the pairing costs no bias;
- ``dir:<sha256[:12]>``: a folder of real videos (``video_kd.reference_dir=DIR``;
  files, arrays or frame folders as for FVD), fingerprinted by content. The run-time
  value and standard error resample the folder too (layout ``unpaired``); each item
  also stores its kernel mean to the folder so reports can compare runs against that
  same, fixed folder (layout ``fixed``). The folder is read once per metric object
  (once per worker process with ``--workers``).

Kernel. ``k(x, y) = mean over sigma in SIGMAS of exp(-|x - y|^2 / (2 sigma^2))`` on the
descriptor (unit vectors, squared distances in [0, 2]: see ``video_descriptor``).
The three fixed bandwidths (2 sigma^2 = 0.08, 0.32, 1.28) span the squared distances
that occur -- about 0.001 (a 10 % speed error of one probe) through 0.1-0.45 (two
different probe scenarios) to 0.5 (strong flicker) -- so neither small nor large
differences saturate; the mixture is a characteristic kernel like each of its terms.
No bandwidth is fitted to the data: a fitted one would make the number depend on the
reference set beyond its role, and change between the runs a comparison resamples.
Measured: with 0.15-0.6 or 0.3-1.2 instead, the ratio value / standard error of every
degradation ladder of ``tests/test_video_distance.py`` moved by less than 25 %.

Stored per item (the run's ``features`` rows): ``[case, descriptor (DIM), reference
part]`` where ``case`` is a 48-bit hash of the case id (a float64 integer: seeds of one
case share it) and the reference part is the case's truth descriptor (DIM) or, with a
folder, ``[m_i, u_rr]``. ``describe()["set_statistic"]`` declares this layout, the
kernel and the protocol for the reports, which resample cases from these rows for
paired comparisons (``reports.set_stats``) without touching a video.

Outputs: ``video_kd`` (MMD^2, lower is better, about 0 for a generator that matches
the reference, <= 2), ``video_kd_se`` (jackknife over cases), and the numbers of
generated and reference videos in the value. ``video_fd``: squared descriptor units.
Measured on ``default`` (16 cases): the reference DiT at 32x32 0.26 (SE 0.042); the
simulator oracle 0 (SE 0); the simulator 50 % too fast (64x64) 0.0082 (SE 0.0038).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

import numpy as np

from vbench_lite import mmd
from vbench_lite.errors import UserError
from vbench_lite.metrics import flow
from vbench_lite.metrics.base import (
    LOWER, NEEDS_REFERENCE, UNDIRECTED, MetricSkipped, Output, Score, SetMetric, VideoContext,
)
from vbench_lite.metrics.stream import Accumulator
from vbench_lite.metrics.video_descriptor import (
    DIM, VERSION as DESCRIPTOR_VERSION, DescriptorState, chunk_rows, video_descriptor,
)
from vbench_lite.metrics.options import VIDEOS_DIR, Option, check_videos_dir
from vbench_lite.video import Video

SIGMAS = (0.2, 0.4, 0.8)  # RBF bandwidths in descriptor units (module docstring: "Kernel")
MIN_CASES = 3  # fewer cases give no standard error (the jackknife deletes one)
_TRUTH_CACHE_SIZE = 512  # truth descriptors kept per metric object (seeds of one case share one)


def case_hash(case_id: str) -> float:
    """A case id as a float64 integer below 2^48 (exact), equal across runs and seeds."""
    return float(int(hashlib.sha256(case_id.encode()).hexdigest()[:12], 16))


class VideoSetDistance(SetMetric):
    """Shared by ``video_kd`` and ``video_fd``: the descriptor of each video and the
    reference set (simulator truth per case, or a folder of real videos)."""

    group = "temporal"
    needs = frozenset({NEEDS_REFERENCE})
    default = True

    options = (
        Option("reference_dir", VIDEOS_DIR, None, "a folder of real videos as the reference set (default: probe truth)"),
    )

    def __init__(self, reference_dir: str | Path | None = None):
        self.reference_dir = check_videos_dir(reference_dir, f"{self.name}.reference_dir") if reference_dir else None
        self._reference_id: str | None = None
        self._folder: np.ndarray | None = None  # (M, DIM) descriptors of the reference folder
        self._truth: dict[tuple, np.ndarray] = {}

    # ---------------------------------------------------------------- protocol
    def reference_id(self) -> str:
        """``fvd.reference_id`` of this metric's reference set, computed once per object."""
        if self._reference_id is None:
            from vbench_lite.metrics.reference_set import reference_id

            self._reference_id = reference_id(self.reference_dir)
        return self._reference_id

    def descriptor_protocol(self) -> str:
        return (f"desc=v{DESCRIPTOR_VERSION},dim{DIM}/flow=dis-{flow.DIS_PRESET}@{flow.ANALYSIS_TARGET_SIDE}"
                f"/ref={self.reference_id()}")

    @property
    def protocol(self) -> str:
        raise NotImplementedError

    def identity(self) -> dict:
        return {**super().identity(), "protocol": self.protocol}

    def describe(self) -> dict:
        info = super().describe()
        info["protocol"] = self.protocol
        info["reference_dir"] = str(self.reference_dir) if self.reference_dir is not None else None
        return info

    def applies_to(self, case) -> str | None:
        if self.reference_dir is None and getattr(case, "truth", None) is None:
            return (f"{self.name} needs a reference: probe ground truth, or a folder of real videos "
                    f"(--metric-set {self.name}.reference_dir=DIR)")
        return None

    # ---------------------------------------------------------------- descriptors
    def accumulator(self, case):
        """With a reference folder: the descriptor's histogram rows window by window
        (``video_descriptor.DescriptorState``). With ``ref=truth`` the case's truth is
        compared frame by frame with the video (the oracle): the whole video is held."""
        if self.reference_dir is None or getattr(case, "truth", None) is not None:
            return None
        return _DescriptorAccumulator(self, case)

    def folder_row(self, x: np.ndarray, case) -> np.ndarray:
        """The feature row of descriptor ``x`` against the reference folder."""
        raise NotImplementedError

    def descriptor(self, video, ctx: VideoContext | None) -> np.ndarray:
        if video.num_frames < 3:
            raise MetricSkipped(f"{self.name} needs at least 3 frames (acceleration), video has {video.num_frames}")
        return ctx.get("video_descriptor", lambda: video_descriptor(video, ctx)) if ctx else video_descriptor(video)

    def truth_descriptor(self, video, case, ctx: VideoContext) -> np.ndarray:
        """The descriptor of ``case``'s ground truth at the case's size. A video that *is*
        its truth (the oracle) gets its own descriptor back, so it scores exactly 0 under
        any seed; other truths are memoised per case (seeds of a case share one)."""
        return ctx.get("video_descriptor:truth", lambda: self._truth_of(video, case, ctx))

    def _truth_of(self, video, case, ctx: VideoContext) -> np.ndarray:
        frames = case.truth.render()  # (T, H, W, 3) uint8; cheap next to a flow
        if frames.shape == video.frames.shape and np.array_equal(frames, video.frames):
            return self.descriptor(video, ctx)
        key = (case.suite, case.case_id, case.num_frames, case.height, case.width, case.fps)
        if key not in self._truth:
            truth = Video(frames, fps=case.fps)
            if len(self._truth) >= _TRUTH_CACHE_SIZE:
                self._truth.pop(next(iter(self._truth)))
            self._truth[key] = self.descriptor(truth, VideoContext(truth, case))
        return self._truth[key]

    def folder_descriptors(self) -> np.ndarray:
        """(M, DIM) descriptors of the reference folder's videos (computed once)."""
        if self._folder is None:
            from vbench_lite.io import read_video
            from vbench_lite.metrics.reference_set import reference_paths

            paths = reference_paths(self.reference_dir)
            rows = [self.descriptor(v, VideoContext(v)) for v in (read_video(p) for p in paths) if v.num_frames >= 3]
            if len(rows) < 2:
                raise UserError(f"{self.name} reference_dir {self.reference_dir} needs at least 2 readable videos "
                                f"of 3 or more frames, found {len(rows)}")
            self._folder = np.stack(rows)
        return self._folder


class VideoKernelDistance(VideoSetDistance):
    """Unbiased MMD^2 on the video descriptor with a jackknife standard error (module docstring)."""

    name = "video_kd"
    version = "1"
    outputs = (
        Output("video_kd", "MMD^2 (RBF mix on the video descriptor)", LOWER,
               "unbiased kernel distance between the generated and the reference set's weight-free "
               "motion/appearance descriptors; about 0 when they match"),
        Output("video_kd_se", "MMD^2", UNDIRECTED,
               "standard error of video_kd: delete-one jackknife over cases (and over a reference folder's videos)"),
        Output("video_kd_n_generated", "videos", UNDIRECTED, "generated videos in the value"),
        Output("video_kd_n_reference", "videos", UNDIRECTED, "reference videos in the value"),
    )

    @property
    def layout(self) -> str:
        return "paired" if self.reference_dir is None else "unpaired"

    @property
    def protocol(self) -> str:
        """e.g. ``desc=v2,dim115/flow=dis-refined@384/ref=truth/kernel=rbf(0.2,0.4,0.8)/
        mmd2=u-stat,paired,by-case/se=jackknife-case``."""
        return (f"{self.descriptor_protocol()}/kernel=rbf({','.join(f'{s:g}' for s in SIGMAS)})"
                f"/mmd2=u-stat,{self.layout},by-case/se=jackknife-case")

    def describe(self) -> dict:
        info = super().describe()
        info["set_statistic"] = {
            "estimator": "mmd2", "output": "video_kd", "se_output": "video_kd_se", "protocol": self.protocol,
            "kernel": "rbf", "sigmas": list(SIGMAS), "dim": DIM,
            # how reports read a stored row: [case hash, descriptor, reference part]
            "row_layout": "paired" if self.reference_dir is None else "fixed",
        }
        return info

    def features(self, video, case, ctx: VideoContext) -> np.ndarray:
        x = self.descriptor(video, ctx)
        head = [case_hash(case.case_id if case is not None else "")]
        if self.reference_dir is None:
            return np.concatenate([head, x, self.truth_descriptor(video, case, ctx)])  # (1 + 2 DIM,)
        return self.folder_row(x, case)

    def folder_row(self, x, case):
        head = [case_hash(case.case_id if case is not None else "")]
        ref = self.folder_descriptors()
        m = float(mmd.rbf_kernel(x[None], ref, SIGMAS).mean())
        return np.concatenate([head, x, [m, _reference_term(ref)]])  # (1 + DIM + 2,)

    def reference_features(self, cases: Iterable) -> np.ndarray | None:
        """The folder's descriptors; with ``ref=truth`` an empty (0, DIM) array: the
        truth of each case travels in that case's own feature rows (paired layout)."""
        if self.reference_dir is None:
            return np.empty((0, DIM))
        return self.folder_descriptors()

    def compute_set(self, features: np.ndarray, reference: np.ndarray) -> dict[str, Score | float]:
        rows = np.asarray(features, np.float64)
        groups, x = rows[:, 0], rows[:, 1:1 + DIM]
        n_cases = len(np.unique(groups))
        if n_cases < MIN_CASES:
            raise MetricSkipped(f"{self.name} needs videos of at least {MIN_CASES} cases, got {n_cases}")
        if self.reference_dir is None:
            y = rows[:, 1 + DIM:1 + 2 * DIM]
            blocks = mmd.CaseBlocks.paired(x, y, groups, SIGMAS)
            n_ref = n_cases
        else:
            blocks = mmd.CaseBlocks.unpaired(x, reference, groups, SIGMAS)
            n_ref = len(reference)
        return {"video_kd": Score(blocks.value()), "video_kd_se": blocks.jackknife_se(),
                "video_kd_n_generated": float(len(rows)), "video_kd_n_reference": float(n_ref)}


def _reference_term(ref: np.ndarray) -> float:
    """Mean kernel over distinct pairs of the reference set: E k(y, y')."""
    k = mmd.rbf_kernel(ref, ref, SIGMAS)
    m = len(ref)
    return float((k.sum() - np.trace(k)) / (m * (m - 1)))


class VideoFrechetDistance(VideoSetDistance):
    """Fréchet distance between Gaussians fitted to the descriptors (``metrics.frechet``),
    only when both sets have more videos than descriptor dimensions."""

    name = "video_fd"
    version = "1"
    outputs = (
        Output("video_fd", "squared descriptor units", LOWER,
               "Fréchet distance between the generated and reference descriptors (large sets only)"),
        Output("video_fd_n_generated", "videos", UNDIRECTED, "generated videos in the value"),
        Output("video_fd_n_reference", "videos", UNDIRECTED, "reference videos in the value"),
    )

    @property
    def protocol(self) -> str:
        from vbench_lite.metrics import frechet

        return f"{self.descriptor_protocol()}/frechet={frechet.PROTOCOL}"

    def features(self, video, case, ctx: VideoContext) -> np.ndarray:
        x = self.descriptor(video, ctx)
        if self.reference_dir is not None:
            return self.folder_row(x, case)
        return np.concatenate([x, self.truth_descriptor(video, case, ctx)])  # (2 DIM,)

    def folder_row(self, x, case):
        return x

    def reference_features(self, cases: Iterable) -> np.ndarray | None:
        """The folder's descriptors; with ``ref=truth`` empty: each row carries its truth."""
        return np.empty((0, DIM)) if self.reference_dir is None else self.folder_descriptors()

    def compute_set(self, features: np.ndarray, reference: np.ndarray) -> dict[str, Score | float]:
        from vbench_lite.metrics.frechet import frechet_distance_from_features

        rows = np.asarray(features, np.float64)
        x = rows[:, :DIM]
        y = np.unique(rows[:, DIM:], axis=0) if self.reference_dir is None else reference  # one truth per case
        if min(len(x), len(y)) <= DIM:
            raise MetricSkipped(f"{self.name} needs more videos than the descriptor's {DIM} dimensions in both "
                                f"sets (got {len(x)} generated, {len(y)} reference); read video_kd at this size")
        return {"video_fd": Score(frechet_distance_from_features(x, y)),
                "video_fd_n_generated": float(len(x)), "video_fd_n_reference": float(len(y))}


class _DescriptorAccumulator(Accumulator):
    """``features`` of a ``VideoSetDistance`` with a reference folder, from a stream."""

    def __init__(self, metric: VideoSetDistance, case):
        self.metric, self.case = metric, case
        self.state = DescriptorState()

    def update(self, chunk) -> None:
        self.state.add(*chunk_rows(chunk))

    def features(self, info) -> np.ndarray:
        if info.num_frames < 3:
            raise MetricSkipped(f"{self.metric.name} needs at least 3 frames (acceleration), video has "
                                f"{info.num_frames}")
        return self.metric.folder_row(self.state.descriptor(), self.case)

    def result(self, info) -> dict:
        return {}
