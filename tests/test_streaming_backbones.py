"""Streaming scoring of the backbone metrics (issue 24): CLIP and DINO per frame in the
whole-video pass's batches, FVD's first clip; numbers equal to the whole video's, bit for
bit, at window sizes that do and do not divide the batch. Tiny random backbones of the real
architectures, loaded through the real loaders."""

import json

import numpy as np
import pytest
import skimage.data

torch = pytest.importorskip("torch")

from helpers.synthetic_clips import pan_video  # noqa: E402
from test_streaming import _assert_identical, _whole, _write_avi  # noqa: E402
from vbench_lite import weights  # noqa: E402
from vbench_lite.case import Case  # noqa: E402
from vbench_lite.io import VideoFile  # noqa: E402
from vbench_lite.metrics.clip_consistency import ClipConsistency  # noqa: E402
from vbench_lite.metrics.fvd import FVD  # noqa: E402
from vbench_lite.metrics.i3d import InceptionI3d  # noqa: E402
from vbench_lite.metrics.identity_backbones import IdentityDriftClip, IdentityDriftDino  # noqa: E402
from vbench_lite.metrics.image_features import DinoViT  # noqa: E402
from vbench_lite.runners import streaming  # noqa: E402

TINY = "vbl-tiny-clip-stream"


@pytest.fixture(scope="module")
def tiny_backbones(tmp_path_factory):
    import open_clip

    d = tmp_path_factory.mktemp("backbones")
    torch.manual_seed(0)
    torch.save(DinoViT(dim=32, depth=2, heads=1, patch=8, image_size=32).state_dict(), d / "dino.pth")
    cfg = {"embed_dim": 32,
           "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16},
           "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}}
    (d / f"{TINY}.json").write_text(json.dumps(cfg))
    open_clip.add_model_config(d)
    torch.save(open_clip.create_model(TINY).state_dict(), d / "clip.pt")
    return d / "dino.pth", d / "clip.pt"


def test_clip_dino_and_fvd_streamed_equal_whole(tmp_path, monkeypatch, tiny_backbones, torch_one_thread):
    dino, clip = tiny_backbones
    monkeypatch.setenv("VBENCH_LITE_HOME", str(tmp_path))
    monkeypatch.delenv("VBENCH_LITE_ALLOW_DOWNLOAD", raising=False)
    weights._reset_memo()
    i3d = tmp_path / "weights" / weights.BACKBONES["i3d-k400"].filename
    i3d.parent.mkdir()
    torch.save(InceptionI3d(num_classes=400, width_div=16).state_dict(), i3d)
    metrics = [IdentityDriftDino(weights_path=dino, device="cpu", batch=4),
               ClipConsistency(model=TINY, pretrained=clip, device="cpu", batch=4),
               IdentityDriftClip(model=TINY, pretrained=clip, device="cpu", batch=4),
               FVD(frame_size=32, device="cpu")]
    assert all(m.unavailable_reason() is None for m in metrics)
    path = _write_avi(pan_video(skimage.data.astronaut(), 19, size=(48, 64)), tmp_path / "pan.avi")
    case = Case("pan", prompt="an astronaut")
    monkeypatch.setattr("test_streaming.CASE", case)
    whole = _whole(path, metrics, monkeypatch)
    assert {s.metric for s in whole.scores} >= {"identity_drift_dino", "clip_frame_consistency",
                                                "clip_text_score", "identity_drift_clip"}
    assert whole.features["fvd"].shape == (400,)
    calls = []
    real = ClipConsistency.embedder

    def counting(self):  # clip_consistency and identity_drift_clip share one pass over the frames
        key, embed, batch = real(self)
        return key, lambda frames: calls.append(len(frames)) or embed(frames), batch

    monkeypatch.setattr(ClipConsistency, "embedder", counting)
    for window in (2, 3, 4, 16):
        calls.clear()
        out = streaming.score_stream(VideoFile(path), case, metrics, window=window)
        assert out.error is None, out.error
        _assert_identical(whole, out.result)
        assert calls == [4, 4, 4, 4, 3], (window, calls)  # the whole pass's batches, once
