"""Motion: how much the video moves, from the shared optical flow.

Per frame pair: the mean flow magnitude and the mean of its top 5 % (fast parts of
the frame, e.g. a moving subject over a still background), in full-resolution
pixels per frame, and the mean normalised by the frame diagonal (so videos of
different sizes compare). The x-axis of the motion-vs-flicker plot.

Ranges: ``motion_px`` >= 0 px/frame (0 for a static video; DIS noise on a
still textured frame is < 0.05 px), ``motion_norm`` >= 0 (fraction of the diagonal
per frame). "Higher is better" is not a quality judgement here: more motion is
what a motion knob asks for, so these outputs declare no direction: reports plot
them, never rank by them, and ``motion_px`` is the motion that comparisons weigh
trade-offs against (``measures_motion``).
"""

from __future__ import annotations

import numpy as np

from vbench_lite.metrics._temporal import FlowMetric
from vbench_lite.metrics.base import UNDIRECTED, Output, Score
from vbench_lite.metrics.flow import PairFlows

TOP_FRACTION = 0.05  # "top-5 %" of pixels by flow magnitude


def _magnitude64(f: np.ndarray) -> np.ndarray:
    """|f| of a (h, w, 2) field as a fresh contiguous float64 (h*w,) array. Elementwise
    numpy ops are exact IEEE operations whatever the memory layout; OpenCV's
    ``cv2.magnitude`` on the strided channel views gave results that differed in the
    last bit with the arrays' alignment, so identical runs stored different timelines."""
    fx = np.ascontiguousarray(f[..., 0], dtype=np.float64).ravel()
    fy = np.ascontiguousarray(f[..., 1], dtype=np.float64).ravel()
    return np.sqrt(fx * fx + fy * fy)


def flow_magnitudes(flows: PairFlows) -> tuple[np.ndarray, np.ndarray]:
    """Per-pair mean (P,) and top-5 % mean (P,) flow magnitude, full-res px/frame.

    Bit-identical for identical flows: per pair, float64 magnitudes in a freshly
    allocated (aligned) array, reduced in numpy's fixed pairwise order. One pair at a
    time, so memory is one frame's magnitudes, not the whole video's."""
    means, tops = [], []
    for f in flows.fw:
        mag = _magnitude64(f) / flows.scale  # (h*w,) full-res px
        k = max(1, int(round(TOP_FRACTION * mag.size)))
        top = np.partition(mag, mag.size - k)[-k:]  # (k,) largest magnitudes
        means.append(mag.mean())
        tops.append(np.sort(top).mean())  # sorted: the sum's order does not depend on the partition's
    return np.array(means), np.array(tops)


class Motion(FlowMetric):
    name = "motion"
    version = "2"  # 2: float64 magnitudes, bit-identical across runs (1 used cv2.magnitude in float32)
    outputs = (
        Output("motion_px", "px/frame", UNDIRECTED, "mean flow magnitude; timeline per pair",
               measures_motion=True),
        Output("motion_top5_px", "px/frame", UNDIRECTED, "mean of the fastest 5 % of pixels"),
        Output("motion_norm", "diagonal/frame", UNDIRECTED, "motion_px divided by the frame diagonal"),
    )

    def per_pair(self, flows, chunk=None):
        return flow_magnitudes(flows)

    def summarise(self, arrays, video):
        mean, top = arrays
        diag = float(np.hypot(video.height, video.width))
        return {
            "motion_px": Score(float(mean.mean()), mean),
            "motion_top5_px": Score(float(top.mean()), top),
            "motion_norm": Score(float(mean.mean()) / diag, mean / diag),
        }
