"""VBench 0.1.5's subject/background consistency, transcribed step by step as the
independent reference for ``tests/test_vbench_dims_b.py``.

Written from the sources (read, not copied): the ``vbench`` wheel 0.1.5
(``vbench/utils.py``, ``subject_consistency.py``, ``background_consistency.py``),
facebookresearch/dino ``vision_transformer.py`` (commit 7c446df) and openai/CLIP
``clip/model.py`` (commit d05afc4). The transforms are torchvision's own classes, as
VBench composes them; the backbones are plain transcriptions of DINO's and OpenAI's
modules (explicit attention, OpenAI's sequence-first ``nn.MultiheadAttention``), so
nothing here shares code with ``vbench_lite.metrics``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision import transforms as T


# ---------------------------------------------------------------- frames and transforms
def load_video_tensor(frames: np.ndarray) -> torch.Tensor:
    """utils.py lines 174-175: ``torch.Tensor(frames).permute(0, 3, 1, 2)`` -- float32 [0, 255]."""
    return torch.Tensor(frames).permute(0, 3, 1, 2)


def dino_transform(n_px: int = 224):
    """utils.py lines 49-54: Resize(n_px, antialias=False) (default bilinear), /255, ImageNet norm."""
    return T.Compose([T.Resize(size=n_px, antialias=False), T.Lambda(lambda x: x.float().div(255.0)),
                      T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])


def clip_transform(n_px: int = 224):
    """utils.py lines 33-39: Resize(n_px, BICUBIC, antialias=False), CenterCrop, /255, CLIP norm."""
    return T.Compose([T.Resize(n_px, interpolation=T.InterpolationMode.BICUBIC, antialias=False),
                      T.CenterCrop(n_px), T.Lambda(lambda x: x.float().div(255.0)),
                      T.Normalize((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711))])


# ---------------------------------------------------------------- per-video loops
def subject_consistency_video(model, frames: np.ndarray) -> tuple[float, float, int]:
    """subject_consistency.py lines 47-64 for one video: one frame per forward pass,
    float32 cosines turned into Python floats, clipped at 0; returns (video value,
    video_sim, cnt)."""
    images = dino_transform(224)(load_video_tensor(frames))
    video_sim, cnt = 0.0, 0
    first = former = None
    for i in range(len(images)):
        with torch.no_grad():
            feat = F.normalize(model(images[i].unsqueeze(0)), dim=-1, p=2)
        if i == 0:
            first = feat
        else:
            sim_pre = max(0.0, F.cosine_similarity(former, feat).item())
            sim_fir = max(0.0, F.cosine_similarity(first, feat).item())
            video_sim += (sim_pre + sim_fir) / 2
            cnt += 1
        former = feat
    return video_sim / (len(images) - 1), video_sim, cnt


def background_consistency_video(encode_image, frames: np.ndarray) -> tuple[float, float, int]:
    """background_consistency.py lines 39-56: all frames in one ``encode_image`` call,
    then the same loop as subject consistency; returns (video value, video_sim, cnt)."""
    with torch.no_grad():
        feats = F.normalize(encode_image(clip_transform(224)(load_video_tensor(frames))), dim=-1, p=2)
    video_sim, cnt = 0.0, 0
    for i in range(len(feats)):
        feat = feats[i].unsqueeze(0)
        if i == 0:
            first = feat
        else:
            sim_pre = max(0.0, F.cosine_similarity(former, feat).item())
            sim_fir = max(0.0, F.cosine_similarity(first, feat).item())
            video_sim += (sim_pre + sim_fir) / 2
            cnt += 1
        former = feat
    return video_sim / (len(feats) - 1), video_sim, cnt


def dimension_aggregate(per_video: list[tuple[float, float, int]]) -> float:
    """subject_consistency.py line 68 / background_consistency.py line 64 (one process):
    the sum of every video's ``video_sim`` over the number of frame pairs."""
    return sum(v[1] for v in per_video) / sum(v[2] for v in per_video)


