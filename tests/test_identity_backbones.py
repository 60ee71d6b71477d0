"""DINO / CLIP identity drift on tiny random backbones loaded through the real loaders."""

import numpy as np
import pytest
import torch

from helpers.backbones import TINY_CLIP
from helpers.common import blend_video
from vbench_lite import weights
from vbench_lite.errors import UserError
from vbench_lite.metrics import METRICS
from vbench_lite.metrics.base import VideoContext
from vbench_lite.metrics.clip_consistency import ClipConsistency
from vbench_lite.metrics.identity_backbones import IdentityDriftClip, IdentityDriftDino
from vbench_lite.metrics.image_features import DinoViT
from vbench_lite.video import Video

TINY = TINY_CLIP


def static_video(t=10):
    return np.repeat(blend_video()[:1], t, axis=0)


def score(metric, frames, ctx=None):
    video = Video(frames)
    return metric.compute(video, None, ctx or VideoContext(video))


@pytest.mark.parametrize("kind", ["dino", "clip"])
def test_static_stays_put_and_morph_drifts(kind, tiny_dino, tiny_clip):
    metric = IdentityDriftDino(weights_path=tiny_dino) if kind == "dino" else \
        IdentityDriftClip(model=TINY, pretrained=tiny_clip)
    assert metric.unavailable_reason() is None
    still = score(metric, static_video())
    assert still[f"identity_drift_{kind}"].value == pytest.approx(0.0, abs=1e-6)
    assert still[f"identity_drift_{kind}_slope"].value == pytest.approx(0.0, abs=1e-7)
    moving = score(metric, blend_video())
    curve = moving[f"identity_drift_{kind}"].timeline
    assert curve.shape == (10,) and curve[0] == pytest.approx(0.0, abs=1e-6)
    assert moving[f"identity_drift_{kind}"].value > 1e-3
    assert moving[f"identity_drift_{kind}_slope"].value > 0
    assert curve[-1] > curve[len(curve) // 2] > 0  # further from frame 0 as the morph goes on


def test_clip_embeddings_shared_with_clip_consistency(tiny_clip, monkeypatch):
    import vbench_lite.metrics.image_features as imf

    calls = []
    real = imf.clip_image_embeddings
    monkeypatch.setattr(imf, "clip_image_embeddings", lambda *a, **k: calls.append(1) or real(*a, **k))
    frames = blend_video()
    video = Video(frames)
    ctx = VideoContext(video)
    ClipConsistency(model=TINY, pretrained=tiny_clip).compute(video, None, ctx)
    score(IdentityDriftClip(model=TINY, pretrained=tiny_clip), frames, ctx)
    assert len(calls) == 1


def test_dino_layout_matches_published_vits16():
    sd = DinoViT().state_dict()
    for key in ("cls_token", "pos_embed", "patch_embed.proj.weight", "blocks.11.attn.qkv.weight",
                "blocks.0.mlp.fc1.bias", "norm.weight"):
        assert key in sd
    assert sd["pos_embed"].shape == (1, 197, 384)  # 14x14 patches + CLS at 224 px
    assert sum(v.numel() for v in sd.values()) == 21_665_664  # ViT-S/16 without a head
    rebuilt = DinoViT.from_state_dict({f"module.{k}": v for k, v in DinoViT(dim=64, depth=1).state_dict().items()})
    assert len(rebuilt.blocks) == 1 and rebuilt.blocks[0].heads == 1


def test_bad_checkpoint_and_missing_weights(tmp_path, monkeypatch):
    bad = tmp_path / "bad.pth"
    torch.save({"w": torch.zeros(1)}, bad)
    video = Video(static_video())
    with pytest.raises(UserError, match="not a DINO ViT checkpoint"):
        IdentityDriftDino(weights_path=bad).compute(video, None, VideoContext(video))
    monkeypatch.setenv("VBENCH_LITE_HOME", str(tmp_path))
    monkeypatch.delenv("VBENCH_LITE_ALLOW_DOWNLOAD", raising=False)
    weights._reset_memo()
    assert "dino_deitsmall16_pretrain.pth" in IdentityDriftDino().unavailable_reason()
    assert "open_clip_model.safetensors" in IdentityDriftClip().unavailable_reason()


def test_registered():
    assert METRICS.get("identity_drift_dino") is IdentityDriftDino
    assert METRICS.get("identity_drift_clip") is IdentityDriftClip


@pytest.fixture(scope="module")
def tiny_dino_224(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("dino224") / "dino224.pth"
    torch.save(DinoViT(dim=64, depth=2, heads=1, patch=16, image_size=224).state_dict(), path)
    return path


@pytest.mark.parametrize("h,w", [(480, 640), (640, 480), (360, 640)])
def test_dino_input_equals_torchvision_pil_transform(tiny_dino_224, h, w):
    """DINO frames go through torchvision Resize(224, BICUBIC) + CenterCrop(224) +
    ToTensor + ImageNet Normalize on PIL images (the dino eval recipe's rules at 224
    instead of 256); ours matches it to one grey level and in the embedding."""
    import torchvision.transforms as T
    from PIL import Image

    from vbench_lite.metrics.image_features import dino_embeddings, load_dino

    skd = pytest.importorskip("skimage.data")
    photo = Image.fromarray(skd.chelsea())  # 300x451 cat photograph
    frame = np.asarray(T.CenterCrop((h, w))(T.Resize(max(h, w) + 1)(photo))).copy()  # non-square camera frame
    pil = T.Compose([T.Resize(224, T.InterpolationMode.BICUBIC), T.CenterCrop(224), T.ToTensor(),
                     T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    with torch.no_grad():
        ref = torch.nn.functional.normalize(load_dino(str(tiny_dino_224))(pil(Image.fromarray(frame))[None]), dim=-1)
    ours = dino_embeddings(frame[None], str(tiny_dino_224))[0]
    assert float(ours @ ref[0].double().numpy()) >= 0.9999


def test_identity_carries_weights_digest(tiny_dino, tiny_clip):
    dino = IdentityDriftDino(weights_path=tiny_dino).identity()
    assert dino == {"version": IdentityDriftDino.version, "weights_sha256": weights.file_sha256(tiny_dino)}
    clip = IdentityDriftClip(model=TINY, pretrained=tiny_clip).identity()
    assert clip["weights_sha256"] == weights.file_sha256(tiny_clip) and clip["model"] == TINY
    assert IdentityDriftDino(weights_path=tiny_dino.parent / "missing.pth").identity()["weights_sha256"] is None
