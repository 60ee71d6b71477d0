"""Backbone metrics batch frames (CLIP, DINO, RAFT) and clips (I3D): any batch size gives
the numbers of one-at-a-time, within float rounding, on tiny random models."""

import numpy as np
import pytest
import torch

from helpers.backbones import TINY_CLIP as TINY, FakeCase, FakeTruth
from helpers.common import blend_video, seeded_square
from vbench_lite.errors import UserError
from vbench_lite.metrics.base import VideoContext
from vbench_lite.metrics.clip_consistency import ClipConsistency
from vbench_lite.metrics.fvd import FVD
from vbench_lite.metrics.identity_backbones import IdentityDriftDino
from vbench_lite.metrics.image_features import clip_image_embeddings, dino_embeddings
from vbench_lite.video import Video

SIZE = 64  # FVD test frame size, as tests/test_fvd.py
FRAMES = blend_video(t=11)  # (11, 48, 48, 3): 11 frames -> batches of 4 leave a remainder


def test_dino_batches_give_the_same_embeddings(tiny_dino):
    one = dino_embeddings(FRAMES, str(tiny_dino), batch=1)
    for b in (4, 11, 64):
        np.testing.assert_allclose(dino_embeddings(FRAMES, str(tiny_dino), batch=b), one, atol=1e-6)


def test_clip_batches_give_the_same_embeddings(tiny_clip):
    one = clip_image_embeddings(FRAMES, TINY, str(tiny_clip), batch=1)
    for b in (4, 64):
        np.testing.assert_allclose(clip_image_embeddings(FRAMES, TINY, str(tiny_clip), batch=b), one, atol=1e-6)


def test_batch_is_a_metric_option_and_keeps_the_scores(tiny_dino, tiny_clip):
    video = Video(FRAMES)
    for make in (lambda b: IdentityDriftDino(weights_path=tiny_dino, batch=b),
                 lambda b: ClipConsistency(model=TINY, pretrained=tiny_clip, batch=b)):
        a = make("1").compute(video, None, VideoContext(video))  # CLI options arrive as text
        b = make(32).compute(video, None, VideoContext(video))
        for key in a:
            assert a[key].value == pytest.approx(b[key].value, abs=1e-6), key
    for bad in (0, -2, "x", 2.5):
        with pytest.raises(UserError, match="batch"):
            IdentityDriftDino(weights_path=tiny_dino, batch=bad)


@pytest.mark.slow  # builds raft_small and runs it (a few seconds on 2 cores)
def test_raft_batches_give_the_same_flow(tmp_path):
    from torchvision.models.optical_flow import raft_small

    from vbench_lite.metrics._raft import load_raft_file, raft_flow_pairs

    torch.manual_seed(0)
    path = tmp_path / "raft.pth"
    torch.save(raft_small(weights=None, progress=False).state_dict(), path)
    model = load_raft_file(path, "raft-small")
    frames = np.random.default_rng(0).integers(0, 255, (4, 32, 40, 3), dtype=np.uint8)
    fw1, bw1 = raft_flow_pairs(frames, model, updates=2, batch=1)
    fw6, bw6 = raft_flow_pairs(frames, model, updates=2, batch=6)  # all 6 pairs in one pass
    np.testing.assert_allclose(fw6, fw1, atol=1e-4)
    np.testing.assert_allclose(bw6, bw1, atol=1e-4)


def test_i3d_batches_clips_of_a_reference_set(i3d_home):  # noqa: F811
    clips = [seeded_square(s, t=16, size=SIZE if s % 2 else SIZE + 8) for s in range(5)]  # two frame sizes
    cases = [FakeCase(FakeTruth(c)) for c in clips]
    one = FVD(num_frames=16, frame_size=SIZE, batch=1).reference_features(cases)
    many = FVD(num_frames=16, frame_size=SIZE, batch=3).reference_features(cases)
    assert one.shape == many.shape == (5, 400)
    np.testing.assert_allclose(many, one, rtol=1e-5, atol=1e-5)
    single = FVD(num_frames=16, frame_size=SIZE).clip_features(clips[2])
    np.testing.assert_allclose(single, one[2], rtol=1e-5, atol=1e-5)


def test_loading_the_default_metrics_does_not_import_torch():
    import subprocess
    import sys

    from vbench_lite.metrics import fvd, i3d

    assert fvd.I3D_MIN_FRAMES == i3d.MIN_FRAMES
    code = "import sys; from vbench_lite.metrics import load_metrics; load_metrics(None); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr[-2000:]
