"""Warping error: ~0 on a known pan, monotone in flicker, large for shuffled fast motion."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from vbench_lite.generators.degraded import degrade_frames
from vbench_lite.metrics import VideoContext
from helpers.synthetic_clips import pan_video
from vbench_lite.metrics.warping import WarpingError
from vbench_lite.video import Video

skdata = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def pan():
    return pan_video(skdata.astronaut(), 12, (1.3, -0.7), (128, 192))


def score(frames):
    video = Video(frames)
    return WarpingError().compute(video, None, VideoContext(video))


def test_known_pan_warps_almost_perfectly(pan):
    out = score(pan)
    assert out["warping_error"].value < 1e-3  # interpolation loss only; flicker 0.1 gives > 1e-3
    assert out["warping_error"].timeline.shape == (11,)
    assert out["warping_error_max"].value >= out["warping_error"].value
    assert out["warping_occluded"].value < 0.1


def test_rises_monotonically_with_flicker(pan):
    levels = [0.0, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0]
    errs = [score(degrade_frames(pan, "flicker", s, seed=3))["warping_error"].value for s in levels]
    assert spearmanr(levels, errs).statistic == 1.0, errs
    assert errs[1] > 5 * errs[0]


def test_shuffled_fast_motion_is_much_worse():
    # 3.1 px/frame: shuffled neighbours are up to ~70 px apart, beyond what flow can match
    # (a slow rigid pan shuffled within flow range still warps well: see test_smoothness)
    fast = pan_video(skdata.astronaut(), 24, (3.1, 1.2), (128, 192))
    shuffled = fast[np.random.default_rng(0).permutation(len(fast))]
    smooth, bad = score(fast), score(shuffled)
    assert bad["warping_error"].value > 30 * smooth["warping_error"].value
    assert bad["warping_occluded"].value > 3 * smooth["warping_occluded"].value


def test_seam_is_located_by_the_timeline(pan):
    frames = pan.copy()
    frames[7:] = np.clip(frames[7:].astype(int) + 40, 0, 255).astype(np.uint8)  # brightness jump
    out = score(frames)
    assert int(np.argmax(out["warping_error"].timeline)) == 6  # the pair (6, 7)
    assert out["warping_error_max"].value > 10 * np.median(out["warping_error"].timeline)


def test_static_and_identical_frames_score_zero(pan):
    out = score(np.repeat(pan[:1], 5, axis=0))
    assert out["warping_error"].value == 0.0 and out["warping_error_max"].value == 0.0
    flat = np.full((4, 32, 32, 3), 128, np.uint8)
    assert score(flat)["warping_error"].value == 0.0
