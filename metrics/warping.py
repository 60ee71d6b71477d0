"""Flow warping error (Lai et al. 2018, "Learning Blind Video Temporal Consistency").

For each pair (t, t+1): warp frame t+1 onto frame t with the flow (sample frame t+1
at x + fw[t](x)), and average the squared RGB error over non-occluded pixels:

    E_t = sum_x M_t(x) ||I_t(x) - warp(I_{t+1})(x)||^2 / sum_x M_t(x)

with RGB in [0, 1] and the squared norm summed over the three channels, as in Lai
et al.'s evaluation script (it divides by the pixel count of the mask, not by 3x).
M_t is the non-occlusion mask (``flow.occlusion``). Measured at the analysis
resolution of ``vbench_lite.metrics.flow`` (longest side 384 px).

Range: 0 (perfectly consistent) to 3; natural videos are ~1e-3. Higher is worse.
A sub-pixel pan of a photograph scores ~1e-4 (interpolation loss); flicker,
popping and shuffled frames raise it.
"""

from __future__ import annotations

import numpy as np

from vbench_lite.metrics._temporal import FlowMetric
from vbench_lite.metrics.base import LOWER, UNDIRECTED, Output, Score
from vbench_lite.metrics.flow import PairFlows, masked_mean


def warping_errors(flows: PairFlows) -> tuple[np.ndarray, np.ndarray]:
    """Per-pair warping error (P,) and occluded fraction (P,) from shared flows."""
    errs, occ = [], []
    for t in range(len(flows.fw)):
        pred = flows.warped_next(t)  # (h, w, 3) frame t+1 seen from t
        d = pred - flows.frames[t]  # (h, w, 3)
        sq = d[..., 0] * d[..., 0] + d[..., 1] * d[..., 1] + d[..., 2] * d[..., 2]  # (h, w) squared RGB error
        errs.append(masked_mean(sq, flows.valid_fw[t]))
        occ.append(1.0 - flows.valid_fw[t].mean())
    return np.asarray(errs, np.float64), np.asarray(occ, np.float64)


class WarpingError(FlowMetric):
    name = "warping_error"
    version = "1"
    outputs = (
        Output("warping_error", "mse [0,1]^2 (RGB sum)", LOWER,
               "mean over frame pairs of the occlusion-masked warping error; timeline per pair",
               motion_confounded=True),
        Output("warping_error_max", "mse [0,1]^2 (RGB sum)", LOWER,
               "worst frame pair (locates seams in long videos)", motion_confounded=True),
        # more motion occludes more: a property of the content, not a quality
        Output("warping_occluded", "fraction", UNDIRECTED,
               "mean fraction of pixels excluded as occluded or inconsistent"),
    )

    def per_pair(self, flows, chunk=None):
        return warping_errors(flows)

    def summarise(self, arrays, video):
        errs, occ = arrays
        return {
            "warping_error": Score(float(errs.mean()), errs),
            "warping_error_max": Score(float(errs.max())),
            "warping_occluded": Score(float(occ.mean()), occ),
        }
