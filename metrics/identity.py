"""Identity drift: how far appearance moves away from the first frame over time.

Definition (shared with DINO / CLIP features built elsewhere): given per-frame
features f_t (T, D), the drift curve is the cosine distance to the first frame,

    d(t) = 1 - <f_t, f_0> / (|f_t| |f_0|),   d(0) = 0,  range [0, 2],

summarised by its final value (mean of the last ~10 % of frames, so one noisy frame
does not decide it) and its least-squares slope per frame (``drift_summary``).

Weight-free default features (``appearance_features``), and why. Without a network
we cannot segment "the subject", so the features describe the whole frame with
statistics that do not depend on *where* things are: histograms. A camera pan
moves content but keeps its colour and texture distribution (only the thin strip
entering/leaving the frame changes), while a colour drift shifts the colour
histograms and a texture change (blur, noise, re-texturing) shifts the gradient
histograms. Each histogram is L1-normalised and square-rooted, and the blocks are
weighted (squared weights summing to 1) so the vector has unit norm: then the
cosine is a weighted mean of the blocks' Bhattacharyya coefficients and d(t) a
weighted mean of squared Hellinger distances, bounded in [0, 1] and symmetric. Blocks (computed on the shared
analysis frames of ``flow``, ~384 px, in CIE Lab so colour bins are roughly perceptual):

- colour (weight 1/4): L*, a*, b* histograms, 16 bins each (OpenCV 8-bit Lab);
- texture (weight 3/4): gradient-magnitude histograms of L* at two scales (full
  and half resolution, 16 log-spaced bins), and the share of Laplacian-pyramid
  energy in each of 5 octaves (blur moves energy to coarse octaves, noise or
  re-texturing to fine ones). Texture is weighted up because its blocks barely move
  under a pan (measured ~10x less than the colour blocks, whose histograms change as
  new content enters the frame) while a full blur moves them by ~0.03-0.1. A
  gradient-orientation histogram was tried and dropped: a pan moved it as much as a
  strong blur did.

Limits: a subject that leaves the frame or a scene cut reads as drift (intended for
identity, but also true of large camera moves into new content); a change that
keeps every histogram (two regions swapping colours) is not seen. Use DINO/CLIP
features for semantic identity.
"""

from __future__ import annotations

import cv2
import numpy as np

from vbench_lite.errors import UserError
from vbench_lite.metrics.base import LOWER, UNDIRECTED, Metric, Output, Score
from vbench_lite.metrics.flow import magnitude_xy, shared_analysis_frames

COLOR_BINS = 16  # per Lab channel
GRAD_BINS = 16
# Sobel magnitude on 8-bit L* spans 0..~1440 (4 * 255 * sqrt 2): bins of equal log
# width from GRAD_MIN (below it: flat / noise) to the strongest edges
GRAD_MIN = 2.0
_GRAD_LOG_STEP = np.log(1500.0 / GRAD_MIN) / (GRAD_BINS - 1)
BANDS = 5  # Laplacian-pyramid octaves
# Colour histograms also change when a pan brings new content into the frame, while
# gradient and band statistics barely move; measured on skimage photographs, colour
# blocks moved ~8x more than texture blocks under a pan (tests/test_identity.py), so
# colour gets 1/4 of the weight and texture 3/4.
COLOR_WEIGHT = 0.25
FINAL_FRACTION = 0.1  # "final" drift = mean of the last 10 % of frames (at least one)


def drift_curve(features: np.ndarray) -> np.ndarray:
    """Cosine distance of each frame's feature to the first frame's: (T, D) -> (T,) in [0, 2]."""
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or f.shape[0] < 1:
        raise UserError(f"drift_curve needs features of shape (T, D) with T >= 1, got {f.shape}")
    if not np.all(np.isfinite(f)):
        raise UserError("drift_curve: features contain NaN or infinite values; check the feature extractor")
    norm = np.linalg.norm(f, axis=1, keepdims=True)  # (T, 1)
    if np.any(norm == 0):
        raise UserError("drift_curve: a feature vector is all zeros, so its direction is undefined")
    f = f / norm
    d = 1.0 - f @ f[0]  # (T,)
    d[np.abs(d) < 1e-12] = 0.0  # identical features give exactly 0, not rounding noise
    return np.clip(d, 0.0, 2.0)


def drift_summary(curve: np.ndarray) -> dict[str, float]:
    """``final``: mean of the last 10 % of d(t) (>= 1 value); ``slope``: least-squares
    slope of d(t) against the frame index, per frame (0 for a single frame)."""
    c = np.asarray(curve, dtype=np.float64).ravel()
    if c.size == 0:
        raise UserError("drift_summary needs a non-empty drift curve")
    n_last = max(1, int(round(FINAL_FRACTION * c.size)))
    slope = float(np.polyfit(np.arange(c.size), c, 1)[0]) if c.size > 1 else 0.0
    return {"final": float(c[-n_last:].mean()), "slope": slope}


