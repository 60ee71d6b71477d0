"""Physics-IQ's measures and scores as pure functions (Motamed et al. 2025, arXiv:2501.09038).

A generated continuation is compared with the real one (take 1) through motion masks;
the same comparison between two real takes (take 1 vs take 2) is the *physical
variance*, the 100 % mark of the score. Every step follows the public code of
google-deepmind/physics-IQ-benchmark: ``code/*.py`` at commit e457754 (cited as
``file:line``) and its Verified successor ``physiq/*.py`` (cited by commit and
function); no code is copied.

Motion masks (``MotionMasker``; binary_mask_generator.py:78-108): each RGB frame to
grey (BGR2GRAY weights), 5x5 Gaussian blur; a running average of the blurred frames
with weight 0.3 (``accumulateWeighted``), rounded to uint8; |frame - average| > 10
gives 255; a 5x5 opening then a 5x5 closing. The first frame's mask is empty (:82-84).
The benchmark writes masks to an mp4v file at the video's rounded fps, opened at even
dimensions (:41, :46-50, :67-69: OpenCV keeps the even top-left part of an odd frame),
and reads them back; so do we by default (``mask_codec="mp4v"``: a temporary file through
this OpenCV's encoder). The codec is lossy: on the clips of
``benchmarks/bench_physics_iq.py`` it moves a video's IoUs by up to 0.03 and the run's
score by 0.6-1.8 points against the same masks kept exactly (``mask_codec="lossless"``,
faster, and the same on every OpenCV build).

Frames (calculate_and_write_metrics_to_csv.py:191-198, :241-291): the first 5 s --
frame indices below ``5 * fps`` -- of every video; frames and masks resized
(``cv2.resize``, bilinear) to a quarter of the real take-1 video's size, frames scaled
to [0, 1]; a resized mask is ``> 127``.

Per video (``compare``; :78-183 and physiq/calculate_and_write_metrics_to_csv.py@dc7dd06
``spatiotemporal_iou_per_frame``, ``mse_per_frame``):
- spatiotemporal IoU: per frame |A & B| / |A | B|, 1.0 where both masks are empty;
- spatial IoU: the same on the masks' union over time;
- weighted spatial IoU: per pixel, the fraction of frames with motion; sum(min)/sum(max)
  over pixels where either moves, 1.0 when neither does;
- MSE: per frame, mean over pixels and channels of squared [0, 1] differences, float32.

Scores (physiq/calculate_iq_score_stable.py@edb3052, ``IQTable``): per-frame lists enter
every score rounded to 4 decimals, as the scorer reads them back from its CSV
(calculate_iq_score.py:38,47); a video's list is averaged over its frames. The original
score divides each IoU's mean over videos by the physical variance's mean, subtracts
(MSE mean - variance MSE mean), and clips the total to [0, 1] (``get_score``,
``compute_final_score_orig``); ``stable`` clips each part first. The Verified score is
per sample: each IoU divided by its own take-1/take-2 variance + 1e-8, the MSE ratio
inverted, each clipped to [0, 1], their mean; the run's score is the mean over samples
(``compute_metric_ratio_by_view``, ``compute_means_by_row_inplace``,
``get_output_dict["final_score_view"]``). ``rounded_score`` is the first release's
``calculate_iq_score`` (calculate_iq_score.py:58-154: variances rounded to 4 (spatial
5) decimals, percent rounded to 2), kept in the Verified metrics JSON as
``final_score_origround``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import cv2
import numpy as np

SECONDS = 5  # compared span (calculate_and_write_metrics_to_csv.py:191: consider_frames = fps * 5)
THRESHOLD = 10  # |frame - running average| above this is motion (binary_mask_generator.py:23)
ALPHA = 0.3  # weight of the new frame in the running average (binary_mask_generator.py:97)
BLUR = (5, 5)  # Gaussian kernel before differencing (binary_mask_generator.py:79, :95)
KERNEL = np.ones((5, 5), np.uint8)  # opening then closing (binary_mask_generator.py:87, :106-107)
DOWNSCALE = 4  # analysis size = real take-1 size // 4 (calculate_and_write_metrics_to_csv.py:247-250)
MASK_LEVEL = 127  # a resized mask pixel is motion above this (calculate_and_write_metrics_to_csv.py:289)
RATIO_EPS = 1e-8  # IQTable.ratio_eps: keeps per-sample ratios finite
LIST_DECIMALS = 4  # per-frame values as the scorer parses them (calculate_iq_score.py:38, :47)
MASK_CODECS = ("mp4v", "lossless")  # how masks are kept between computing and comparing them
MASK_CODEC = "mp4v"  # the benchmark's: its mask videos are mp4v files (binary_mask_generator.py:50)
MSE_CHUNK = 16  # frames per float32 MSE block (memory only: each frame is reduced alone)
# a sample's row: means over its frames of 4-decimal lists, scalars as computed
ROW_FIELDS = ("spatial_iou", "weighted_spatial_iou", "spatiotemporal_iou", "mse",
              "variance_spatial", "variance_weighted_spatial", "variance_spatiotemporal_iou", "variance_mse",
              "frames")
METRIC_KEYS = ("spatial", "weighted_spatial", "spatiotemporal", "mse")  # IQTable.metric_keys' order


def window_frames(fps: float) -> int:
    """Frames compared: the indices below ``5 * fps`` (the benchmark's ``start <= idx < end``)."""
    return int(math.ceil(SECONDS * float(fps)))


class MotionMasker:
    """Motion mask of each frame in turn (the running average is the state); uint8 {0, 255}."""

    def __init__(self):
        self.average: np.ndarray | None = None

    def __call__(self, frame_rgb: np.ndarray) -> np.ndarray:
        grey = cv2.GaussianBlur(cv2.cvtColor(frame_rgb, cv2.COLOR_RGB2GRAY), BLUR, 0)  # (H, W) uint8
        if self.average is None:  # the first frame starts the average and has no motion
            self.average = grey.astype(np.float64)
            return np.zeros_like(grey)
        cv2.accumulateWeighted(grey, self.average, ALPHA)
        diff = cv2.absdiff(grey, cv2.convertScaleAbs(self.average))
        _, mask = cv2.threshold(diff, THRESHOLD, 255, cv2.THRESH_BINARY)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, KERNEL)
        return cv2.morphologyEx(mask, cv2.MORPH_CLOSE, KERNEL)


