"""Per-frame image embeddings from pretrained backbones: open_clip CLIP and DINO ViT.

Both return L2-normalised float64 ``(T, D)`` arrays for uint8 ``(T, H, W, 3)`` frames,
so a cosine similarity is a dot product. Weights come only from local files resolved
by ``vbench_lite.weights`` (never a hub name that would download).

CLIP preprocessing follows open_clip's eval transform (``open_clip/transform.py``):
resize the shortest side to the model's image size (bicubic), centre crop, normalise
with the model's mean/std -- done here on batched tensors instead of per-PIL-image.
DINO follows the facebookresearch/dino eval recipe with a 224 centre crop and
ImageNet mean/std; the feature is the final-norm CLS token (``dino/utils.py``-style
``get_intermediate_layers`` is not needed for a global descriptor).
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from vbench_lite.errors import UserError

IMAGENET_MEAN = (0.485, 0.456, 0.406)  # torchvision / DINO normalisation
IMAGENET_STD = (0.229, 0.224, 0.225)
FRAME_BATCH = 16  # frames per forward pass: bounds memory for long clips


def resize_center_crop(frames: np.ndarray, size: int, mean, std, device="cpu") -> torch.Tensor:
    """uint8 (T, H, W, 3) -> float (T, 3, size, size): shortest side to ``size``
    (bicubic, antialiased when shrinking), centre crop, (x - mean) / std."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).to(device).permute(0, 3, 1, 2).float() / 255.0  # (T,3,H,W)
    h, w = x.shape[-2:]
    scale = size / min(h, w)
    nh, nw = max(size, round(h * scale)), max(size, round(w * scale))
    x = F.interpolate(x, size=(nh, nw), mode="bicubic", align_corners=False, antialias=scale < 1).clamp(0, 1)
    top, left = (nh - size) // 2, (nw - size) // 2
    x = x[:, :, top:top + size, left:left + size]  # (T, 3, size, size)
    m = torch.tensor(mean, device=device).view(1, 3, 1, 1)
    s = torch.tensor(std, device=device).view(1, 3, 1, 1)
    return (x - m) / s


# --------------------------------------------------------------------------- CLIP
@functools.lru_cache(maxsize=4)
def load_open_clip(model_name: str, path: str, device: str = "cpu"):
    """(model, tokenizer, (size, mean, std)) for an open_clip architecture name and a
    local checkpoint file; cached per process so many metrics share one copy."""
    import open_clip

    if not Path(path).is_file():
        raise UserError(f"CLIP weights file {path} does not exist")
    try:
        model, _, preprocess = open_clip.create_model_and_transforms(
            model_name, pretrained=str(path), device=device, weights_only=True)
    except RuntimeError as exc:  # unknown config, or a checkpoint of another architecture
        raise UserError(f"cannot load open_clip {model_name!r} from {path}: {str(exc).splitlines()[0][:200]}") from None
    cfg = open_clip.get_model_preprocess_cfg(model)
    size = cfg.get("size", 224)
    size = size[0] if isinstance(size, (tuple, list)) else size
    return model.eval(), open_clip.get_tokenizer(model_name), (int(size), tuple(cfg["mean"]), tuple(cfg["std"]))


def clip_image_embeddings(frames: np.ndarray, model_name: str, path: str, device: str = "cpu") -> np.ndarray:
    """uint8 (T, H, W, 3) -> float64 (T, D) unit-norm CLIP image embeddings."""
    model, _, (size, mean, std) = load_open_clip(model_name, str(path), device)
    out = []
    with torch.inference_mode():
        for i in range(0, len(frames), FRAME_BATCH):
            x = resize_center_crop(frames[i:i + FRAME_BATCH], size, mean, std, device)  # (B, 3, S, S)
            out.append(F.normalize(model.encode_image(x).float(), dim=-1))  # (B, D)
    return torch.cat(out).double().cpu().numpy()


def clip_text_embedding(text: str, model_name: str, path: str, device: str = "cpu") -> np.ndarray:
    """float64 (D,) unit-norm CLIP text embedding of one prompt."""
    model, tokenizer, _ = load_open_clip(model_name, str(path), device)
    with torch.inference_mode():
        tokens = tokenizer([text]).to(device)  # (1, context_length)
        emb = F.normalize(model.encode_text(tokens).float(), dim=-1)  # (1, D)
    return emb[0].double().cpu().numpy()


