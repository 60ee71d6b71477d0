"""CLIP consistency end to end on a tiny random open_clip model saved to a temp file."""

import json

import numpy as np
import pytest
import torch

from vbench_lite import weights
from vbench_lite.case import Case
from vbench_lite.metrics.base import VideoContext
from vbench_lite.metrics.clip_consistency import ClipConsistency, clip_score, frame_consistency
from vbench_lite.video import Video

TINY = "vbl-tiny-clip"  # registered from a temp JSON config, like any open_clip config


def tiny_clip_config() -> dict:
    return {
        "embed_dim": 32,
        "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16},
        # vocab must match open_clip's bundled BPE tokenizer (49408 tokens)
        "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
    }


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    import open_clip

    d = tmp_path_factory.mktemp("clipcfg")
    (d / f"{TINY}.json").write_text(json.dumps(tiny_clip_config()))
    open_clip.add_model_config(d)
    torch.manual_seed(0)
    model = open_clip.create_model(TINY)
    from safetensors.torch import save_file

    path = d / "tiny.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    return path


def textured(seed=0, size=48):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (size // 8, size // 8, 3)).astype(np.uint8)
    return np.kron(base, np.ones((8, 8, 1), np.uint8))  # blocky texture (size, size, 3)


def panning(t=8):
    img = np.concatenate([textured(0), textured(1)], axis=1)  # (48, 96, 3)
    return np.stack([img[:, 2 * i:2 * i + 48] for i in range(t)])  # (T, 48, 48, 3)


def run(metric, frames, prompt=""):
    video = Video(frames)
    case = Case("c1", prompt=prompt, num_frames=len(frames), height=frames.shape[1], width=frames.shape[2])
    return metric.compute(video, case, VideoContext(video, case))


def test_static_video_is_perfectly_consistent(tiny_clip):
    metric = ClipConsistency(model=TINY, pretrained=tiny_clip)
    assert metric.unavailable_reason() is None
    out = run(metric, np.repeat(textured()[None], 6, axis=0))
    assert out["clip_frame_consistency"].value == pytest.approx(1.0, abs=1e-6)
    assert out["clip_frame_consistency"].timeline.shape == (5,)
    assert "clip_text_score" not in out  # no prompt, no text score


def test_glitches_lower_consistency_where_they_happen(tiny_clip):
    metric = ClipConsistency(model=TINY, pretrained=tiny_clip)
    clean = panning()
    broken = clean.copy()
    broken[4] = np.random.default_rng(5).integers(0, 256, broken[4].shape, dtype=np.uint8)
    c = run(metric, clean)["clip_frame_consistency"]
    b = run(metric, broken)["clip_frame_consistency"]
    assert b.value < c.value
    assert np.argmin(b.timeline) in (3, 4)  # pairs (3,4) and (4,5) touch the glitch


def test_text_score_follows_clipscore_convention(tiny_clip):
    from vbench_lite.metrics.image_features import clip_image_embeddings, clip_text_embedding

    metric = ClipConsistency(model=TINY, pretrained=tiny_clip)
    frames = panning()
    out = run(metric, frames, prompt="a red ball bouncing")
    emb = clip_image_embeddings(frames, TINY, str(tiny_clip))
    text = clip_text_embedding("a red ball bouncing", TINY, str(tiny_clip))
    expected = np.mean(2.5 * np.maximum(emb @ text, 0))
    assert out["clip_text_score"].value == pytest.approx(expected, rel=1e-6)
    assert 0.0 <= out["clip_text_score"].value <= 2.5
    assert out["clip_text_score"].timeline.shape == (len(frames),)


def test_pure_functions():
    e = np.eye(3)[[0, 0, 1]]  # frames: a, a, b (orthogonal)
    value, curve = frame_consistency(e)
    np.testing.assert_allclose(curve, [1.0, 0.0])
    assert value == 0.5
    score, per_frame = clip_score(e, -np.eye(3)[0])  # negative cosine clips to 0
    assert score == 0.0 and per_frame.shape == (3,)


def test_missing_weights_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("VBENCH_LITE_HOME", str(tmp_path))
    monkeypatch.delenv("VBENCH_LITE_ALLOW_DOWNLOAD", raising=False)
    weights._reset_memo()
    assert "open_clip_model.safetensors" in ClipConsistency().unavailable_reason()
    assert "open_clip_model.safetensors" in ClipConsistency(pretrained="laion2b_s34b_b79k").unavailable_reason()
    assert "would download" in ClipConsistency(model="ViT-B-16", pretrained="openai").unavailable_reason()
    assert "does not exist" in ClipConsistency(pretrained=tmp_path / "nope.pt").unavailable_reason()
