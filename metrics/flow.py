"""Optical flow for all consecutive frame pairs, computed once per video and shared.

``video_flows(video, ctx)`` returns a ``PairFlows``: forward and backward flow for every
pair (t, t+1), the frames they were computed on, and occlusion masks from the
forward-backward consistency and motion-boundary tests of Lai et al. 2018 ("Learning
Blind Video Temporal Consistency", ECCV; their public ``detect_occlusion``), which follow
Sundaram et al. 2010 / Ruder et al. 2016. Metrics read it through
``ctx.get("flow:dis", ...)``, so warping error, motion and smoothness pay for flow once.

Analysis resolution and DIS configuration
    Flow is computed on frames area-downsampled by the integer factor k that brings
    the longest side nearest ``ANALYSIS_TARGET_SIDE`` = 384 px (480x832 -> 240x416;
    never upsampled; an integer factor keeps OpenCV on its fast path). Measured on a
    sub-pixel-shifted photograph (skimage astronaut, 480x832, shifts (1.3, -0.7) and
    (5.6, 2.3) px, 2 cores), end-point error in full-resolution px: DIS MEDIUM
    0.07 px at full size (30 ms/flow), 0.13 px at 512 px (14 ms), 0.18 px at 384 px
    (8 ms); ULTRAFAST and FAST stay at 0.25-0.6 px at any size, because their finest
    pyramid level is 1/4 resolution. ULTRAFAST with finest scale 1 and 5 variational
    refinement iterations ("refined") is as accurate as MEDIUM (0.17 vs 0.18 px at
    240x416) at ~60 % of its CPU time (benchmarks/temporal.md), so 96 flows of a
    49-frame clip fit the 2 s budget. Everything built on the flow
    (warping error, occlusion thresholds) is measured at the analysis resolution,
    which also makes numbers comparable across video sizes; metrics that report
    pixels rescale to full-resolution pixels with ``PairFlows.scale``.

Conventions
    ``fw[t]`` (h, w, 2) maps a pixel x of frame t to x + fw[t](x) in frame t+1 (x, y
    order, analysis pixels); ``bw[t]`` maps frame t+1 back to frame t. ``warp(img,
    flow)`` samples ``img`` at x + flow(x) ("backward warping"), so
    ``warp(frame[t+1], fw[t])`` predicts frame t.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np

from vbench_lite.errors import UserError

ANALYSIS_TARGET_SIDE = 384  # px, longest side of the analysis frames (see module docstring)
# DIS configurations: OpenCV preset + overrides (finest pyramid scale, variational
# refinement iterations). "refined" = ULTRAFAST's patch search, but down to half
# resolution (finest scale 1 instead of 2) with 5 refinement iterations: as accurate
# as MEDIUM on sub-pixel motion at about half its cost (module docstring; the choice
# is re-checked by tests/test_flow.py::test_default_dis_config_is_accurate_and_presets_are_not).
DIS_CONFIGS = {
    "ultrafast": (cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, {}),
    "fast": (cv2.DISOPTICAL_FLOW_PRESET_FAST, {}),
    "medium": (cv2.DISOPTICAL_FLOW_PRESET_MEDIUM, {}),
    "refined": (cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, {"FinestScale": 1, "VariationalRefinementIterations": 5}),
}
DIS_PRESET = "refined"  # the default configuration
# Lai et al. 2018 occlusion test, squared magnitudes in (analysis px)^2:
# |fw + bw_w|^2 > ALPHA (|fw|^2 + |bw_w|^2) + BETA, motion boundary
# |grad fw|^2 > MB_ALPHA |fw|^2 + MB_BETA.
FB_ALPHA, FB_BETA = 0.01, 0.5
MB_ALPHA, MB_BETA = 0.01, 0.002
BACKENDS = ("dis", "raft-large", "raft-small")
# DIS refuses frames under 12 px and returns NaN on very thin ones (measured: 9x300);
# smaller frames are reflect-padded to this size for the flow and cropped back
MIN_FLOW_SIDE = 32


@dataclass
class PairFlows:
    """Flows of all consecutive pairs of one video (P = T - 1 pairs).

    frames: (T, h, w, 3) float32 RGB in [0, 1] at analysis resolution.
    fw, bw: (P, h, w, 2) float32, analysis px per frame (see module conventions).
    valid_fw: (P, h, w) bool, pixel of frame t has a trustworthy match in t+1.
    valid_bw: (P, h, w) bool, pixel of frame t+1 has a trustworthy match in t.
    scale: analysis px per full-resolution px (<= 1); divide flow by it for full px.
    """

    frames: np.ndarray
    fw: np.ndarray
    bw: np.ndarray
    valid_fw: np.ndarray
    valid_bw: np.ndarray
    scale: float
    backend: str
    # frame t+1 warped onto frame t, per pair, kept when a dict (flows of a streamed window,
    # ``stream.FrameChunk.flows``: a bounded number of pairs); None: computed on every call
    warped: dict | None = field(default=None, repr=False, compare=False)

    def warped_next(self, t: int) -> np.ndarray:
        """``warp(frames[t + 1], fw[t])``: frame t+1 seen from frame t, (h, w, 3) float32; what
        warping error, flicker and the video descriptor each read (kept in ``warped``)."""
        if self.warped is None:
            return warp(self.frames[t + 1], self.fw[t])[0]
        if t not in self.warped:
            self.warped[t] = warp(self.frames[t + 1], self.fw[t])[0]
        return self.warped[t]


def analysis_factor(height: int, width: int, target: int = ANALYSIS_TARGET_SIDE) -> int:
    """Integer downsampling factor k >= 1 that brings the longest side nearest ``target``,
    never leaving the shortest side under ``MIN_FLOW_SIDE``."""
    k = max(1, round(max(height, width) / target))
    return max(1, min(k, min(height, width) // MIN_FLOW_SIDE))


def analysis_frames(frames: np.ndarray, target: int = ANALYSIS_TARGET_SIDE) -> tuple[np.ndarray, float]:
    """Area-downsample uint8 (T, H, W, 3) by the integer factor k of ``analysis_factor``.

    Returns (uint8 (T, H//k, W//k, 3), scale = 1/k). The last H % k rows and W % k
    columns are dropped (< k px) so every output pixel averages exactly k x k inputs:
    OpenCV's integer-factor area path is ~10x faster than a fractional one.
    """
    t, h, w, _ = frames.shape
    k = analysis_factor(h, w, target)
    if k == 1:
        return frames, 1.0
    hk, wk = h // k, w // k
    crop = frames[:, : hk * k, : wk * k]
    small = np.stack([cv2.resize(f, (wk, hk), interpolation=cv2.INTER_AREA) for f in crop])
    return small, 1.0 / k


def shared_analysis_frames(video, ctx) -> tuple[np.ndarray, float]:
    """``analysis_frames`` of ``video``, memoised in ``ctx`` (flow and identity share them)."""
    compute = lambda: analysis_frames(video.frames)
    return compute() if ctx is None else ctx.get(f"frames:{ANALYSIS_TARGET_SIDE}", compute)


def warp(image: np.ndarray, flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``image`` (h, w[, C]) float32 at x + flow(x), bilinear.

    Returns (warped (h, w[, C]), inside (h, w) bool): ``inside`` is False where the
    sample point leaves the frame -- those pixels have no correspondence.
    """
    h, w = flow.shape[:2]
    gx, gy = _grid(h, w)  # (h, w) each
    mx = gx + flow[..., 0]  # (h, w)
    my = gy + flow[..., 1]
    out = cv2.remap(image, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    inside = (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
    return out, inside


@lru_cache(maxsize=8)
def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    return np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))


def _sq(f: np.ndarray) -> np.ndarray:
    """Squared magnitude of a (..., 2) vector field (per-channel products measured
    ~5x faster than einsum or ``(f**2).sum(-1)`` on (240, 416, 2) float32)."""
    return f[..., 0] * f[..., 0] + f[..., 1] * f[..., 1]


def magnitude(f: np.ndarray) -> np.ndarray:
    """Magnitude of a (h, w, 2) float32 vector field, (h, w) float32.

    Numpy's elementwise float32 products, sum and square root are each one correctly
    rounded IEEE operation, so the result depends on the values alone. ``cv2.magnitude``
    does not: measured, its result changed in the last bit with the inputs' address modulo
    8 bytes (a fresh array's alignment varies from call to call), so one video could score
    differently in two runs, or held whole and streamed (``metrics.stream``)."""
    return magnitude_xy(f[..., 0], f[..., 1])


def magnitude_xy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """sqrt(x^2 + y^2) of two float32 arrays, alignment-independent (``magnitude``)."""
    out = np.multiply(x, x, dtype=np.float32)
    out += np.multiply(y, y, dtype=np.float32)
    return np.sqrt(out, out=out)


def occlusion(fw: np.ndarray, bw: np.ndarray) -> np.ndarray:
    """Occluded pixels of the source frame of ``fw`` (h, w) bool.

    Forward-backward check and motion-boundary check of Lai et al. 2018, plus pixels
    whose match leaves the frame.
    """
    bw_w, inside = warp(bw, fw)  # bw at the matched point, (h, w, 2)
    fw2 = _sq(fw)  # (h, w)
    occ = _sq(fw + bw_w) > FB_ALPHA * (fw2 + _sq(bw_w)) + FB_BETA
    # forward differences, as in Lai et al.'s compute_flow_gradients (0 on the last row/column)
    grad2 = np.zeros_like(fw2)  # (h, w)
    grad2[:, :-1] += _sq(fw[:, 1:] - fw[:, :-1])
    grad2[:-1] += _sq(fw[1:] - fw[:-1])
    occ |= grad2 > MB_ALPHA * fw2 + MB_BETA
    occ |= ~inside
    return occ


def make_dis(config: str = DIS_PRESET):
    """An OpenCV DIS instance for a name in ``DIS_CONFIGS``."""
    if config not in DIS_CONFIGS:
        raise UserError(f"unknown DIS configuration {config!r}; choose one of {', '.join(DIS_CONFIGS)}")
    preset, overrides = DIS_CONFIGS[config]
    dis = cv2.DISOpticalFlow_create(preset)
    for name, value in overrides.items():
        getattr(dis, f"set{name}")(value)
    return dis


def _in_two_threads(jobs: list) -> list:
    """Run the callables ``jobs`` (two) in two threads when OpenCV may use more than one
    (``cv2.getNumThreads() > 1``: a process that owns several cores), else one after
    the other. For work that releases the GIL (OpenCV calls, large numpy ufuncs).
    Measured on 2 shared cores (load ~2.5; 49x480x832): the 96 DIS flows took 0.36 s
    as a forward and a backward chain in two threads, 0.50 s one after the other with
    DIS's own threads (median of 4).
    Each job's result is the same either way (DIS is deterministic per call)."""
    if cv2.getNumThreads() <= 1 or len(jobs) < 2:
        return [job() for job in jobs]
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(jobs), thread_name_prefix="vbench-lite-flow") as pool:
        # in the caller's context: its numpy error state (np.errstate) holds in the threads too
        futures = [pool.submit(contextvars.copy_context().run, job) for job in jobs]
        return [f.result() for f in futures]


def dis_flow_pairs(gray: np.ndarray, config: str = DIS_PRESET) -> tuple[np.ndarray, np.ndarray]:
    """DIS flow for every consecutive pair of uint8 (T, h, w) gray frames.

    Returns (fw, bw), each (T-1, h, w, 2) float32. The forward and the backward chain
    run in two threads when OpenCV has more than one (``_in_two_threads``; one DIS
    instance each), else one after the other: the flows are the same either way.
    """
    t, h, w = gray.shape
    ph, pw = max(0, MIN_FLOW_SIDE - h), max(0, MIN_FLOW_SIDE - w)
    if ph or pw:  # tiny frames: reflect-pad, compute, crop back
        gray = np.stack([cv2.copyMakeBorder(g, 0, ph, 0, pw, cv2.BORDER_REFLECT) for g in gray])
    # each flow goes to its slot as it is made (no list of flows and a stacked copy: half
    # the peak memory). Not ``calc(a, b, out)``: DIS takes a non-empty ``out`` as its
    # initial flow, which changes the result (measured: up to 1.2 px)
    fw = np.empty((t - 1, h + ph, w + pw, 2), np.float32)  # (P, h, w, 2)
    bw = np.empty((t - 1, h + ph, w + pw, 2), np.float32)

    def chain(src, dst, out):
        dis = make_dis(config)
        for i in range(len(out)):
            out[i] = dis.calc(src[i], dst[i], None)

    _in_two_threads([lambda: chain(gray[:-1], gray[1:], fw), lambda: chain(gray[1:], gray[:-1], bw)])
    if ph or pw:
        return np.ascontiguousarray(fw[:, :h, :w]), np.ascontiguousarray(bw[:, :h, :w])
    return fw, bw


def pair_flows(small: np.ndarray, scale: float, backend: str = "dis", raft_path=None) -> PairFlows:
    """Flows and occlusion masks of analysis frames uint8 (T, h, w, 3) RGB."""
    if backend not in BACKENDS:
        raise UserError(f"unknown flow backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == "dis":
        gray = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in small])  # (T, h, w)
        fw, bw = dis_flow_pairs(gray)
    else:
        from vbench_lite.metrics._raft import load_raft, raft_flow_pairs

        fw, bw = raft_flow_pairs(small, load_raft(backend, raft_path))
    # a failed flow (NaN, inf) is not a match. A finite sum proves every value finite, at
    # a fraction of the cost of the elementwise test, which runs only when it is not (a
    # sum that overflows float32 takes the exact path too: the result is the same)
    finite = None
    if not (np.isfinite(fw.sum()) and np.isfinite(bw.sum())):
        finite = np.isfinite(fw).all(-1) & np.isfinite(bw).all(-1)  # (P, h, w)
        fw, bw = np.nan_to_num(fw, copy=False), np.nan_to_num(bw, copy=False)
    valid_fw = np.empty(fw.shape[:3], bool)  # (P, h, w)
    valid_bw = np.empty(fw.shape[:3], bool)

    def masks(src, dst, out):
        for t in range(len(out)):
            np.logical_not(occlusion(src[t], dst[t]), out=out[t])

    _in_two_threads([lambda: masks(fw, bw, valid_fw), lambda: masks(bw, fw, valid_bw)])
    if finite is not None:
        valid_fw &= finite
        valid_bw &= finite
    rgb = np.divide(small, np.float32(255.0), dtype=np.float32)  # (T, h, w, 3), = astype(float32) / 255
    return PairFlows(rgb, fw, bw, valid_fw, valid_bw, float(scale), backend)


def compute_pair_flows(frames: np.ndarray, backend: str = "dis", raft_path=None) -> PairFlows:
    """``PairFlows`` of full-resolution uint8 (T, H, W, 3) RGB frames (no memo)."""
    small, scale = analysis_frames(frames)
    return pair_flows(small, scale, backend, raft_path)


def video_flows(video, ctx, backend: str = "dis", raft_path=None) -> PairFlows:
    """The shared ``PairFlows`` of ``video`` from ``ctx`` (key ``"flow:<backend>"``)."""
    compute = lambda: pair_flows(*shared_analysis_frames(video, ctx), backend, raft_path)
    return compute() if ctx is None else ctx.get(f"flow:{backend}", compute)


def masked_mean(values: np.ndarray, mask: np.ndarray) -> float:
    """Mean of ``values`` (h, w) over ``mask``; over all pixels when the mask is empty
    (a pair with no trustworthy match must not read as a perfect one)."""
    n = int(mask.sum())
    return float(values[mask].mean()) if n else float(values.mean())
