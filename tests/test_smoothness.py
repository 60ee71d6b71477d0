"""Motion smoothness: near its floor for a smooth pan, rises with jitter, drops,
duplicates and shuffling -- which warping error cannot see."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from vbench_lite.generators.degraded import degrade_frames
from vbench_lite.metrics import MetricSkipped, VideoContext
from helpers.synthetic_clips import pan_video
from vbench_lite.metrics.smoothness import MotionSmoothness
from vbench_lite.metrics.warping import WarpingError
from vbench_lite.video import Video

skdata = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def pan():
    return pan_video(skdata.astronaut(), 16, (1.3, -0.7), (128, 192))


def score(frames, metric=None):
    video = Video(frames)
    return (metric or MotionSmoothness()).compute(video, None, VideoContext(video))


def accel(frames):
    return score(frames)["motion_accel_px"].value


def test_smooth_pan_is_near_the_floor(pan):
    out = score(pan)
    assert out["motion_accel_px"].value < 0.3  # flow noise only (measured ~0.15 px)
    assert out["motion_smoothness"].value > 0.75
    assert out["motion_accel_px"].timeline.shape == (14,)  # middle frames


def test_monotone_in_jitter_strength(pan):
    levels = [0.0, 0.1, 0.2, 0.4, 0.7, 1.0]
    vals = [accel(degrade_frames(pan, "jitter", s, seed=2)) for s in levels]
    assert spearmanr(levels, vals).statistic == 1.0, vals
    assert vals[1] > 3 * vals[0]  # 0.4 px of shake is already far above the floor


def test_shuffled_frames_far_worse_while_warping_error_barely_moves(pan):
    shuffled = pan[np.r_[0, np.random.default_rng(1).permutation(np.arange(1, len(pan)))]]
    assert accel(shuffled) > 20 * accel(pan)
    warp = lambda f: score(f, WarpingError())["warping_error"].value
    assert warp(shuffled) < 3 * warp(pan)  # why this metric exists


@pytest.mark.parametrize("kind", ["drop", "duplicate", "shuffle"])
def test_stutter_kinds_rise_above_the_smooth_pan(pan, kind):
    base = accel(pan)
    mild, strong = (accel(degrade_frames(pan, kind, s, seed=0)) for s in (0.3, 1.0))
    assert mild > 3 * base and strong >= mild


def test_static_and_identical_frames_stay_put(pan):
    out = score(np.repeat(pan[:1], 5, axis=0))
    assert out["motion_accel_px"].value == 0.0 and out["motion_smoothness"].value == 1.0


def test_two_frames_are_skipped(pan):
    with pytest.raises(MetricSkipped, match="at least 3 frames"):
        score(pan[:2])
