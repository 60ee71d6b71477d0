"""A weight-free descriptor of one video's motion and appearance over time.

What ``video_kd`` and ``video_fd`` compare between a generated and a reference set.
No network: everything comes from the shared optical flow (``metrics.flow``, DIS at
the analysis resolution, longest side <= 384 px) and pixel statistics, so it runs on
a fresh install, on CPU, in a few ms per video beyond the flow.

Blocks (each a histogram, pooled over the pixels of all frame pairs or frames named):

=============  ====  ==================================================================
block          bins  what is histogrammed
=============  ====  ==================================================================
speed_early      8   |fw| / frame diagonal per frame, all pixels, first half of pairs
speed_late       8   the same over the second half (motion that stops, speeds up)
direction        9   flow angle weighted by |fw| (8 sectors) + a "still" bin
acceleration     9   |x(t+1) - 2 x(t) + x(t-1)| / diagonal: the second difference of a
                     pixel *tracked* through frame t (``fw[t] + bw[t-1]`` on t's grid),
                     per frame^2, on pixels both flows match; + an "untracked" bin
residual         9   per-pixel mean |RGB| of frame t+1 warped onto t minus frame t on
                     matched pixels (what motion does not explain: boiling, flicker);
                     + an "unmatched" bin
flicker          8   |block mean of that residual| over 16x16 blocks and channels
                     (``flicker.block_flicker``'s quantity: slow gain/colour changes)
change           8   per-pixel mean |RGB| of frame t+1 minus frame t, no motion
                     compensation: sees what the flow cannot follow (a shake larger
                     than the flow's search range on a small frame)
colour_early    24   CIE Lab L*, a*, b* (8 bins each), frames of the first half
colour_late     24   the same over the second half (objects that vanish or recolour)
gradient         8   |Sobel(L*)| of every frame (sharpness, texture)
=============  ====  ==================================================================

Pixels that fail the flow's forward-backward or motion-boundary test
(``PairFlows.valid_fw``) are *counted* in the extra bin of acceleration and
residual, not dropped: the worst breakage (a shake the flow cannot follow) must
move the descriptor further, not hide behind the mask.

Analysis frames of 128x128 px or more are sampled at every second pixel per axis for
the histograms (``SAMPLE_MIN_PIXELS``; a 240x416 frame still gives 25k samples per
pair): 0.3 s instead of 0.9 s for 49 frames of 480x832 on 2 cores, beyond the shared
flow (1.5-2.1 s there); a 32x32 probe of 32 frames: ~20 ms beyond its ~30 ms flow.

Magnitudes are binned on a log scale, ``u = log(x + x0)`` with ``x0`` the noise floor
of the quantity, in bins of equal width in ``u`` from ``x = 0`` to ``x_max``
(``SCALES``); colour bins are linear. Every value is split between its two nearest
bin centres in proportion to its distance (triangular "soft" binning), so a
histogram moves continuously, not in jumps, when motion speeds up by a few percent.
Flow is measured per frame, so videos compared should share a frame rate; dividing
by the diagonal makes the descriptor independent of resolution.

Embedding. Each block's histogram h_b (L1-normalised) enters as ``sqrt(w_b h_b)``
with block weights w_b = 1/10 (a colour block splits its weight over its three
channels): the Hellinger embedding, a unit vector. The squared Euclidean distance
of two descriptors is then the weighted mean of the blocks' squared Hellinger
distances ``|sqrt h - sqrt h'|^2`` in [0, 2], with no constant fitted to any data
set: the same video always gives the same vector, whatever it is compared with.
Equal weights: seven motion/change blocks and three appearance blocks, so a
temporal-consistency benchmark is mostly about change over time.

Limits: content-agnostic (what moves, not what it is: no semantics); the same
histogram of motion at other places is not seen; identical frame rate assumed.
"""

from __future__ import annotations

import cv2
import numpy as np