def _hist_rows(index: np.ndarray, nbins: int) -> np.ndarray:
    """Per-frame histograms of uint8 bin indices (T, ...) in [0, nbins) -> (T, nbins), as
    sqrt of the L1-normalised counts (the Hellinger embedding: unit vectors)."""
    h = np.stack([cv2.calcHist([np.ascontiguousarray(x)], [0], None, [nbins], [0, nbins]).ravel()
                  for x in index]).astype(np.float64) + 1e-12  # (T, nbins); +eps: no 0/0
    return np.sqrt(h / h.sum(1, keepdims=True))


def _grad_bins(lum: np.ndarray) -> np.ndarray:
    """Log-spaced gradient-magnitude bin of each pixel: uint8 (h, w) -> uint8 (h, w)."""
    gx = cv2.Sobel(lum, cv2.CV_32F, 1, 0, ksize=3)  # (h, w)
    gy = cv2.Sobel(lum, cv2.CV_32F, 0, 1, ksize=3)
    mag = magnitude_xy(gx, gy)  # not cv2.magnitude: its last bit depends on the arrays' alignment
    # bin 0: below GRAD_MIN (flat/noise); then GRAD_BINS-1 bins of equal log width
    idx = np.log(np.maximum(mag, np.float32(1e-6)) * np.float32(1 / GRAD_MIN)) * np.float32(1 / _GRAD_LOG_STEP)
    return np.clip(idx + 1, 0, GRAD_BINS - 1).astype(np.uint8)  # truncation = floor after the clip at 0


def _band_energy(lum: np.ndarray) -> np.ndarray:
    """Fraction of Laplacian-pyramid energy per octave band, (BANDS,): where the
    image's detail lives; blur moves it to coarse bands, noise to fine ones."""
    g = lum.astype(np.float32)
    energy = []
    for _ in range(BANDS):
        down = cv2.pyrDown(g)
        up = cv2.pyrUp(down, dstsize=(g.shape[1], g.shape[0]))
        energy.append(float(((g - up) ** 2).mean()))
        g = down
    e = np.asarray(energy) + 1e-12
    return np.sqrt(e / e.sum())


def appearance_features(frames: np.ndarray) -> np.ndarray:
    """Weight-free, translation-insensitive appearance features of uint8 (T, H, W, 3) RGB.

    Returns (T, D) float64 unit vectors, D = 3*16 + 2*16 + 5 = 85 (see module doc).
    """
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise UserError(f"appearance_features needs uint8 frames (T, H, W, 3), got {frames.dtype} {frames.shape}")
    lab = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2LAB) for f in frames])  # (T, h, w, 3) uint8
    # colour histograms from every 2nd pixel in each direction: plenty of samples, 4x less work
    sub = lab[:, ::2, ::2] // (256 // COLOR_BINS)  # (T, h/2, w/2, 3) uint8 bin index
    colour = [_hist_rows(sub[..., c], COLOR_BINS) for c in range(3)]
    lum = [np.ascontiguousarray(f[..., 0]) for f in lab]  # L* planes, (h, w) uint8
    lum_half = [cv2.pyrDown(x) for x in lum]
    grad0 = _hist_rows(np.stack([_grad_bins(x) for x in lum]), GRAD_BINS)
    grad1 = _hist_rows(np.stack([_grad_bins(x) for x in lum_half]), GRAD_BINS)
    bands = np.stack([_band_energy(x) for x in lum])  # (T, BANDS)
    groups = [(colour, COLOR_WEIGHT), ([grad0, grad1, bands], 1.0 - COLOR_WEIGHT)]
    # each block is a unit vector; scale so the squared weights of a group sum to its weight
    parts = [b * np.sqrt(w / len(blocks)) for blocks, w in groups for b in blocks]
    return np.concatenate(parts, axis=1)  # (T, D), unit norm


class IdentityDrift(Metric):
    name = "identity_drift"
    # 2: gradient magnitudes by numpy (flow.magnitude_xy): cv2.magnitude's last bit varied with
    # memory alignment, which could move a pixel across a bin edge from one run to the next
    version = "2"
    group = "temporal"
    outputs = (
        Output("identity_drift", "cosine distance [0,2]", LOWER,
               "final drift from the first frame (mean of last 10 % of frames); timeline d(t) per frame",
               motion_confounded=True),
        # signed: a negative slope (drifting back) is not "better" than a flat one
        Output("identity_drift_slope", "distance/frame", UNDIRECTED,
               "least-squares slope of d(t)"),
    )

    def compute(self, video, case, ctx):
        small, _ = shared_analysis_frames(video, ctx)  # (T, h, w, 3) uint8, shared with flow
        return self.summarise(appearance_features(small))

    def accumulator(self, case):
        """Per-frame feature rows (85 floats a frame), the drift curve from them at the end."""
        from vbench_lite.metrics.stream import PairAccumulator

        return PairAccumulator(lambda chunk: (appearance_features(chunk.analysis()[0]),),
                               lambda arrays, info: self.summarise(arrays[0]))

    def summarise(self, features: np.ndarray) -> dict:
        curve = drift_curve(features)
        summary = drift_summary(curve)
        return {
            "identity_drift": Score(summary["final"], curve),
            "identity_drift_slope": Score(summary["slope"]),
        }