@dataclass
class Take:
    """One video at the analysis size: ``frames`` uint8 (T, h, w, 3) in OpenCV's BGR
    order (the MSE reduces channels in the benchmark's order), ``masks`` bool (T, h, w);
    ``size`` (H, W) of the decoded video."""

    frames: np.ndarray
    masks: np.ndarray
    size: tuple[int, int]

    @property
    def num_frames(self) -> int:
        return int(self.masks.shape[0])


def analysis_size(height: int, width: int) -> tuple[int, int]:
    """(w, h) every video of a sample is resized to: a quarter of the real take 1."""
    w, h = width // DOWNSCALE, height // DOWNSCALE
    if w < 1 or h < 1:
        raise ValueError(f"reference frames of {height}x{width} are too small: Physics-IQ analyses a quarter of "
                         f"the reference size, at least {DOWNSCALE}x{DOWNSCALE} pixels")
    return w, h


def analyse(frames: Iterable[np.ndarray], size: tuple[int, int] | None = None, limit: int | None = None,
            fps: float = 30.0, mask_codec: str = MASK_CODEC, stored_masks: Iterable[np.ndarray] | None = None) -> Take:
    """Masks and resized frames of uint8 RGB ``frames`` (H, W, 3) (at most ``limit``);
    ``size`` (w, h), default a quarter of the first frame (the reference defines it).
    ``mask_codec`` "mp4v": masks go through an mp4v file at ``round(fps)`` as the
    benchmark stores them (the numbers of its pipeline); "lossless": kept in memory.
    ``stored_masks``: the frames of a mask video made before (the dataset's own real
    masks, read as RGB like every video here) are the masks instead."""
    from vbench_lite.video_stream import CodecRoundTrip

    if mask_codec not in MASK_CODECS:
        raise ValueError(f"mask_codec {mask_codec!r}: choose {' or '.join(MASK_CODECS)}")
    masker, small, masks, full, file = MotionMasker(), [], [], None, None
    if stored_masks is not None:
        mask_codec = "stored"
    for i, frame in enumerate(frames):
        if limit is not None and i >= limit:
            break
        if full is None:
            full = frame.shape[:2]
            size = size or analysis_size(*full)
            if mask_codec == "mp4v":  # binary_mask_generator.py:41, :47, :50, :67-69
                file = CodecRoundTrip(round(fps), full[1] - full[1] % 2, full[0] - full[0] % 2, "mp4v")
        elif frame.shape[:2] != full:
            raise ValueError(f"frame {i} is {frame.shape[1]}x{frame.shape[0]}, the first {full[1]}x{full[0]}")
        if stored_masks is not None:
            small.append(cv2.resize(frame, size)[..., ::-1])
            continue
        mask = masker(frame)[: full[0] - full[0] % 2, : full[1] - full[1] % 2]  # the mask file's even part
        if file is not None:
            file.write(mask)
        else:
            masks.append(cv2.resize(mask, size) > MASK_LEVEL)
        small.append(cv2.resize(frame, size)[..., ::-1])  # resizing is per channel: RGB -> BGR after
    if full is None:
        raise ValueError("video has no frames")
    if file is not None:  # decoded as 3 channels, resized, channel 0 (calculate_and_write...@dc7dd06 load_view)
        masks = [cv2.resize(m, size)[:, :, 0] > MASK_LEVEL for m in file.read_back()]
        if len(masks) != len(small):
            raise ValueError(f"{len(small)} masks written, {len(masks)} decoded")
    if stored_masks is not None:  # the B channel (index 2 of RGB) is the channel 0 the benchmark reads
        for m in stored_masks:
            if len(masks) == len(small):
                break
            masks.append(cv2.resize(np.ascontiguousarray(m[..., 2] if m.ndim == 3 else m), size) > MASK_LEVEL)
        if len(masks) != len(small):
            raise ValueError(f"its mask video has {len(masks)} frames, the video {len(small)}")
    return Take(np.stack(small), np.stack(masks), full)


