"""VBench's motion_smoothness: the steps around the AMT-S interpolator.

VBench 0.1.5 (motion_smoothness.py:33-167) scores a video by how well a frame
interpolator recovers the frames it drops:

1. decode every frame with ``cv2.VideoCapture``, RGB (:33-45);
2. keep the even frames 0, 2, 4, ... (``extract_frame(start_from=0)``, :63-67, :120);
3. each to float32 ``(1, 3, H, W) / 255`` (amt utils ``img2tensor``, utils.py:80-83),
   replicate-padded to multiples of 16, centred (amt ``InputPadder``, utils.py:54-60;
   divisor ``int(16 / scale)`` with ``scale`` 1 on CPU and on any GPU whose memory
   covers the frame, :93-131);
4. AMT-S predicts the middle frame of each consecutive pair (``embt`` = 0.5, :107, :144),
   one interpolation round (``niters`` 1, :75);
5. the prediction is unpadded and made uint8 by ``(x * 255).clip(0, 255)`` truncated
   (``tensor2img``, utils.py:86-89);
6. per dropped (odd) frame the mean ``cv2.absdiff`` with its prediction (:156-167);
   per video ``(255 - mean over frames) / 255`` (:151-153), in [0, 1], higher is smoother.
   The dimension's aggregate is the mean over videos (:178; :191 with several ranks).

``smoothness_value`` does 2-6 with any interpolator; the metric runs it with AMT-S
(``metrics/amt_s.py``, the published ``amt-s.pth`` through the weights manager; a
missing file is a skip with the reason, never a number from another interpolator).
Pairs go through AMT-S ``batch`` at a time (VBench: one); batching changes float32
rounding only (measured 7e-6 on a prediction in [0, 1]; bit-identical at batch 1).
VBench on a GPU shrinks frames whose area is large for the card's memory (scale < 1
above ~2 Mpx on 24 GB, :126-131); these numbers are VBench's on a CPU or a card with
room, where it does not. The project's own weight-free ``motion_smoothness`` metric
(flow acceleration, ``metrics/smoothness.py``) measures the same failure.
"""

from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

from pathlib import Path

from vbench_lite import weights
from vbench_lite.metrics.base import HIGHER, NEEDS_BACKBONE, MetricSkipped, Output, Score, VideoContext
from vbench_lite.metrics.backbone_file import BackboneFileMetric, backbone_options

AMT_PAD = 16  # AMT's InputPadder divisor at scale 1 (motion_smoothness.py:131)
EMBT = 0.5  # the predicted frame lies halfway (motion_smoothness.py:107)

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


class VBenchMotionSmoothness(BackboneFileMetric):
    """VBench's motion_smoothness per video with AMT-S (module docstring).

    ``weights_path``: VBench's ``amt-s.pth`` (else the weights manager's ``amt-s``);
    ``device``: torch device (default cuda when available); ``batch``: frame pairs
    per AMT-S pass (memory vs speed; same numbers to float rounding)."""

    name = "vbench_motion_smoothness"
    version = "1"
    default = False  # asked for by name (``--metrics vbench_...``), as the other VBench dimensions
    backbone = "amt-s"
    needs = frozenset({NEEDS_BACKBONE})
    outputs = (
        Output("vbench_motion_smoothness", "VBench scale [0,1]", HIGHER,
               "VBench motion_smoothness: (255 - mean |dropped odd frame - AMT-S prediction from its even "
               "neighbours|) / 255; timeline: the same per dropped frame", motion_confounded=True),
    )

    options = backbone_options("weights_path", "an AMT-S checkpoint", batch=2, unit="frame triplets")

    def __init__(self, weights_path: str | Path | None = None, device: str | None = None, batch: int | str = 2):
        self._init_backbone(weights_path, device, batch)

    def compute(self, video, case, ctx: VideoContext) -> dict[str, Score]:
        from vbench_lite.metrics.amt_s import load_amt_s
        from vbench_lite.metrics.clip_consistency import default_device

        self.device = self.device or default_device()
        model = load_amt_s(str(weights.resolve(self.backbone, self.weights_path)), self.device)
        value, diffs = smoothness_value(video.frames, amt_interpolator(model, self.device, self.batch))
        return {self.name: Score(value, (255.0 - diffs) / 255.0)}


def amt_interpolator(model, device: str = "cpu", batch: int = 2) -> Interpolator:
    """``interpolate(img0, img1)`` for ``smoothness_value``: AMT-S at t = 0.5, ``batch``
    pairs per pass, predictions back on the CPU."""
    import torch

    def interpolate(a, b):
        embt = torch.full((1, 1, 1, 1), EMBT, device=device)
        return torch.cat([model(a[i:i + batch].to(device), b[i:i + batch].to(device), embt).cpu()
                          for i in range(0, len(a), batch)])

    return interpolate
