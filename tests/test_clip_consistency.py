"""CLIP consistency end to end on a tiny random open_clip model saved to a temp file."""

import json

import numpy as np
import pytest
import torch

from vbench_lite import weights
from vbench_lite.case import Case
from vbench_lite.errors import UserError
from vbench_lite.metrics.base import VideoContext
from vbench_lite.metrics.clip_consistency import ClipConsistency, clip_score, frame_consistency
from vbench_lite.metrics.image_features import (
    center_crop_offset, clip_image_embeddings, open_clip_preprocess, resize_center_crop, shortest_side_size,
)
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


# ------------------------------------------------- preprocessing = open_clip's own transform
TINY224 = "vbl-tiny-clip-224"  # real input size, so open_clip's transform resizes as for ViT-B-32
PHOTO_SIZES = [(480, 640), (640, 480), (360, 640)]  # non-square camera frames (H, W)


@pytest.fixture(scope="module")
def tiny_clip_224(tmp_path_factory):
    """A small random ViT at 224 px (patch 32, as ViT-B-32), saved and loaded from disk."""
    import open_clip

    d = tmp_path_factory.mktemp("clipcfg224")
    cfg = tiny_clip_config()
    cfg["vision_cfg"] = {"image_size": 224, "layers": 2, "width": 64, "patch_size": 32, "head_width": 32}
    (d / f"{TINY224}.json").write_text(json.dumps(cfg))
    open_clip.add_model_config(d)
    torch.manual_seed(0)
    from safetensors.torch import save_file

    path = d / "tiny224.safetensors"
    save_file({k: v.contiguous() for k, v in open_clip.create_model(TINY224).state_dict().items()}, str(path))
    return path


def photo_frame(name: str, h: int, w: int) -> np.ndarray:
    """uint8 (h, w, 3): a scikit-image photograph scaled to cover h x w, centre cropped."""
    from PIL import Image

    skd = pytest.importorskip("skimage.data")
    im = Image.fromarray(getattr(skd, name)())
    scale = max(h / im.height, w / im.width)
    im = im.resize((max(w, round(im.width * scale)), max(h, round(im.height * scale))), Image.LANCZOS)
    top, left = (im.height - h) // 2, (im.width - w) // 2
    return np.asarray(im.crop((left, top, left + w, top + h))).copy()


@pytest.mark.parametrize("photo", ["astronaut", "coffee", "chelsea"])
def test_embeddings_equal_open_clip_preprocess_on_non_square_photos(tiny_clip_224, photo):
    """Our tensor pipeline against open_clip's PIL ``preprocess``: same model input up
    to one grey level on a few pixels (PIL's fixed-point rounding), cosine >= 0.9999.
    Before the fix (rounded resize size, floor crop offset): 0.9998 here, 0.9992 with
    a random full-size ViT-B-32."""
    import open_clip
    from PIL import Image

    model, _, preprocess = open_clip.create_model_and_transforms(TINY224, pretrained=str(tiny_clip_224))
    mean, std = preprocess.transforms[-1].mean, preprocess.transforms[-1].std
    grey = 255 * torch.tensor(std).view(1, 3, 1, 1)  # normalised units -> grey levels
    for h, w in PHOTO_SIZES:
        frame = photo_frame(photo, h, w)
        reference_input = preprocess(Image.fromarray(frame))[None]  # (1, 3, 224, 224)
        diff = ((resize_center_crop(frame[None], 224, mean, std) - reference_input) * grey).abs()
        assert diff.max() <= 1.0 + 1e-4 and (diff > 0.01).float().mean() < 1e-3, (h, w)
        with torch.no_grad():
            ref = torch.nn.functional.normalize(model.eval().encode_image(reference_input).float(), dim=-1)[0]
        ours = clip_image_embeddings(frame[None], TINY224, str(tiny_clip_224))[0]
        assert float(ours @ ref.double().numpy()) >= 0.9999, (h, w)


@pytest.mark.parametrize("h,w", [(480, 640), (640, 480), (360, 640), (225, 401), (401, 225), (224, 224),
                                 (100, 150), (37, 23), (1080, 1920)])
def test_resize_size_and_crop_follow_torchvision(h, w):
    """Long side truncated (int), crop offset rounded half to even: torchvision's rules."""
    import torchvision.transforms.functional as TF
    from PIL import Image

    nh, nw = shortest_side_size(h, w, 224)
    assert TF.resize(Image.new("RGB", (w, h)), 224).size == (nw, nh)
    index = torch.arange(nh * nw).view(1, nh, nw)
    first = int(TF.center_crop(index, [224, 224])[0, 0, 0])
    assert divmod(first, nw) == (center_crop_offset(nh, 224), center_crop_offset(nw, 224))


def test_squash_and_bilinear_configs_follow_their_transforms():
    """open_clip "squash" models use ``Resize((s, s))``; bilinear configs resize bilinearly."""
    import torchvision.transforms as T
    from PIL import Image

    frame = photo_frame("coffee", 150, 260)
    mean, std = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)
    grey = 255 * 0.5
    for mode, interp, resize in [("squash", "bicubic", T.Resize((64, 64), T.InterpolationMode.BICUBIC)),
                                 ("shortest", "bilinear", T.Resize(64, T.InterpolationMode.BILINEAR))]:
        ref = T.Compose([resize, T.CenterCrop(64), T.ToTensor(), T.Normalize(mean, std)])(Image.fromarray(frame))
        ours = resize_center_crop(frame[None], 64, mean, std, interpolation=interp, resize_mode=mode)[0]
        assert ((ours - ref) * grey).abs().max() <= 1.0 + 1e-4, mode
    pre = open_clip_preprocess({"size": (64, 64), "mean": mean, "std": std, "resize_mode": "squash",
                                "interpolation": "random"})
    assert (pre.size, pre.resize_mode, pre.interpolation) == (64, "squash", "bicubic")
    with pytest.raises(UserError, match="resize_mode 'longest' is not supported"):
        open_clip_preprocess({"size": 64, "mean": mean, "std": std, "resize_mode": "longest"})


def test_identity_names_the_weights_file(tiny_clip, tmp_path, monkeypatch):
    metric = ClipConsistency(model=TINY, pretrained=tiny_clip)
    sha = weights.file_sha256(tiny_clip)
    assert metric.identity() == {"version": ClipConsistency.version, "model": TINY, "weights_sha256": sha}
    monkeypatch.setenv("VBENCH_LITE_HOME", str(tmp_path))
    monkeypatch.delenv("VBENCH_LITE_ALLOW_DOWNLOAD", raising=False)
    weights._reset_memo()
    assert ClipConsistency().identity()["weights_sha256"] is None  # missing: skipped, identity does not raise