def spatiotemporal_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-frame IoU of bool masks (T, h, w) -> float64 (T,); 1.0 where both are empty."""
    inter = np.logical_and(a, b).sum(axis=(1, 2))
    union = np.logical_or(a, b).sum(axis=(1, 2))
    return np.where(union == 0, 1.0, inter / np.maximum(union, 1))


def spatial_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of where each video moves at any time (bool (T, h, w) each)."""
    return float(spatiotemporal_iou(a.any(axis=0)[None], b.any(axis=0)[None])[0])


def weighted_mask(masks: np.ndarray) -> np.ndarray:
    """Per pixel, the fraction of frames with motion: float64 (h, w)."""
    return np.sum(masks, axis=0, dtype=np.uint16) / len(masks)


def weighted_spatial_iou(a: np.ndarray, b: np.ndarray) -> float:
    """sum(min) / sum(max) of the weighted masks over pixels where either moves; 1.0 if none."""
    wa, wb = weighted_mask(a), weighted_mask(b)
    inter, union = np.minimum(wa, wb), np.maximum(wa, wb)
    valid = union > 0
    if not valid.any():
        return 1.0
    return float(np.sum(inter[valid]) / np.sum(union[valid]))


def mse_per_frame(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-frame MSE of uint8 (T, h, w, 3) clips on [0, 1], in float32 as the benchmark -> (T,)."""
    if a.shape != b.shape:
        raise ValueError(f"clips of shapes {a.shape} and {b.shape} cannot be compared frame by frame")
    out = []
    for lo in range(0, len(a), MSE_CHUNK):
        d = (a[lo:lo + MSE_CHUNK] / 255.0).astype(np.float32) - (b[lo:lo + MSE_CHUNK] / 255.0).astype(np.float32)
        out.append((d ** 2).mean(axis=(1, 2, 3)))  # (chunk,) float32
    return np.concatenate(out).astype(np.float64)


def compare(x: Take, y: Take) -> dict[str, float | np.ndarray]:
    """The four measures between two takes of one length (``y`` is the real take 1 when
    ``x`` is generated): spatial_iou, spatiotemporal_iou (T,), weighted_spatial_iou, mse (T,)."""
    if x.num_frames != y.num_frames:
        raise ValueError(f"{x.num_frames} frames against {y.num_frames}")
    return {"spatial_iou": spatial_iou(y.masks, x.masks),
            "spatiotemporal_iou": spatiotemporal_iou(y.masks, x.masks),
            "weighted_spatial_iou": weighted_spatial_iou(y.masks, x.masks),
            "mse": mse_per_frame(y.frames, x.frames)}


def listed(values: np.ndarray) -> np.ndarray:
    """Per-frame values as the scorer reads them: each rounded to 4 decimals (Python's round)."""
    return np.array([round(float(v), LIST_DECIMALS) for v in values], np.float64)


def sample_row(measures: dict, variance: dict | None) -> np.ndarray:
    """A sample's row (``ROW_FIELDS``): generated-vs-take-1 and take-1-vs-take-2 (NaN without a take 2)."""
    var = [np.nan] * 4 if variance is None else [
        variance["spatial_iou"], variance["weighted_spatial_iou"],
        listed(variance["spatiotemporal_iou"]).mean(), listed(variance["mse"]).mean()]
    return np.array([measures["spatial_iou"], measures["weighted_spatial_iou"],
                     listed(measures["spatiotemporal_iou"]).mean(), listed(measures["mse"]).mean(),
                     *var, len(measures["mse"])], np.float64)


def sample_scores(rows: np.ndarray) -> np.ndarray:
    """(N, 9) rows -> (N, 4) Verified per-sample scores in ``METRIC_KEYS`` order, clipped to [0, 1]."""
    rows = np.atleast_2d(np.asarray(rows, np.float64))
    ratio = rows[:, 0:4] / (rows[:, 4:8] + RATIO_EPS)
    with np.errstate(divide="ignore"):
        ratio[:, 3] = ratio[:, 3] ** -1.0  # lower MSE is better: the inverted ratio
    return np.clip(ratio, 0.0, 1.0)


def sample_score(rows: np.ndarray) -> np.ndarray:
    """The Verified score of each sample: mean of its four clipped scores, (N,)."""
    return sample_scores(rows).mean(axis=1)


def set_scores(rows: np.ndarray) -> dict[str, float]:
    """Every number of the Verified metrics JSON (``IQTable.get_output_dict`` keys, fractions;
    ``final_score_origround`` in percent) from the samples' rows (N, 9), all with a take 2."""
    rows = np.atleast_2d(np.asarray(rows, np.float64))
    if np.isnan(rows[:, :8]).any():
        raise ValueError("every sample needs its physical variance (a second real take)")
    sp, wsp, st, mse, v_sp, v_wsp, v_st, v_mse = rows[:, :8].mean(axis=0)
    scores = {"score_spatiotemporal": st / v_st, "score_spatial": sp / v_sp,
              "score_weighted_spatial": wsp / v_wsp, "score_mse": mse - v_mse}
    raw = (scores["score_spatiotemporal"] + scores["score_spatial"] + scores["score_weighted_spatial"]) / 3 \
        - scores["score_mse"]
    c = {k: float(np.clip(v, 0.0, 1.0)) for k, v in scores.items()}
    stable = np.clip((c["score_spatiotemporal"] + c["score_spatial"] + c["score_weighted_spatial"]) / 3
                     - c["score_mse"], 0.0, 1.0)
    per_sample = sample_scores(rows)  # (N, 4)
    view = dict(zip(METRIC_KEYS, per_sample.mean(axis=0)))
    return {
        **scores, "final_score_raw": raw, "final_score_stable": float(stable),
        "final_score_orig": float(np.clip(raw, 0.0, 1.0)),
        "variance_mse": v_mse, "variance_spatiotemporal_iou": v_st, "variance_spatial": v_sp,
        "variance_weighted_spatial": v_wsp, "final_score_view": float(per_sample.mean(axis=1).mean()),
        "score_spatiotemporal_view": view["spatiotemporal"], "score_spatial_view": view["spatial"],
        "score_weighted_spatial_view": view["weighted_spatial"], "score_mse_view": view["mse"],
        "final_score_origround": rounded_score(rows),
    }


def rounded_score(rows: np.ndarray) -> float:
    """The first release's score in percent (calculate_iq_score.py:58-154), rounding included."""
    sp, wsp, st, mse, v_sp, v_wsp, v_st, v_mse = (np.float64(v) for v in rows[:, :8].mean(axis=0))
    pv_mse, pv_st, pv_sp, pv_wsp = round(v_mse, 4), round(v_st, 4), round(v_sp, 5), round(v_wsp, 4)
    with np.errstate(divide="ignore", invalid="ignore"):  # a variance that rounds to 0 gives inf, as there
        score = ((st / pv_st + sp / pv_sp + wsp / pv_wsp) / 3 - (mse - pv_mse)) * 100
    return float(round(max(min(score, 100.0), 0.0), 2))