# --------------------------------------------------------------------------- DINO
class _Block(nn.Module):
    """Pre-norm transformer block in the DeiT/DINO layout (norm1, attn.qkv, attn.proj,
    norm2, mlp.fc1, mlp.fc2), so DINO checkpoints load by name."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(dim, eps=1e-6), nn.LayerNorm(dim, eps=1e-6)
        self.attn = nn.Module()
        self.attn.qkv, self.attn.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.mlp = nn.Module()
        self.mlp.fc1, self.mlp.fc2 = nn.Linear(dim, int(dim * mlp_ratio)), nn.Linear(int(dim * mlp_ratio), dim)

    def forward(self, x):  # (B, N, D)
        b, n, d = x.shape
        qkv = self.attn.qkv(self.norm1(x)).view(b, n, 3, self.heads, d // self.heads)  # (B, N, 3, h, d/h)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each (B, h, N, d/h)
        a = F.scaled_dot_product_attention(q, k, v)  # (B, h, N, d/h)
        x = x + self.attn.proj(a.transpose(1, 2).reshape(b, n, d))
        return x + self.mlp.fc2(F.gelu(self.mlp.fc1(self.norm2(x))))  # (B, N, D)


class DinoViT(nn.Module):
    """ViT backbone with the DINO ``dino_deitsmall16_pretrain.pth`` key names; returns
    the final-norm CLS token. ViT-S/16: dim 384, depth 12, 6 heads (64-d heads)."""

    def __init__(self, dim=384, depth=12, heads=6, patch=16, image_size=224):
        super().__init__()
        self.patch, self.image_size = patch, image_size
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(3, dim, patch, patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, (image_size // patch) ** 2 + 1, dim))
        self.blocks = nn.ModuleList(_Block(dim, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x):  # (B, 3, S, S) normalised
        x = self.patch_embed.proj(x).flatten(2).transpose(1, 2)  # (B, N, D)
        x = torch.cat([self.cls_token.expand(len(x), -1, -1), x], dim=1) + self.pos_embed  # (B, N+1, D)
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)[:, 0]  # (B, D) CLS token

    @classmethod
    def from_state_dict(cls, sd: dict, source="checkpoint") -> "DinoViT":
        """Build from a DINO checkpoint, reading dim/depth/patch from tensor shapes;
        heads = dim / 64 as in all DeiT/DINO ViTs."""
        sd = {k.removeprefix("module.").removeprefix("backbone."): v for k, v in sd.items()}
        if "cls_token" not in sd or "patch_embed.proj.weight" not in sd:
            raise UserError(f"{source} is not a DINO ViT checkpoint (no cls_token / patch_embed)")
        dim, patch = sd["cls_token"].shape[-1], sd["patch_embed.proj.weight"].shape[-1]
        depth = 1 + max(int(k.split(".")[1]) for k in sd if k.startswith("blocks."))
        side = math.isqrt(sd["pos_embed"].shape[1] - 1)
        model = cls(dim, depth, max(1, dim // 64), patch, side * patch)
        sd = {k: v for k, v in sd.items() if not k.startswith("head")}  # projection head unused
        try:
            model.load_state_dict(sd, strict=True)
        except RuntimeError as exc:
            raise UserError(f"{source} does not match the DINO ViT layout: {str(exc).splitlines()[1][:200]}") from None
        return model.eval()


@functools.lru_cache(maxsize=2)
def load_dino(path: str, device: str = "cpu") -> DinoViT:
    from vbench_lite.weights import load_state_dict

    return DinoViT.from_state_dict(load_state_dict(path), source=path).to(device)


def dino_embeddings(frames: np.ndarray, path: str, device: str = "cpu") -> np.ndarray:
    """uint8 (T, H, W, 3) -> float64 (T, D) unit-norm DINO CLS embeddings."""
    model = load_dino(str(path), device)
    out = []
    with torch.inference_mode():
        for i in range(0, len(frames), FRAME_BATCH):
            x = resize_center_crop(frames[i:i + FRAME_BATCH], model.image_size, IMAGENET_MEAN, IMAGENET_STD, device)
            out.append(F.normalize(model(x).float(), dim=-1))  # (B, D)
    return torch.cat(out).double().cpu().numpy()
