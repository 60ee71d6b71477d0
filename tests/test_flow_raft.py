"""RAFT path: loader and flow shapes with a randomly initialised raft_small (no download)."""

import numpy as np
import pytest
import torch
from torchvision.models.optical_flow import raft_small

from vbench_lite.errors import UserError
from vbench_lite.metrics._raft import load_raft_file, raft_flow_pairs, raft_unavailable_reason
from vbench_lite.metrics.warping import WarpingError


@pytest.fixture(scope="module")
def raft_file(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("raft") / "raft_small_random.pth"
    torch.save(raft_small(weights=None, progress=False).state_dict(), path)
    return path


@pytest.mark.slow  # ~3-8 s on 2 shared cores: builds raft_small and runs it once
def test_raft_loader_and_flow_shapes(raft_file):
    model = load_raft_file(raft_file, "raft-small")
    frames = np.random.default_rng(0).integers(0, 255, (2, 36, 44, 3), dtype=np.uint8)  # not /8
    fw, bw = raft_flow_pairs(frames, model, updates=2)  # few iterations: shapes only
    assert fw.shape == (1, 36, 44, 2) and bw.shape == (1, 36, 44, 2)
    assert fw.dtype == np.float32 and np.isfinite(fw).all() and np.isfinite(bw).all()


def test_raft_loader_rejects_wrong_architecture(raft_file):
    with pytest.raises(UserError, match="not a torchvision raft-large state dict"):
        load_raft_file(raft_file, "raft-large")


def test_raft_metric_reports_missing_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("VBENCH_LITE_HOME", str(tmp_path))  # empty cache, downloads off by default
    monkeypatch.delenv("VBENCH_LITE_ALLOW_DOWNLOAD", raising=False)
    reason = raft_unavailable_reason("raft-large")
    assert reason and "raft_large" in reason
    metric = WarpingError(flow_backend="raft-large")
    assert metric.unavailable_reason() == reason and metric.backbone == "raft-large"
    assert WarpingError().unavailable_reason() is None  # DIS needs no weights


@pytest.mark.slow  # runs RAFT's 12 updates once on CPU (a few seconds)
def test_metric_runs_through_raft_with_an_explicit_file(raft_file, monkeypatch):
    from vbench_lite.metrics import VideoContext
    from vbench_lite.metrics import _raft
    from vbench_lite.video import Video

    monkeypatch.setattr(_raft, "RAFT_UPDATES", 2)  # random weights: only the plumbing is tested
    metric = WarpingError(flow_backend="raft-small", raft_path=raft_file)
    assert metric.unavailable_reason() is None  # an explicit file needs no cache or download
    video = Video(np.random.default_rng(1).integers(0, 255, (2, 32, 40, 3), dtype=np.uint8))
    ctx = VideoContext(video)
    out = metric.compute(video, None, ctx)
    assert np.isfinite(out["warping_error"].value) and out["warping_error"].timeline.shape == (1,)
    assert ctx.get("flow:raft-small", lambda: None).backend == "raft-small"
