"""Inflated 3D ConvNet (I3D, Inception-v1) for FVD, in one readable file.

Architecture from Carreira & Zisserman, "Quo Vadis, Action Recognition?" (2017). The
module and parameter names follow the widely used PyTorch port (piergiaj/pytorch-i3d,
``InceptionI3d``), so the converted Kinetics-400 checkpoint that VideoGPT and TATS
distribute as ``i3d_pretrained_400.pt`` loads with ``strict=True``:

    Conv3d_1a_7x7.conv3d.weight, Conv3d_1a_7x7.bn.{weight,bias,running_mean,running_var},
    Mixed_3b.b0 / b1a / b1b / b2a / b2b / b3b (.conv3d, .bn), ..., logits.conv3d.{weight,bias}

Facts kept from the TensorFlow original: "SAME" padding computed from the input size
(asymmetric, the extra pixel at the end), BatchNorm eps 1e-3, a final average pool of
(2, 7, 7) with stride 1, and a 1x1x1 conv with bias as the classifier. The output is
the class logits averaged over the remaining time steps, as in VideoGPT's FVD code.

Input: float (B, 3, T, 224, 224) in [-1, 1], T >= 9 (the time axis is downsampled 8x
and the final pool needs 2 steps). Other sizes (multiples of 32) run too -- the final
pool covers the whole remaining plane -- but only 224 is the FVD protocol.
``width_div`` shrinks every channel count (tests use small random models); the loader
infers it from the checkpoint.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

MIN_FRAMES = 9  # ceil(ceil(ceil(T/2)/2)/2) must be >= 2 for the (2, 7, 7) pool
INPUT_SIZE = 224  # spatial size the 7x7 final pool expects (224 / 32 = 7)

# (name, [b0, b1a, b1b, b2a, b2b, b3b] output channels) of each Inception block,
# with the max-pool that precedes some of them: (kernel, stride) or None
_MIXED = [
    ("Mixed_3b", [64, 96, 128, 16, 32, 32], None),
    ("Mixed_3c", [128, 128, 192, 32, 96, 64], None),
    ("Mixed_4b", [192, 96, 208, 16, 48, 64], ("MaxPool3d_4a_3x3", (3, 3, 3), (2, 2, 2))),
    ("Mixed_4c", [160, 112, 224, 24, 64, 64], None),
    ("Mixed_4d", [128, 128, 256, 24, 64, 64], None),
    ("Mixed_4e", [112, 144, 288, 32, 64, 64], None),
    ("Mixed_4f", [256, 160, 320, 32, 128, 128], None),
    ("Mixed_5b", [256, 160, 320, 32, 128, 128], ("MaxPool3d_5a_2x2", (2, 2, 2), (2, 2, 2))),
    ("Mixed_5c", [384, 192, 384, 48, 128, 128], None),
]


def same_pad(x: torch.Tensor, kernel: tuple[int, int, int], stride: tuple[int, int, int]) -> torch.Tensor:
    """TensorFlow "SAME" zero padding of (B, C, T, H, W): output size ceil(n / s);
    the odd pixel goes at the end. Zero padding is exact for the max-pools here too,
    because every pooled input follows a ReLU (>= 0)."""
    pads = []
    for n, k, s in zip(reversed(x.shape[2:]), reversed(kernel), reversed(stride)):  # W, H, T order
        total = max(k - (s if n % s == 0 else n % s), 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads)


class Unit3D(nn.Module):
    """SAME-padded Conv3d (+ BatchNorm, eps 1e-3) (+ ReLU); names ``conv3d``, ``bn``."""

    def __init__(self, c_in, c_out, kernel=(1, 1, 1), stride=(1, 1, 1), norm_act=True):
        super().__init__()
        self.kernel, self.stride, self.norm_act = tuple(kernel), tuple(stride), norm_act
        self.conv3d = nn.Conv3d(c_in, c_out, self.kernel, self.stride, padding=0, bias=not norm_act)
        if norm_act:
            self.bn = nn.BatchNorm3d(c_out, eps=1e-3, momentum=0.01)

    def forward(self, x):  # (B, C_in, T, H, W) -> (B, C_out, T', H', W')
        x = self.conv3d(same_pad(x, self.kernel, self.stride))
        return F.relu(self.bn(x)) if self.norm_act else x


class MaxPoolSame(nn.Module):
    def __init__(self, kernel, stride):
        super().__init__()
        self.kernel, self.stride = tuple(kernel), tuple(stride)

    def forward(self, x):  # (B, C, T, H, W) -> (B, C, ceil(T/s), ceil(H/s), ceil(W/s))
        return F.max_pool3d(same_pad(x, self.kernel, self.stride), self.kernel, self.stride)


class InceptionBlock(nn.Module):
    """Four branches concatenated on channels: 1x1 | 1x1->3x3 | 1x1->3x3 | pool->1x1."""

    def __init__(self, c_in: int, c: list[int]):
        super().__init__()
        self.b0 = Unit3D(c_in, c[0])
        self.b1a, self.b1b = Unit3D(c_in, c[1]), Unit3D(c[1], c[2], (3, 3, 3))
        self.b2a, self.b2b = Unit3D(c_in, c[3]), Unit3D(c[3], c[4], (3, 3, 3))
        self.b3a, self.b3b = MaxPoolSame((3, 3, 3), (1, 1, 1)), Unit3D(c_in, c[5])
        self.out_channels = c[0] + c[2] + c[4] + c[5]

    def forward(self, x):  # (B, C_in, T, H, W) -> (B, out_channels, T, H, W)
        return torch.cat([self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)), self.b3b(self.b3a(x))], dim=1)


class InceptionI3d(nn.Module):
    """I3D classifier; ``forward`` returns (B, num_classes) logits averaged over time."""

    def __init__(self, num_classes: int = 400, width_div: int = 1):
        super().__init__()
        w = lambda c: max(1, c // width_div)  # noqa: E731  channel count at this width
        self.num_classes, self.width_div = num_classes, width_div
        self.Conv3d_1a_7x7 = Unit3D(3, w(64), (7, 7, 7), (2, 2, 2))
        self.MaxPool3d_2a_3x3 = MaxPoolSame((1, 3, 3), (1, 2, 2))
        self.Conv3d_2b_1x1 = Unit3D(w(64), w(64))
        self.Conv3d_2c_3x3 = Unit3D(w(64), w(192), (3, 3, 3))
        self.MaxPool3d_3a_3x3 = MaxPoolSame((1, 3, 3), (1, 2, 2))
        self.mixed_order: list[str] = []
        c = w(192)
        for name, chans, pool in _MIXED:
            if pool is not None:
                setattr(self, pool[0], MaxPoolSame(pool[1], pool[2]))
                self.mixed_order.append(pool[0])
            block = InceptionBlock(c, [w(k) for k in chans])
            setattr(self, name, block)
            self.mixed_order.append(name)
            c = block.out_channels
        self.logits = Unit3D(c, num_classes, norm_act=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 5 or x.shape[1] != 3 or x.shape[2] < MIN_FRAMES:
            raise ValueError(f"I3D expects (B, 3, T>={MIN_FRAMES}, H, W) in [-1, 1], got {tuple(x.shape)}")
        x = self.MaxPool3d_2a_3x3(self.Conv3d_1a_7x7(x))  # (B, 64, T/2, H/4, W/4)
        x = self.MaxPool3d_3a_3x3(self.Conv3d_2c_3x3(self.Conv3d_2b_1x1(x)))  # (B, 192, T/2, H/8, W/8)
        for name in self.mixed_order:
            x = getattr(self, name)(x)  # ends at (B, 1024, T/8, H/32, W/32)
        # the (2, 7, 7) pool of the original at 224 px; pooling the whole remaining
        # plane instead lets tests run at a smaller frame size with identical results at 224
        x = F.avg_pool3d(x, kernel_size=(2, x.shape[3], x.shape[4]), stride=1)  # (B, 1024, T/8-1, 1, 1)
        x = self.logits(x)  # (B, num_classes, T', 1, 1); dropout is identity at eval
        return x.flatten(2).mean(dim=2)  # (B, num_classes): average over time


def build_from_state_dict(sd: dict[str, torch.Tensor], source: str | Path = "checkpoint") -> InceptionI3d:
    """An ``InceptionI3d`` in eval mode with ``sd`` loaded strictly; width and class
    count are read from the tensors. A file of another layout raises ``ValueError``
    naming the first missing/unexpected keys."""
    try:
        first = sd["Conv3d_1a_7x7.conv3d.weight"]  # (64 / width_div, 3, 7, 7, 7)
        head = sd["logits.conv3d.weight"]  # (num_classes, 1024 / width_div, 1, 1, 1)
    except KeyError as exc:
        raise ValueError(f"{source} is not a piergiaj-layout I3D state dict (no {exc.args[0]!r})") from None
    width_div = max(1, 64 // int(first.shape[0]))
    model = InceptionI3d(num_classes=int(head.shape[0]), width_div=width_div)
    result = model.load_state_dict(sd, strict=False)
    # checkpoints converted with old PyTorch lack BatchNorm's step counter; it is unused at eval
    missing = [k for k in result.missing_keys if not k.endswith("num_batches_tracked")]
    if missing or result.unexpected_keys:
        raise ValueError(
            f"{source} does not match the I3D layout: missing {missing[:3]}, "
            f"unexpected {result.unexpected_keys[:3]}"
        )
    return model.eval()


# How ``preprocess`` resizes, named in the FVD protocol string; change it with the code.
RESIZE = "bilinear,antialias"


def preprocess(frames: torch.Tensor, size: int = INPUT_SIZE) -> torch.Tensor:
    """uint8 (B, T, H, W, 3) -> float (B, 3, T, size, size) in [-1, 1].

    Squash resize (aspect ratio not kept, no crop) with bilinear interpolation,
    antialiased: on an axis that shrinks, the filter support widens with the shrink
    factor (PIL-style), so fine detail does not alias; on an axis that grows this is
    plain bilinear. Antialiasing is decided per axis, as in PIL's ``resize``: a
    300x200 frame is low-pass filtered along its 300 side only."""
    b, t, h, w, _ = frames.shape
    x = frames.permute(0, 1, 4, 2, 3).reshape(b * t, 3, h, w).float() / 255.0  # (B*T, 3, H, W)
    if (h, w) != (size, size):
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    x = x.clamp(0.0, 1.0) * 2.0 - 1.0  # (B*T, 3, size, size) in [-1, 1]
    return x.reshape(b, t, 3, size, size).permute(0, 2, 1, 3, 4).contiguous()  # (B, 3, T, size, size)


@contextlib.contextmanager
def full_fp32():
    """Run convolutions in full float32 on CUDA. PyTorch lets cuDNN use TF32 for
    float32 convolutions by default, and on Ampere and later GPUs it does: a 10-bit
    mantissa (about 3 significant digits), so the logits, and FVD, would depend on
    the GPU. The protocol says fp32, so it is fp32 everywhere; the previous setting is
    restored afterwards."""
    conv = getattr(torch.backends.cudnn, "conv", None)
    if conv is not None and hasattr(conv, "fp32_precision"):  # torch >= 2.9 API; never mix it with allow_tf32
        before = conv.fp32_precision
        conv.fp32_precision = "ieee"
        try:
            yield
        finally:
            conv.fp32_precision = before
    else:
        before = torch.backends.cudnn.allow_tf32
        torch.backends.cudnn.allow_tf32 = False
        try:
            yield
        finally:
            torch.backends.cudnn.allow_tf32 = before


def output_frames(t: int) -> int:
    """Time steps left before averaging for a T-frame input (for docs and checks)."""
    for _ in range(3):
        t = math.ceil(t / 2)
    return t - 1