from vbench_lite.errors import UserError
from vbench_lite.metrics.flicker import BLOCK, MIN_VALID_FRACTION, block_means
from vbench_lite.metrics.flow import PairFlows, magnitude, magnitude_xy, shared_analysis_frames, video_flows

# bump with any change of blocks, bins, scales or weights (part of the protocol). 2: histograms
# summed per frame pair and per frame (v1 pooled all pixels into one histogram call), so a
# video streamed window by window gets the same vector as one held whole; v1 and v2 differ
# in the last bits of the histogram sums only
VERSION = "2"
MAG_BINS = 8
DIRECTION_SECTORS = 8
COLOUR_BINS = 8  # per Lab channel
SAMPLE_MIN_PIXELS = 128 * 128  # from this analysis-frame area on, histograms use every 2nd pixel per axis
# (noise floor x0, top of the range x_max) of each log-binned quantity:
# motion in frame diagonals per frame (1e-3 of the diagonal ~ DIS noise on a 64 px
# clip, 0.1 is a very fast pan); RGB residuals in [0, 1] (2e-3 is half an 8-bit level);
# Sobel magnitude of 8-bit L* (flat below ~2, strongest edges ~1400).
SCALES = {
    "speed": (1e-3, 0.1),
    "acceleration": (1e-3, 0.1),
    "residual": (2e-3, 0.5),
    "flicker": (5e-4, 0.2),
    "gradient": (2.0, 1500.0),
}
BLOCKS = (  # (name, number of bins), in descriptor order
    ("speed_early", MAG_BINS), ("speed_late", MAG_BINS), ("direction", DIRECTION_SECTORS + 1),
    ("acceleration", MAG_BINS + 1), ("residual", MAG_BINS + 1), ("flicker", MAG_BINS), ("change", MAG_BINS),
    ("colour_early", 3 * COLOUR_BINS), ("colour_late", 3 * COLOUR_BINS), ("gradient", MAG_BINS),
)
DIM = sum(n for _, n in BLOCKS)  # 115


def soft_histogram(coord: np.ndarray, nbins: int) -> np.ndarray:
    """Histogram of fractional bin coordinates ``coord`` (any shape; clipped to
    [0, nbins-1]) with triangular soft assignment: a value at 2.25 puts 3/4 of its
    weight in bin 2 and 1/4 in bin 3. Returns float64 (nbins,) un-normalised; nbins >= 2."""
    c = np.clip(np.asarray(coord, np.float32).ravel(), 0.0, nbins - 1)  # (N,)
    lo = np.minimum(c.astype(np.intp), nbins - 2)  # floor, as c >= 0; the top value goes to bin nbins-2 + 1
    up = np.bincount(lo, weights=c - lo, minlength=nbins - 1)  # (nbins-1,) the share moving one bin up
    hist = np.zeros(nbins)
    hist[:-1] = np.bincount(lo, minlength=nbins - 1) - up
    hist[1:] += up
    return hist


def log_coord(x: np.ndarray, scale: tuple[float, float], nbins: int = MAG_BINS) -> np.ndarray:
    """Fractional bin coordinate (float32) of non-negative ``x`` on the log scale of
    ``scale`` = (x0, x_max): 0 at x = 0, nbins-1 at x = x_max."""
    x0, top = scale
    return np.log1p(np.asarray(x, np.float32) * np.float32(1.0 / x0)) * np.float32((nbins - 1) / np.log1p(top / x0))


def _normalised(h: np.ndarray) -> np.ndarray:
    total = h.sum()
    if not np.isfinite(total) or total <= 0:  # nothing to count (no valid pixel): uniform, not 0/0
        return np.full(h.shape, 1.0 / h.size)
    return h / total


