"""Streaming scoring of the backbone metrics (issue 24): CLIP and DINO per frame in the
whole-video pass's batches, FVD's first clip; numbers equal to the whole video's, bit for
bit, at window sizes that do and do not divide the batch. Tiny random backbones of the real
architectures (conftest fixtures), loaded through the real loaders."""

import pytest
import skimage.data

pytest.importorskip("torch")

from helpers.backbones import TINY_CLIP  # noqa: E402
from helpers.streaming import assert_identical, score_whole, write_avi  # noqa: E402
from helpers.synthetic_clips import pan_video  # noqa: E402
from vbench_lite.case import Case  # noqa: E402
from vbench_lite.io import VideoFile  # noqa: E402
from vbench_lite.metrics.clip_consistency import ClipConsistency  # noqa: E402
from vbench_lite.metrics.fvd import FVD  # noqa: E402
from vbench_lite.metrics.identity_backbones import IdentityDriftClip, IdentityDriftDino  # noqa: E402
from vbench_lite.runners import streaming  # noqa: E402


def test_clip_dino_and_fvd_streamed_equal_whole(tmp_path, monkeypatch, tiny_dino, tiny_clip, i3d_home,
                                                torch_one_thread):
    metrics = [IdentityDriftDino(weights_path=tiny_dino, device="cpu", batch=4),
               ClipConsistency(model=TINY_CLIP, pretrained=tiny_clip, device="cpu", batch=4),
               IdentityDriftClip(model=TINY_CLIP, pretrained=tiny_clip, device="cpu", batch=4),
               FVD(frame_size=32, device="cpu")]
    assert all(m.unavailable_reason() is None for m in metrics)
    path = write_avi(pan_video(skimage.data.astronaut(), 19, size=(48, 64)), tmp_path / "pan.avi")
    case = Case("pan", prompt="an astronaut")
    whole = score_whole(path, case, metrics)
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
        assert_identical(whole, out.result)
        assert calls == [4, 4, 4, 4, 3], (window, calls)  # the whole pass's batches, once
