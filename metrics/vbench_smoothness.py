"""VBench's motion_smoothness: the steps around the AMT-S interpolator.

VBench 0.1.5 (motion_smoothness.py:279-413) scores a video by how well a frame
interpolator recovers the frames it drops:

1. decode every frame with ``cv2.VideoCapture``, RGB (:279-291);
2. keep the even frames 0, 2, 4, ... (``extract_frame(start_from=0)``, :309-313, :366);
3. each to float32 ``(1, 3, H, W) / 255`` (amt utils ``img2tensor``, utils.py:80-83),
   replicate-padded to multiples of 16, centred (amt ``InputPadder``, utils.py:54-60;
   divisor ``int(16 / scale)`` with ``scale`` 1 on CPU and on any GPU whose memory
   covers the frame, :339-377);
4. AMT-S predicts the middle frame of each consecutive pair (``embt`` = 0.5, :353, :390),
   one interpolation round (``niters`` 1, :321);
5. the prediction is unpadded and made uint8 by ``(x * 255).clip(0, 255)`` truncated
   (``tensor2img``, utils.py:86-89);
6. per dropped (odd) frame the mean ``cv2.absdiff`` with its prediction (:402-413);
   per video ``(255 - mean over frames) / 255`` (:397-399), in [0, 1], higher is smoother.
   The dimension's aggregate is the mean over videos (:424; :437 with several ranks).

``smoothness_value`` does 2-6 with any interpolator; the AMT-S network itself is not
implemented in vbench-lite, so the ``vbench_motion_smoothness`` metric is a skip with
that reason wherever it runs -- never a number from another interpolator under
VBench's name. The project's own weight-free ``motion_smoothness`` metric (flow
acceleration, ``metrics/smoothness.py``) measures the same failure.
"""

from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

from vbench_lite.metrics.base import HIGHER, NEEDS_BACKBONE, Metric, MetricSkipped, Output, VideoContext

AMT_PAD = 16  # AMT's InputPadder divisor at scale 1 (motion_smoothness.py:377)
UNAVAILABLE = ("AMT-S architecture not implemented in vbench-lite (VBench's motion_smoothness needs the AMT-S "
               "frame interpolator, amt-s.pth); no stand-in number is reported under VBench's name")

# (k-1, 3, h, w) float32 predictions in [0, 1] of the middle frames of (img0, img1) pairs
Interpolator = Callable[["object", "object"], "object"]


def amt_padding(height: int, width: int) -> tuple[int, int, int, int]:
    """(left, right, top, bottom) replicate padding to multiples of 16, centred (AMT
    utils.py:56-60)."""
    ph, pw = -height % AMT_PAD, -width % AMT_PAD
    return pw // 2, pw - pw // 2, ph // 2, ph - ph // 2


def smoothness_value(frames: np.ndarray, interpolate: Interpolator) -> tuple[float, np.ndarray]:
    """VBench's per-video motion smoothness of uint8 (T, H, W, 3) RGB frames, with
    ``interpolate(img0, img1)`` predicting middle frames of padded float32 (B, 3, h, w)
    batches in [0, 1]. Returns (value in [0, 1], per-dropped-frame mean |diff| 0..255)."""
    import torch

    even, odd = frames[0::2], frames[1::2]  # kept (k, H, W, 3), dropped
    if len(even) < 2:
        raise MetricSkipped(f"needs at least 3 frames (two kept frames around a dropped one), got {len(frames)}")
    h, w = frames.shape[1:3]
    left, right, top, bottom = amt_padding(h, w)
    x = torch.from_numpy(np.ascontiguousarray(even)).permute(0, 3, 1, 2).float() / 255.0  # (k, 3, H, W)
    x = torch.nn.functional.pad(x, (left, right, top, bottom), mode="replicate")  # (k, 3, h16, w16)
    with torch.inference_mode():
        pred = interpolate(x[:-1], x[1:])  # (k-1, 3, h16, w16)
    pred = pred[:, :, top:top + h, left:left + w]  # (k-1, 3, H, W)
    pred = (pred * 255.0).permute(0, 2, 3, 1).cpu().numpy().clip(0, 255).astype(np.uint8)  # truncated, as tensor2img
    diffs = np.array([cv2.absdiff(o, p).mean() for o, p in zip(odd, pred)], np.float64)  # (k-1,)
    return (255.0 - float(np.mean(diffs))) / 255.0, diffs


class VBenchMotionSmoothness(Metric):
    """VBench's motion_smoothness. Always skipped: AMT-S is not implemented here
    (module docstring)."""

    name = "vbench_motion_smoothness"
    version = "1"
    default = False  # asked for by name (``--metrics vbench_...``), as the other VBench dimensions
    needs = frozenset({NEEDS_BACKBONE})
    outputs = (
        Output("vbench_motion_smoothness", "VBench scale [0,1]", HIGHER,
               "VBench motion_smoothness: (255 - mean |dropped frame - AMT-S prediction|) / 255 "
               "(not computed: AMT-S not implemented)", motion_confounded=True),
    )

    def unavailable_reason(self) -> str | None:
        return UNAVAILABLE

    def compute(self, video, case, ctx: VideoContext):
        raise MetricSkipped(UNAVAILABLE)
