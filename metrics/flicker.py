"""Flicker: mean absolute change between consecutive frames.

    flicker = mean_{t, x, c} |I_{t+1}(x, c) - I_t(x, c)| / 255

over all pixels and RGB channels at full resolution; range [0, 1], 0 for a static
video, lower is better. It is the measure for *static* scenes (VBench's temporal
flickering uses the same mean absolute difference on static-camera prompts): on a
moving scene it mostly measures motion, and ``warping_error`` is the flicker measure
that compensates motion. The timeline is per frame pair.
"""

from __future__ import annotations

import cv2
import numpy as np

from vbench_lite.metrics.base import LOWER, Metric, Output, Score


def frame_differences(frames: np.ndarray) -> np.ndarray:
    """Mean absolute difference of each consecutive pair of uint8 (T, H, W, 3) frames,
    as (T-1,) floats in [0, 1]."""
    # cv2.absdiff works on uint8 without an int16 copy of the whole video
    return np.array([cv2.absdiff(a, b).mean() for a, b in zip(frames[:-1], frames[1:])]) / 255.0


class Flicker(Metric):
    name = "flicker"
    version = "1"
    group = "temporal"
    outputs = (
        Output("flicker", "mean |diff| [0,1]", LOWER,
               "mean absolute change between consecutive frames (static scenes); timeline per pair"),
    )

    def compute(self, video, case, ctx):
        diffs = frame_differences(video.frames)
        return {"flicker": Score(float(diffs.mean()), diffs)}
