"""Flow backends and warping helpers on a photograph moved by a known sub-pixel shift."""

import cv2
import numpy as np
import pytest

from vbench_lite.errors import UserError
from vbench_lite.metrics import VideoContext
from vbench_lite.metrics import flow as F
from helpers.synthetic_clips import pan_video
from vbench_lite.video import Video

skdata = pytest.importorskip("skimage.data")
VEL = (1.3, -0.7)  # px/frame, content motion


@pytest.fixture(scope="module")
def pan():
    return pan_video(skdata.astronaut(), 6, VEL, (128, 192))  # (6, 128, 192, 3)


def _epe(flow, truth, margin=12):
    inner = flow[margin:-margin, margin:-margin]  # borders see content entering the frame
    return float(np.linalg.norm(inner - np.asarray(truth, np.float32), axis=-1).mean())


def test_dis_recovers_known_subpixel_shift(pan):
    f = F.compute_pair_flows(pan)
    assert f.fw.shape == (5, 128, 192, 2) and f.bw.shape == (5, 128, 192, 2)
    assert f.scale == 1.0
    for t in range(5):
        assert _epe(f.fw[t], VEL) < 0.15
        assert _epe(f.bw[t], (-VEL[0], -VEL[1])) < 0.15
    assert np.median(f.valid_fw.mean(axis=(1, 2))) > 0.9  # rigid pan: almost nothing occluded


def test_default_dis_config_is_accurate_and_presets_are_not(pan):
    gray = [cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in pan[:2]]
    epe = {name: _epe(F.make_dis(name).calc(gray[0], gray[1], None), VEL) for name in F.DIS_CONFIGS}
    # the default must beat the cheap presets clearly and be about as good as MEDIUM
    assert epe[F.DIS_PRESET] < 0.7 * min(epe["ultrafast"], epe["fast"]), epe
    assert epe[F.DIS_PRESET] < 1.5 * epe["medium"], epe


def test_analysis_frames_integer_factor():
    frames = np.zeros((2, 480, 832, 3), np.uint8)
    small, scale = F.analysis_frames(frames)
    assert small.shape == (2, 240, 416, 3) and scale == 0.5
    small, scale = F.analysis_frames(np.zeros((2, 100, 150, 3), np.uint8))
    assert small.shape == (2, 100, 150, 3) and scale == 1.0  # never upsampled
    small, scale = F.analysis_frames(np.zeros((2, 721, 1281, 3), np.uint8))
    assert scale == pytest.approx(1 / 3) and small.shape == (2, 240, 427, 3)


def test_warp_predicts_previous_frame(pan):
    f = F.compute_pair_flows(pan)
    pred, inside = F.warp(f.frames[1], f.fw[0])
    err = np.abs(pred - f.frames[0]).mean(-1)[inside & f.valid_fw[0]]
    assert err.mean() < 0.01  # [0, 1] scale
    # a zero flow is the identity
    same, inside = F.warp(f.frames[0], np.zeros_like(f.fw[0]))
    np.testing.assert_allclose(same, f.frames[0], atol=1e-6)
    assert inside.all()


def test_occlusion_consistent_and_inconsistent_flows():
    h, w = 40, 60
    fw = np.full((h, w, 2), [2.0, 0.0], np.float32)
    occ = F.occlusion(fw, -fw)
    assert not occ[:, : w - 3].any()  # consistent everywhere the match stays inside
    assert occ[:, w - 2:].all()  # matches leave the frame on the right
    assert F.occlusion(fw, fw)[:, : w - 3].all()  # forward + backward = 2v: inconsistent
    edge = fw.copy()
    edge[:, 30:] = [-2.0, 0.0]  # motion boundary (flow gradient) at column 29
    assert F.occlusion(edge, -edge)[:, 29].all()


def test_flow_computed_once_per_video(pan, monkeypatch):
    calls = []
    real = F.dis_flow_pairs
    monkeypatch.setattr(F, "dis_flow_pairs", lambda g, *a: calls.append(1) or real(g, *a))
    video, ctx = Video(pan), None
    ctx = VideoContext(video)
    a = F.video_flows(video, ctx)
    b = F.video_flows(video, ctx)
    assert a is b and len(calls) == 1


def test_bad_backend_and_config():
    with pytest.raises(UserError, match="unknown flow backend 'farneback'"):
        F.pair_flows(np.zeros((2, 16, 16, 3), np.uint8), 1.0, "farneback")
    with pytest.raises(UserError, match="unknown DIS configuration"):
        F.make_dis("turbo")


@pytest.mark.parametrize("shape", [(3, 8, 8, 3), (3, 9, 300, 3)])
def test_tiny_and_thin_frames_give_finite_flow(shape):
    # DIS alone raises under 12 px and returns NaN on 9x300; we pad and guard
    frames = np.random.default_rng(0).integers(0, 255, shape, dtype=np.uint8)
    f = F.compute_pair_flows(frames)
    assert f.fw.shape == (2, *shape[1:3], 2)
    assert np.isfinite(f.fw).all() and np.isfinite(f.bw).all()
