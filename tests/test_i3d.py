"""I3D model: checkpoint layout, SAME padding, loader checks, preprocessing."""

import numpy as np
import pytest
import torch

from vbench_lite.metrics.i3d import (
    InceptionI3d, build_from_state_dict, full_fp32, output_frames, preprocess, same_pad,
)


def test_full_model_matches_converted_checkpoint_layout():
    sd = InceptionI3d().state_dict()
    # names and shapes of the piergiaj/pytorch-i3d InceptionI3d (i3d_pretrained_400.pt)
    assert sd["Conv3d_1a_7x7.conv3d.weight"].shape == (64, 3, 7, 7, 7)
    assert sd["Conv3d_2c_3x3.bn.running_var"].shape == (192,)
    assert sd["Mixed_3b.b1b.conv3d.weight"].shape == (128, 96, 3, 3, 3)
    assert sd["Mixed_4b.b0.conv3d.weight"].shape == (192, 480, 1, 1, 1)
    assert sd["Mixed_5c.b3b.conv3d.weight"].shape == (128, 832, 1, 1, 1)
    assert sd["logits.conv3d.weight"].shape == (400, 1024, 1, 1, 1)
    assert sd["logits.conv3d.bias"].shape == (400,)
    assert not any(k.startswith("Mixed_3b.b3a") for k in sd)  # the pool branch has no weights
    n_params = sum(v.numel() for k, v in sd.items() if "running" not in k and "num_batches" not in k)
    assert n_params == 12_697_264  # the published InceptionI3d parameter count


@pytest.mark.parametrize("n,k,s,expected", [(224, 7, 2, 112), (9, 7, 2, 5), (7, 2, 2, 4), (8, 3, 1, 8)])
def test_same_padding_gives_ceil_size(n, k, s, expected):
    x = torch.ones(1, 1, n, 1, 1)
    y = torch.nn.functional.max_pool3d(same_pad(x, (k, 1, 1), (s, 1, 1)), (k, 1, 1), (s, 1, 1))
    assert y.shape[2:] == (expected, 1, 1)


def test_same_padding_is_asymmetric_like_tensorflow():
    x = torch.zeros(1, 1, 1, 1, 4)
    padded = same_pad(x, (1, 1, 2), (1, 1, 2))  # total 0 pad for even size
    assert padded.shape[-1] == 4
    padded = same_pad(torch.zeros(1, 1, 1, 1, 5), (1, 1, 4), (1, 1, 2))  # total 3: 1 before, 2 after
    assert padded.shape[-1] == 8


def test_tiny_model_roundtrip_and_time_average():
    model = InceptionI3d(num_classes=10, width_div=16).eval()
    sd = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    rebuilt = build_from_state_dict(sd)  # old conversions lack num_batches_tracked
    assert rebuilt.width_div == 16 and rebuilt.num_classes == 10
    frames = torch.randint(0, 256, (2, 16, 40, 56, 3), dtype=torch.uint8)
    x224 = preprocess(frames)
    assert x224.shape == (2, 3, 16, 224, 224) and x224.min() >= -1 and x224.max() <= 1
    x = preprocess(frames, 64)  # smaller than the protocol's 224 to keep the test fast
    with torch.no_grad():
        out = rebuilt(x)
    assert out.shape == (2, 10)
    torch.testing.assert_close(out, model(x))
    assert output_frames(16) == 1 and output_frames(32) == 3


def test_loader_rejects_other_layouts():
    with pytest.raises(ValueError, match="not a piergiaj-layout"):
        build_from_state_dict({"conv.weight": torch.zeros(1)})
    sd = InceptionI3d(width_div=16).state_dict()
    sd["extra.weight"] = torch.zeros(1)
    with pytest.raises(ValueError, match="unexpected"):
        build_from_state_dict(sd)


def test_short_clip_is_rejected():
    with pytest.raises(ValueError, match="T>=9"):
        InceptionI3d(width_div=16)(torch.zeros(1, 3, 8, 224, 224))


def test_preprocess_resize_matches_pil_bilinear_on_every_axis():
    """Squash resize = PIL's bilinear (antialiased where an axis shrinks), also when one
    axis shrinks and the other grows -- a 300x150 frame to 224: 300 shrinks, 150 grows."""
    from PIL import Image

    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (300, 150, 3), dtype=np.uint8)
    frame[:, :, 0] = (np.arange(300) % 2 * 255)[:, None]  # 1-px stripes along the shrinking axis
    ours = preprocess(torch.from_numpy(frame)[None, None])[0, :, 0]  # (3, 224, 224) in [-1, 1]
    for c in range(3):  # PIL on float channels (mode "F"): no uint8 rounding in the reference
        ref = np.asarray(Image.fromarray(frame[..., c].astype(np.float32) / 255.0, mode="F")
                         .resize((224, 224), Image.BILINEAR))
        np.testing.assert_allclose((ours[c].numpy() + 1) / 2, ref, atol=2e-3)
    assert ours[0].abs().max() < 0.5  # the stripes average to grey instead of aliasing to black/white


def test_full_fp32_turns_tf32_off_and_restores_it():
    conv = torch.backends.cudnn.conv
    before = conv.fp32_precision
    with full_fp32():
        assert conv.fp32_precision == "ieee"
    assert conv.fp32_precision == before
