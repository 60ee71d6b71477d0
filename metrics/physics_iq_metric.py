"""``physics_iq``: Physics-IQ's measures of a generated continuation against a real one.

Per video (``metrics.physics_iq`` has the definitions and the benchmark's lines):
``piq_spatial_iou``, ``piq_spatiotemporal_iou``, ``piq_weighted_spatial_iou`` (higher
is better) and ``piq_mse`` (lower), each against the real take 1; with a second real
take also the same four between the two real takes (``piq_variance_*``: what reality
itself achieves, the reference point beside each number) and the Verified per-sample
score ``piq_verified_score``. Per run (set level, needs the second take of every
video): ``physics_iq_score`` (the original score, % of the physical variance),
``physics_iq_verified_score`` (mean of the per-sample scores, %), their parts and the
physical variance -- every number of Physics-IQ Verified's metrics JSON.

References, in this order:
- ``reference_dir`` (``--metric-set physics_iq.reference_dir=DIR``): the real take 1 is
  the file with the generated video's name (any video extension), else -- for
  Physics-IQ's own folders -- the take-1 file whose 4-digit id starts the generated
  name (``0001_testing-videos_30FPS_perspective-left_take-1_<scenario>.mp4`` for
  ``0001_...``). ``variance_dir``: the take 2 with the generated name, else the take-2
  file of the take 1's perspective and scenario (``variance_dir`` may be the same folder).
- no ``reference_dir`` on a probe run: the simulator's truth render of the case, from its
  first scored frame on (the continuation after the conditioning frames). It has no
  second take, so the set-level scores skip themselves with that reason. The outputs
  keep their names; the protocol in the run's identity says ``ref=truth`` or
  ``ref=dir:<content hash>``, so numbers against different references never share a run.

Masks go through an mp4v file as the benchmark stores them (``mask_codec=mp4v``, the
default: its numbers), or stay in memory (``--metric-set physics_iq.mask_codec=lossless``:
exact masks, faster; 0.6-1.8 score points from mp4v on the benchmark clips). The dataset
ships its real takes' masks (``video-masks/real/<fps>FPS``), which its scorer reads
instead of computing them: ``mask_dir=DIR`` does the same (the same name as the take,
or Physics-IQ's ``<id>_video-masks_...`` name).

Bad input is one item's skip with the reason: no reference of that name (the name is
given), a frame rate other than the reference's (the benchmark compares at one frame
rate; re-time one of them), or a different number of frames in the first 5 s. A size
other than the reference's is what the benchmark handles itself: every video of a
sample is resized to a quarter of the real take 1.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

import numpy as np

from vbench_lite.errors import UserError, VideoError
from vbench_lite.metrics import physics_iq as piq
from vbench_lite.metrics.base import (
    HIGHER, LOWER, NEEDS_REFERENCE, UNDIRECTED, MetricSkipped, Output, Score, SetMetric, VideoContext,
)
from vbench_lite.metrics.options import CHOICE, VIDEOS_DIR, Option, check_videos_dir

_REAL = re.compile(r"^(\d{4})_testing-videos_\d+FPS_(perspective-[a-z]+)_take-([12])_(.+)$")  # a real take's stem
_MASK = re.compile(r"^(\d{4})_video-masks_\d+FPS_(perspective-[a-z]+)_take-([12])_(.+)$")  # its shipped mask
_GEN_ID = re.compile(r"^(\d{4})_")
_MEASURES = ("spatial_iou", "spatiotemporal_iou", "weighted_spatial_iou", "mse")
_TIMELINES = ("spatiotemporal_iou", "mse")  # per-frame lists (stored as the scorer reads them)


def _item_outputs() -> tuple[Output, ...]:
    what = {"spatial_iou": ("fraction", HIGHER, "IoU of where the two videos move at any time in the first 5 s"),
            "spatiotemporal_iou": ("fraction", HIGHER, "mean over frames of the motion masks' IoU"),
            "weighted_spatial_iou": ("fraction", HIGHER, "IoU of the per-pixel fractions of frames with motion"),
            "mse": ("mse [0,1]^2", LOWER, "mean over frames of the squared pixel difference at 1/4 size")}
    outs = [Output(f"piq_{k}", u, d, f"Physics-IQ: generated vs real take 1, {t}") for k, (u, d, t) in what.items()]
    outs += [Output(f"piq_variance_{k}", u, UNDIRECTED, f"Physics-IQ physical variance: real take 1 vs take 2, {t}")
             for k, (u, _, t) in what.items()]
    outs.append(Output("piq_verified_score", "fraction", HIGHER,
                       "Physics-IQ Verified per-sample score: mean of the four measures over their variance, "
                       "each clipped to [0, 1]"))
    return tuple(outs)


# set-level output -> (Verified metrics JSON key, factor from the JSON's value to ours)
SET_OUTPUTS = {
    "physics_iq_score": ("final_score_orig", 100.0),
    "physics_iq_verified_score": ("final_score_view", 100.0),
    "physics_iq_stable_score": ("final_score_stable", 100.0),
    "physics_iq_score_raw": ("final_score_raw", 1.0),
    "physics_iq_score_rounded": ("final_score_origround", 1.0),
    "piq_score_spatial": ("score_spatial", 1.0),
    "piq_score_spatiotemporal": ("score_spatiotemporal", 1.0),
    "piq_score_weighted_spatial": ("score_weighted_spatial", 1.0),
    "piq_score_mse": ("score_mse", 1.0),
    "piq_score_spatial_view": ("score_spatial_view", 1.0),
    "piq_score_spatiotemporal_view": ("score_spatiotemporal_view", 1.0),
    "piq_score_weighted_spatial_view": ("score_weighted_spatial_view", 1.0),
    "piq_score_mse_view": ("score_mse_view", 1.0),
    "piq_physical_variance_spatial": ("variance_spatial", 1.0),
    "piq_physical_variance_spatiotemporal": ("variance_spatiotemporal_iou", 1.0),
    "piq_physical_variance_weighted_spatial": ("variance_weighted_spatial", 1.0),
    "piq_physical_variance_mse": ("variance_mse", 1.0),
}
# the Verified results CSV's column stems -> our per-video outputs (``_{view}`` is appended)
CSV_COLUMNS = {
    "spatiotemporal_iou_v1": "piq_spatiotemporal_iou", "spatial_iou_v1": "piq_spatial_iou",
    "weighted_spatial_iou_v1": "piq_weighted_spatial_iou", "v1_mse": "piq_mse",
    "variance_spatial": "piq_variance_spatial_iou", "variance_weighted_spatial": "piq_variance_weighted_spatial_iou",
    "variance_spatiotemporal_iou": "piq_variance_spatiotemporal_iou", "variance_mse": "piq_variance_mse",
}


def _set_outputs() -> tuple[Output, ...]:
    pct = "% of physical variance"
    outs = [Output("physics_iq_score", pct, HIGHER, "Physics-IQ score (original): IoU means over the physical "
                   "variance's, minus the MSE excess, clipped to [0, 100]"),
            Output("physics_iq_verified_score", pct, HIGHER,
                   "Physics-IQ Verified score: mean of the per-sample scores"),
            Output("physics_iq_stable_score", pct, HIGHER, "Physics-IQ original score with each part clipped first"),
            Output("physics_iq_score_raw", "fraction", HIGHER, "the original score before clipping"),
            Output("physics_iq_score_rounded", pct, HIGHER, "the original score as the first release computes it "
                   "(rounded variances, 2 decimals)")]
    outs += [Output(f"piq_score_{k}", "ratio to variance", HIGHER, f"original part: {k} IoU mean / variance mean")
             for k in ("spatial", "spatiotemporal", "weighted_spatial")]
    outs.append(Output("piq_score_mse", "mse [0,1]^2", LOWER, "original part: MSE mean - variance MSE mean"))
    outs += [Output(f"piq_score_{k}_view", "fraction", HIGHER, f"Verified part: mean per-sample {k} score")
             for k in piq.METRIC_KEYS]
    outs += [Output(f"piq_physical_variance_{k}", u, UNDIRECTED, f"mean {k} between the two real takes")
             for k, u in (("spatial", "fraction"), ("spatiotemporal", "fraction"), ("weighted_spatial", "fraction"),
                          ("mse", "mse [0,1]^2"))]
    outs.append(Output("physics_iq_n_videos", "videos", UNDIRECTED, "samples in the set-level scores"))
    return tuple(outs)


class References:
    """A folder of real takes, indexed once: by stem, and by Physics-IQ's naming."""

    def __init__(self, folder: Path, what: str):
        from vbench_lite.metrics.reference_set import reference_paths

        folder = check_videos_dir(folder, f"physics_iq.{what}")
        self.folder, self.what = folder, what
        self.by_stem: dict[str, list[Path]] = {}
        self.by_id: dict[str, Path] = {}
        self.by_take: dict[tuple[str, str, str], Path] = {}
        for p in reference_paths(folder):
            self.by_stem.setdefault(p.stem, []).append(p)
            m = _REAL.match(p.stem)
            if m:
                self.by_id.setdefault(m[1], p)
                self.by_take[(m[2], m[4], m[3])] = p
        if not self.by_stem:
            raise UserError(f"physics_iq {what} {folder} has no videos")

    def named(self, stem: str) -> Path | None:
        paths = self.by_stem.get(stem, [])
        if len(paths) > 1:
            raise MetricSkipped(f"{self.what} has {len(paths)} videos named {stem} "
                                f"({', '.join(p.name for p in paths)}); keep one")
        return paths[0] if paths else None

    def take1(self, stem: str) -> Path | None:
        m = _GEN_ID.match(stem)
        return self.named(stem) or (self.by_id.get(m[1]) if m else None)

    def take2(self, stem: str, take1: Path) -> Path | None:
        m = _REAL.match(take1.stem)
        return self.named(stem) or (self.by_take.get((m[2], m[4], "2")) if m else None)

    def mask_of(self, take: Path) -> Path | None:
        """The mask video of a real take: the same name, or Physics-IQ's ``<id>_video-masks_...``."""
        m = _REAL.match(take.stem)
        if m is None:
            return self.named(take.stem)
        found = [p for ps in self.by_stem.values() for p in ps
                 if (k := _MASK.match(p.stem)) and (k[1], k[2], k[3], k[4]) == (m[1], m[2], m[3], m[4])]
        return self.named(take.stem) or (found[0] if found else None)