# ---------------------------------------------------------------- DINO ViT (vision_transformer.py)
class _DinoBlock(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)  # vit_base: partial(nn.LayerNorm, eps=1e-6), line 253
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = nn.Module()
        self.attn.qkv, self.attn.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)  # qkv_bias=True
        self.mlp = nn.Module()
        self.mlp.fc1, self.mlp.fc2 = nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        y = self.norm1(x)  # Block.forward, lines 107-113
        qkv = self.attn.qkv(y).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)  # line 82
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * (c // self.heads) ** -0.5).softmax(dim=-1)  # lines 73, 85-86
        x = x + self.attn.proj((attn @ v).transpose(1, 2).reshape(b, n, c))  # lines 89-90
        return x + self.mlp.fc2(nn.functional.gelu(self.mlp.fc1(self.norm2(x))))  # Mlp, nn.GELU, lines 59-65


class RefDino(nn.Module):
    """DINO ``VisionTransformer`` (num_classes=0), loaded from a DINO state dict."""

    def __init__(self, sd: dict):
        super().__init__()
        dim, patch = sd["cls_token"].shape[-1], sd["patch_embed.proj.weight"].shape[-1]
        depth = 1 + max(int(k.split(".")[1]) for k in sd if k.startswith("blocks."))
        self.patch = patch
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(3, dim, patch, patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros_like(sd["pos_embed"]))
        self.blocks = nn.ModuleList(_DinoBlock(dim, dim // 64) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.load_state_dict(sd)
        self.eval()

    def interpolate_pos_encoding(self, x, w, h):  # lines 174-194 (w, h are dims 2 and 3)
        npatch, n = x.shape[1] - 1, self.pos_embed.shape[1] - 1
        if npatch == n and w == h:
            return self.pos_embed
        dim = x.shape[-1]
        w0, h0 = w // self.patch + 0.1, h // self.patch + 0.1
        grid = self.pos_embed[:, 1:].reshape(1, int(math.sqrt(n)), int(math.sqrt(n)), dim).permute(0, 3, 1, 2)
        grid = nn.functional.interpolate(grid, scale_factor=(w0 / math.sqrt(n), h0 / math.sqrt(n)), mode="bicubic")
        assert int(w0) == grid.shape[-2] and int(h0) == grid.shape[-1]
        return torch.cat((self.pos_embed[:, 0].unsqueeze(0), grid.permute(0, 2, 3, 1).view(1, -1, dim)), dim=1)

    def forward(self, x):  # prepare_tokens + forward, lines 196-214
        _, _, w, h = x.shape
        x = self.patch_embed.proj(x).flatten(2).transpose(1, 2)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        x = x + self.interpolate_pos_encoding(x, w, h)
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)[:, 0]


# ---------------------------------------------------------------- OpenAI CLIP visual (clip/model.py)
class _ClipBlock(nn.Module):
    def __init__(self, width: int, heads: int):
        super().__init__()
        self.attn = nn.MultiheadAttention(width, heads)  # line 175, sequence-first
        self.ln_1, self.ln_2 = nn.LayerNorm(width), nn.LayerNorm(width)  # eps 1e-5 (lines 157-163)
        self.mlp = nn.Module()
        self.mlp.c_fc, self.mlp.c_proj = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)

    def forward(self, x):  # lines 185-192; QuickGELU x * sigmoid(1.702 x), lines 166-168
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=False)[0]
        h = self.mlp.c_fc(self.ln_2(x))
        return x + self.mlp.c_proj(h * torch.sigmoid(1.702 * h))


class RefClipVisual(nn.Module):
    """OpenAI CLIP ``VisionTransformer`` (lines 206-240) from a full CLIP state dict."""

    def __init__(self, sd: dict):
        super().__init__()
        sd = {k[len("visual."):]: v for k, v in sd.items() if k.startswith("visual.")}
        width, patch = sd["conv1.weight"].shape[0], sd["conv1.weight"].shape[-1]
        layers = len([k for k in sd if k.endswith(".attn.in_proj_weight")])
        self.conv1 = nn.Conv2d(3, width, patch, patch, bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(width))
        self.positional_embedding = nn.Parameter(torch.zeros_like(sd["positional_embedding"]))
        self.ln_pre, self.ln_post = nn.LayerNorm(width), nn.LayerNorm(width)
        self.transformer = nn.Module()
        self.transformer.resblocks = nn.Sequential(*[_ClipBlock(width, width // 64) for _ in range(layers)])
        self.proj = nn.Parameter(torch.zeros_like(sd["proj"]))
        self.load_state_dict(sd)
        self.eval()

    def forward(self, x):
        x = self.conv1(x)
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
        cls = self.class_embedding + torch.zeros(x.shape[0], 1, x.shape[-1])
        x = self.ln_pre(torch.cat([cls, x], dim=1) + self.positional_embedding)
        x = self.transformer.resblocks(x.permute(1, 0, 2)).permute(1, 0, 2)
        return self.ln_post(x[:, 0, :]) @ self.proj
