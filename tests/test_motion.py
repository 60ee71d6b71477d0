"""Motion: flow magnitude recovers known velocities; zero for a static video."""

import numpy as np
import pytest

from vbench_lite.metrics import VideoContext
from helpers.synthetic_clips import pan_video
from vbench_lite.metrics.motion import Motion
from vbench_lite.video import Video

skdata = pytest.importorskip("skimage.data")


def score(frames):
    video = Video(frames)
    return Motion().compute(video, None, VideoContext(video))


@pytest.mark.parametrize("vel", [(0.6, 0.3), (1.3, -0.7), (3.1, 1.2)])
def test_recovers_known_speed(vel):
    out = score(pan_video(skdata.astronaut(), 5, vel, (128, 192)))
    speed = float(np.hypot(*vel))
    assert out["motion_px"].value == pytest.approx(speed, rel=0.1)
    assert out["motion_top5_px"].value >= out["motion_px"].value
    assert out["motion_norm"].value == pytest.approx(out["motion_px"].value / np.hypot(128, 192))
    assert out["motion_px"].timeline.shape == (4,)


def test_full_resolution_pixels_after_downsampling():
    # 256x512 is analysed at half size; motion must still be in full-resolution px
    out = score(pan_video(skdata.astronaut(), 4, (2.0, 0.0), (256, 832)))
    assert out["motion_px"].value == pytest.approx(2.0, rel=0.1)


def test_local_motion_shows_in_top5_not_mean():
    rng = np.random.default_rng(0)
    frames = np.repeat(rng.integers(0, 255, (1, 96, 96, 3), dtype=np.uint8), 4, axis=0)
    patch = skdata.astronaut()[200:216, 200:216]
    for t in range(4):  # a 16x16 textured patch moving 2 px/frame over a static background
        frames[t, 40:56, 20 + 2 * t: 36 + 2 * t] = patch
    out = score(frames)
    assert out["motion_top5_px"].value > 1.0
    assert out["motion_px"].value < 0.5 * out["motion_top5_px"].value


def test_static_video_has_no_motion():
    frames = np.repeat(skdata.astronaut()[None, :128, :192], 4, axis=0)
    out = score(frames)
    assert out["motion_px"].value == 0.0 and out["motion_top5_px"].value == 0.0