def _with_unmatched(values: np.ndarray, valid: np.ndarray, scale: tuple[float, float]) -> np.ndarray:
    """MAG_BINS soft log bins of ``values`` on ``valid`` pixels (same shape) + one bin
    counting the others, (MAG_BINS + 1,) un-normalised."""
    h = soft_histogram(log_coord(values[valid], scale), MAG_BINS)
    return np.append(h, float(valid.size - np.count_nonzero(valid)))


def _sample_grid(h: int, w: int) -> tuple[slice, slice]:
    """Every pixel, or every second one per axis on frames of ``SAMPLE_MIN_PIXELS`` or
    more (a 240x416 analysis frame still gives 25k samples per histogram per pair)."""
    step = 2 if h * w >= SAMPLE_MIN_PIXELS else 1
    return slice(None, None, step), slice(None, None, step)


def _direction_histogram(fw: np.ndarray, mag: np.ndarray) -> np.ndarray:
    """(DIRECTION_SECTORS + 1,) un-normalised: flow angle of ``fw`` (..., 2) in 8 sectors
    (circular soft assignment) weighted by speed ``mag`` (...), plus the "still" bin: the
    noise floor per pixel."""
    sector = (np.arctan2(fw[..., 1], fw[..., 0]).ravel() % (2 * np.pi)) * (DIRECTION_SECTORS / (2 * np.pi))
    lo = np.floor(sector)
    frac = sector - lo
    lo = lo.astype(np.int64) % DIRECTION_SECTORS
    m = mag.ravel().astype(np.float64)
    hist = (np.bincount(lo, m * (1 - frac), DIRECTION_SECTORS)
            + np.bincount((lo + 1) % DIRECTION_SECTORS, m * frac, DIRECTION_SECTORS))
    return np.append(hist, SCALES["speed"][0] * m.size)