class PhysicsIQ(SetMetric):
    """Physics-IQ per video and per run; see the module docstring."""

    name = "physics_iq"
    version = "1"
    group = "physics"
    needs = frozenset({NEEDS_REFERENCE})
    default = False  # runs when named or configured (--metric-set physics_iq.reference_dir=DIR)
    outputs = _item_outputs() + _set_outputs()

    options = (
        Option("reference_dir", VIDEOS_DIR, None, "the real continuations, one per generated video by file name"),
        Option("variance_dir", VIDEOS_DIR, None, "the second real take (the physical variance; Verified score)"),
        Option("mask_codec", CHOICE, piq.MASK_CODEC, "how motion masks are kept: mp4v (as the benchmark; exact) "
               "or lossless (faster)", choices=piq.MASK_CODECS),
        Option("mask_dir", VIDEOS_DIR, None, "the dataset's shipped masks of the real takes"),
    )

    def __init__(self, reference_dir: str | Path | None = None, variance_dir: str | Path | None = None,
                 mask_codec: str = piq.MASK_CODEC, mask_dir: str | Path | None = None):
        if mask_codec not in piq.MASK_CODECS:
            raise UserError(f"physics_iq.mask_codec={mask_codec}: choose {' or '.join(piq.MASK_CODECS)} (mp4v: "
                            "masks stored as the benchmark stores them; lossless: kept exactly, faster)")
        self.mask_codec = mask_codec
        if variance_dir and not reference_dir:
            raise UserError("physics_iq.variance_dir needs physics_iq.reference_dir (the take 1 it varies from)")
        self.reference = References(Path(reference_dir).expanduser(), "reference_dir") if reference_dir else None
        self.variance = References(Path(variance_dir).expanduser(), "variance_dir") if variance_dir else None
        if mask_dir and not reference_dir:
            raise UserError("physics_iq.mask_dir (the real takes' mask videos) needs physics_iq.reference_dir")
        self.masks = References(Path(mask_dir).expanduser(), "mask_dir") if mask_dir else None
        self._protocol: str | None = None

    @property
    def protocol(self) -> str:
        """e.g. ``piq-v1/first5s/mask=runavg0.3,thr10,blur5,open5,close5,mp4v@opencv4.10.0/size=ref/4/ref=truth/
        var=none`` (the mp4v encoder is this OpenCV build's, so its version is part of the protocol)."""
        if self._protocol is None:
            from vbench_lite.metrics.reference_set import reference_id

            def ident(refs):
                return "none" if refs is None else reference_id(refs.folder)

            import cv2

            ref = "truth" if self.reference is None else ident(self.reference)
            codec = f"mp4v@opencv{cv2.__version__}" if self.mask_codec == "mp4v" else "lossless"
            self._protocol = (f"piq-v{self.version}/first{piq.SECONDS}s/mask=runavg{piq.ALPHA:g},thr{piq.THRESHOLD},"
                              f"blur5,open5,close5,{codec}/size=ref/{piq.DOWNSCALE}/ref={ref}"
                              f"/var={ident(self.variance)}/realmasks={ident(self.masks)}")
        return self._protocol

    def identity(self) -> dict:
        return {**super().identity(), "protocol": self.protocol}

    def describe(self) -> dict:
        info = super().describe()
        info["protocol"] = self.protocol
        info["reference_dir"] = str(self.reference.folder) if self.reference else None
        info["variance_dir"] = str(self.variance.folder) if self.variance else None
        info["mask_dir"] = str(self.masks.folder) if self.masks else None
        # how `report --format physics_iq` lays the stored numbers out (reports cannot import metrics)
        info["physics_iq_export"] = {"json": {k: list(v) for k, v in SET_OUTPUTS.items()}, "csv": CSV_COLUMNS,
                                     "list_decimals": piq.LIST_DECIMALS}
        return info

    def applies_to(self, case) -> str | None:
        if self.reference is None and getattr(case, "truth", None) is None:
            return ("physics_iq needs the real continuation: --metric-set physics_iq.reference_dir=DIR "
                    "(a folder with a video of the same name), or a probe case's ground truth")
        return None

    # ---------------------------------------------------------------- per video
    def _takes(self, video, case) -> tuple[piq.Take, piq.Take, piq.Take | None]:
        """(generated, real take 1, real take 2 or None), all of one length at the analysis
        size; the takes are analysed in parallel threads (OpenCV releases the GIL)."""
        n = piq.window_frames(video.fps)
        if self.reference is None:  # probe truth: the continuation after the conditioning frames
            truth = case.truth
            if video.num_frames != truth.num_frames:
                raise MetricSkipped(f"physics_iq: video has {video.num_frames} frames, the probe {truth.num_frames}")
            first = min(truth.first_scored, video.num_frames - 1)
            frames = truth.render(slice(first, None))  # (T', H, W, 3)
            jobs = {"ref": (iter(frames), video.fps, "the truth", None),
                    "gen": (iter(video.frames[first:]), video.fps, "", None)}
            size = piq.analysis_size(*frames.shape[1:3])
        else:
            source = video.meta.get("source")
            stem = Path(source).stem if source else case.case_id
            path = self.reference.take1(stem) or self.reference.take1(case.case_id)
            if path is None:
                raise MetricSkipped(f"physics_iq: no reference video named {stem} in {self.reference.folder}")
            take1 = self._open(path, video.fps, stem)
            size = piq.analysis_size(*take1.size)
            jobs = {"ref": (take1.frames, take1.fps, path.name, self._stored_masks(path, n)),
                    "gen": (iter(video.frames), video.fps, "", None)}
            if self.variance is not None:
                path2 = self.variance.take2(stem, path)
                if path2 is None:
                    raise MetricSkipped(f"physics_iq: no second take for {stem} in {self.variance.folder} "
                                        f"(a video named {stem}, or the take-2 file of {path.name})")
                take2 = self._open(path2, take1.fps, stem)
                jobs["var"] = (take2.frames, take2.fps, path2.name, self._stored_masks(path2, n))
        takes = self._analyse_all(jobs, size, n)
        ref, gen, var = takes["ref"], takes["gen"], takes.get("var")
        if gen.num_frames != ref.num_frames:
            raise MetricSkipped(f"physics_iq: video has {gen.num_frames} frames in its first {piq.SECONDS} s at "
                                f"{video.fps:g} fps, {jobs['ref'][2]} {ref.num_frames}; Physics-IQ compares equally "
                                f"long clips (make both {piq.SECONDS} s, or cut both to one length)")
        if var is not None and var.num_frames != ref.num_frames:
            raise MetricSkipped(f"physics_iq: {jobs['var'][2]} has {var.num_frames} frames in its first "
                                f"{piq.SECONDS} s, the take 1 {ref.num_frames}; the takes must be equally long")
        return gen, ref, var

    @staticmethod
    def _open(path: Path, fps: float, stem: str):
        """A reference's frame stream (the first 5 s at ``fps``), its frame rate checked."""
        from vbench_lite.video_stream import open_frames

        try:
            stream = open_frames(path, limit=piq.window_frames(fps))
        except VideoError as exc:
            raise MetricSkipped(f"physics_iq: reference {exc}") from None
        if abs(stream.fps - fps) > 1e-3 * fps:
            raise MetricSkipped(f"physics_iq: {stem} is at {fps:g} fps, {path.name} at {stream.fps:g} fps; "
                                "Physics-IQ compares at one frame rate (re-time one of them, as its fps_changer does)")
        return stream

    def _stored_masks(self, take: Path, n: int):
        """The frames of a real take's shipped mask video (``mask_dir``), or None to compute them."""
        from vbench_lite.video_stream import open_frames

        if self.masks is None:
            return None
        path = self.masks.mask_of(take)
        if path is None:
            raise MetricSkipped(f"physics_iq: no mask video for {take.name} in {self.masks.folder}")
        try:
            return open_frames(path, limit=n).frames
        except VideoError as exc:
            raise MetricSkipped(f"physics_iq: mask {exc}") from None

    def _analyse_all(self, jobs: dict, size: tuple[int, int], n: int) -> dict[str, piq.Take]:
        """``piq.analyse`` of each job (frames, fps, name, stored masks) in its own thread."""
        from concurrent.futures import ThreadPoolExecutor

        def one(job):
            frames, fps, name, stored = job
            try:
                return piq.analyse(frames, size, n, fps, self.mask_codec, stored)
            except (VideoError, ValueError) as exc:
                raise MetricSkipped(f"physics_iq: {name or 'video'}: {exc}") from None

        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            futures = {k: pool.submit(one, job) for k, job in jobs.items()}
            return {k: f.result() for k, f in futures.items()}

    def _analysis(self, video, case, ctx: VideoContext) -> dict:
        def run():
            gen, ref, var = self._takes(video, case)
            measures = piq.compare(gen, ref)
            variance = piq.compare(var, ref) if var is not None else None
            return {"measures": measures, "variance": variance, "row": piq.sample_row(measures, variance)}

        return ctx.get("physics_iq", run)

    def features(self, video, case, ctx: VideoContext) -> np.ndarray:
        return self._analysis(video, case, ctx)["row"]  # (9,) piq.ROW_FIELDS

    def item_scores(self, video, case, ctx: VideoContext) -> dict[str, Score | float]:
        a = self._analysis(video, case, ctx)
        out: dict[str, Score | float] = {}
        for prefix, measures in (("piq_", a["measures"]), ("piq_variance_", a["variance"])):
            for k in _MEASURES if measures is not None else ():
                v = measures[k]
                # timelines: per-frame values rounded as the scorer reads them (exact through float32 storage)
                out[prefix + k] = Score(float(np.mean(v)), piq.listed(v)) if k in _TIMELINES else float(v)
        if a["variance"] is not None:
            out["piq_verified_score"] = float(piq.sample_score(a["row"])[0])
        return out

    # ---------------------------------------------------------------- per run
    def reference_features(self, cases: Iterable) -> np.ndarray:
        return np.empty((0, len(piq.ROW_FIELDS)))  # each row carries its own reference's numbers

    def compute_set(self, features: np.ndarray, reference: np.ndarray) -> dict[str, Score | float]:
        rows = np.atleast_2d(np.asarray(features, np.float64))
        missing = int(np.isnan(rows[:, 4:8]).any(axis=1).sum())
        if missing:
            where = ("the simulator truth has none" if self.reference is None else
                     "give physics_iq.variance_dir=DIR" if self.variance is None else
                     f"{missing} of {len(rows)} lack one")
            raise MetricSkipped(f"physics_iq_score needs a second real take of every video, the physical variance "
                                f"that is its 100 % mark ({where})")
        values = piq.set_scores(rows)
        out: dict[str, Score | float] = {name: float(values[key]) * factor
                                          for name, (key, factor) in SET_OUTPUTS.items()}
        out["physics_iq_n_videos"] = float(len(rows))
        return out
