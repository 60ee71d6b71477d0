"""Flicker: exact on a constructed clip, monotone in injected flicker, zero when static."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from vbench_lite.generators.degrade import degrade_frames
from vbench_lite.metrics import VideoContext
from vbench_lite.metrics.flicker import Flicker, frame_differences
from vbench_lite.video import Video

skdata = pytest.importorskip("skimage.data")


def score(frames):
    video = Video(frames)
    return Flicker().compute(video, None, VideoContext(video))["flicker"]


def test_exact_value_on_alternating_brightness():
    frames = np.full((5, 16, 16, 3), 100, np.uint8)
    frames[1::2] += 10  # 100, 110, 100, 110, 100
    out = score(frames)
    assert out.value == pytest.approx(10 / 255)
    np.testing.assert_allclose(out.timeline, np.full(4, 10 / 255))


def test_monotone_in_flicker_strength():
    still = np.repeat(skdata.chelsea()[None, :120, :160], 10, axis=0)
    levels = [0.0, 0.1, 0.25, 0.5, 0.75, 1.0]
    vals = [score(degrade_frames(still, "flicker", s, seed=5)).value for s in levels]
    assert vals[0] == 0.0
    assert spearmanr(levels, vals).statistic == 1.0, vals


def test_static_video_is_zero_and_uint8_safe():
    frames = np.repeat(skdata.chelsea()[None, :64, :64], 3, axis=0)
    assert score(frames).value == 0.0
    # no uint8 wrap-around: 0 -> 255 is a change of 1.0, not 1/255
    jump = np.zeros((2, 8, 8, 3), np.uint8)
    jump[1] = 255
    assert frame_differences(jump)[0] == pytest.approx(1.0)