def _block_residuals(r: np.ndarray, valid: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """|mean of the residual r (h, w, 3) over the matched pixels of each 16x16 block| for
    blocks with enough matched pixels (as ``flicker.block_flicker``), flattened."""
    fm = valid.astype(np.float32)  # (h, w)
    frac_valid = block_means(fm, BLOCK)  # (hb, wb)
    keep = frac_valid >= MIN_VALID_FRACTION * inside
    if keep.any():
        means = block_means(r * fm[..., None], BLOCK).reshape(*keep.shape, 3)[keep] / frac_valid[keep][:, None]
    else:  # nothing trustworthy: every block with every pixel
        means = block_means(r, BLOCK).reshape(-1, 3) / inside.reshape(-1, 1)
    return np.abs(means).ravel()


_PAIR_COLUMNS = (("speed", MAG_BINS), ("direction", DIRECTION_SECTORS + 1), ("acceleration", MAG_BINS + 1),
                 ("residual", MAG_BINS + 1), ("flicker", MAG_BINS), ("change", MAG_BINS))
_FRAME_COLUMNS = (("colour", 3 * COLOUR_BINS), ("gradient", MAG_BINS))


def _columns(spec) -> dict[str, slice]:
    out, start = {}, 0
    for name, n in spec:
        out[name] = slice(start, start + n)
        start += n
    return out


PAIR_COLUMNS, FRAME_COLUMNS = _columns(_PAIR_COLUMNS), _columns(_FRAME_COLUMNS)


def pair_rows(flows: PairFlows, before: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Un-normalised speed, direction, acceleration, residual, flicker and change histograms
    of each pair of ``flows`` (module docstring), float64 (P, 51) in ``PAIR_COLUMNS`` order.

    ``before``: (bw, valid_bw) of the pair before ``flows``' first (a window of a longer
    video, ``stream.FrameChunk.previous_pair``), so its first pair has an acceleration; a
    pair without one (the video's first) has an all-zero acceleration histogram."""
    p, h, w = flows.fw.shape[:3]
    diag = float(np.hypot(h, w))  # analysis px; flow / diag is resolution-free
    gy, gx = _sample_grid(h, w)
    inside = block_means(np.ones((h, w), np.float32), BLOCK)  # (hb, wb) in-frame fraction of each block
    rows = np.zeros((p, PAIR_COLUMNS["change"].stop))
    for t in range(p):
        row = rows[t]
        fw, valid = flows.fw[t][gy, gx], flows.valid_fw[t][gy, gx]  # (h', w', 2), (h', w') sampled pixels
        mag = magnitude(fw) / diag  # (h', w') diagonals/frame
        row[PAIR_COLUMNS["speed"]] = soft_histogram(log_coord(mag, SCALES["speed"]), MAG_BINS)
        row[PAIR_COLUMNS["direction"]] = _direction_histogram(fw, mag)
        prev = (flows.bw[t - 1], flows.valid_bw[t - 1]) if t else before
        if prev is not None:  # a pixel of frame t tracked to t-1 and t+1: central second difference
            acc = magnitude(fw + prev[0][gy, gx]) / diag  # (h', w') diagonals/frame^2
            row[PAIR_COLUMNS["acceleration"]] = _with_unmatched(acc, valid & prev[1][gy, gx], SCALES["acceleration"])
        pred = flows.warped_next(t)  # (h, w, 3) frame t+1 seen from t
        r = pred - flows.frames[t]  # (h, w, 3) in [-1, 1]
        row[PAIR_COLUMNS["residual"]] = _with_unmatched(np.abs(r[gy, gx]).mean(-1), valid, SCALES["residual"])
        blocks = _block_residuals(r, flows.valid_fw[t], inside)
        row[PAIR_COLUMNS["flicker"]] = soft_histogram(log_coord(blocks, SCALES["flicker"]), MAG_BINS)
        change = np.abs(flows.frames[t + 1][gy, gx] - flows.frames[t][gy, gx]).mean(-1)  # (h', w') in [0, 1]
        row[PAIR_COLUMNS["change"]] = soft_histogram(log_coord(change, SCALES["residual"]), MAG_BINS)
    return rows


def frame_rows(small: np.ndarray) -> np.ndarray:
    """Un-normalised Lab colour (8 bins per channel) and gradient histograms of each uint8
    analysis frame (T, h, w, 3) RGB, float64 (T, 32) in ``FRAME_COLUMNS`` order."""
    gy, gx = _sample_grid(*small.shape[1:3])
    rows = np.zeros((len(small), FRAME_COLUMNS["gradient"].stop))
    for t, f in enumerate(small):
        lab = cv2.cvtColor(f, cv2.COLOR_RGB2LAB)  # (h, w, 3) uint8, OpenCV 8-bit Lab
        lum = lab[..., 0]
        grad = magnitude_xy(cv2.Sobel(lum, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(lum, cv2.CV_32F, 0, 1, ksize=3))
        rows[t, FRAME_COLUMNS["gradient"]] = soft_histogram(log_coord(grad[gy, gx], SCALES["gradient"]), MAG_BINS)
        coord = lab[gy, gx].astype(np.float32) * np.float32((COLOUR_BINS - 1) / 255.0)  # bins at 0 and 255, linear
        rows[t, FRAME_COLUMNS["colour"]] = np.concatenate([soft_histogram(coord[..., c], COLOUR_BINS)
                                                           for c in range(3)])
    return rows


def blocks_from_rows(pairs: np.ndarray, frames: np.ndarray) -> dict[str, np.ndarray]:
    """The descriptor's block histograms (L1-normalised) from a whole video's ``pair_rows``
    (P, 51) and ``frame_rows`` (T, 32): summed over pairs / frames (early and late halves:
    the first max(1, P // 2) pairs, max(1, T // 2) frames)."""
    p, t = len(pairs), len(frames)
    half_p, half_t = max(1, p // 2), max(1, t // 2)
    col = lambda rows, name: rows[:, PAIR_COLUMNS[name]].sum(0)  # noqa: E731
    accel = col(pairs, "acceleration")
    if p < 2:  # no middle frame: no measurable acceleration
        accel = np.append(np.ones(1), np.zeros(MAG_BINS))
    out = {
        "speed_early": _normalised(pairs[:half_p, PAIR_COLUMNS["speed"]].sum(0)),
        "speed_late": _normalised(pairs[half_p:, PAIR_COLUMNS["speed"]].sum(0)),
        "direction": _normalised(col(pairs, "direction")), "acceleration": _normalised(accel),
        "residual": _normalised(col(pairs, "residual")), "flicker": _normalised(col(pairs, "flicker")),
        "change": _normalised(col(pairs, "change")),
        "gradient": _normalised(frames[:, FRAME_COLUMNS["gradient"]].sum(0)),
    }
    late = slice(half_t, None) if t >= 2 else slice(0, 1)  # a single frame is its own "late" half
    for name, part in (("colour_early", slice(0, half_t)), ("colour_late", late)):
        colour = frames[part, FRAME_COLUMNS["colour"]].sum(0)  # (3 * COLOUR_BINS,)
        out[name] = np.concatenate([_normalised(colour[c * COLOUR_BINS:(c + 1) * COLOUR_BINS]) / 3
                                    for c in range(3)])  # each channel 1/3 of the block
    return out


class DescriptorState:
    """The histogram rows of a video fed in order, window by window (``add``), and its
    descriptor at the end: what streaming keeps (83 floats per frame)."""

    def __init__(self):
        self.pairs: list[np.ndarray] = []
        self.frames: list[np.ndarray] = []

    def add(self, pairs: np.ndarray, frames: np.ndarray) -> None:
        """``pair_rows`` of the next pairs and ``frame_rows`` of the next frames."""
        self.pairs.append(pairs)
        self.frames.append(frames)

    def descriptor(self) -> np.ndarray:
        pairs, frames = np.concatenate(self.pairs), np.concatenate(self.frames)
        if len(frames) < 2:
            raise UserError(f"the video descriptor needs at least 2 frames, video has {len(frames)}")
        return embed(blocks_from_rows(pairs, frames))


def embed(blocks: dict[str, np.ndarray]) -> np.ndarray:
    """Hellinger embedding of the block histograms: (DIM,) float64 unit vector."""
    weight = 1.0 / len(BLOCKS)
    parts = []
    for name, n in BLOCKS:
        h = np.asarray(blocks[name], np.float64)
        if h.shape != (n,):
            raise UserError(f"descriptor block {name} must have {n} bins, got shape {h.shape}")
        parts.append(np.sqrt(np.clip(h, 0.0, None) * weight))
    return np.concatenate(parts)  # (DIM,)


def video_descriptor(video, ctx=None) -> np.ndarray:
    """The (DIM,) float64 descriptor of ``video`` (module docstring), using the flows
    and analysis frames memoised in ``ctx`` (``VideoContext``) when given."""
    if video.num_frames < 2:
        raise UserError(f"the video descriptor needs at least 2 frames, video has {video.num_frames}")
    small, _ = shared_analysis_frames(video, ctx)  # (T, h, w, 3) uint8
    state = DescriptorState()
    state.add(pair_rows(video_flows(video, ctx)), frame_rows(small))
    return state.descriptor()


def chunk_rows(chunk) -> tuple[np.ndarray, np.ndarray]:
    """(``pair_rows``, ``frame_rows``) of a ``stream.FrameChunk``, memoised in the chunk
    (``video_kd`` and ``video_fd`` share them)."""
    return chunk.get("descriptor_rows", lambda: (pair_rows(chunk.flows("dis"), chunk.previous_pair("dis")),
                                                 frame_rows(chunk.analysis()[0])))


def block_slices() -> dict[str, slice]:
    """Where each block lives in the descriptor (for reading a descriptor back)."""
    out, start = {}, 0
    for name, n in BLOCKS:
        out[name] = slice(start, start + n)
        start += n
    return out
