"""Per-frame image embeddings from pretrained backbones: open_clip CLIP and DINO ViT.

Both return L2-normalised float64 ``(T, D)`` arrays for uint8 ``(T, H, W, 3)`` frames,
so a cosine similarity is a dot product. Weights come only from local files resolved
by ``vbench_lite.weights`` (never a hub name that would download).

Preprocessing reproduces, on batched tensors, the PIL pipelines the backbones were
evaluated with (``resize_center_crop``); tests hold our CLIP embeddings to cosine
>= 0.9999 against open_clip's own ``preprocess`` on non-square photographs.

- CLIP: open_clip's eval transform (``open_clip/transform.py`` ``image_transform``,
  ``resize_mode="shortest"``): torchvision ``Resize(size, BICUBIC)`` on a PIL image,
  ``CenterCrop(size)``, ``ToTensor``, ``Normalize(model mean/std)``. Interpolation and
  resize mode are read from the model's preprocess config, so ``"squash"`` models
  (``Resize((size, size))``) match too.
- DINO: the facebookresearch/dino eval transform (``eval_knn.py``, ``eval_linear.py``)
  is ``Resize(256, interpolation=3)`` (PIL bicubic) + ``CenterCrop(224)`` + ImageNet
  mean/std. We keep its resize rule, kernel and crop rounding but resize the shortest
  side to 224, not 256: the recipe's 256 trims 12.5 % of the short side for ImageNet
  classification, while identity drift should see a subject near the frame edge.
  The feature is the final-norm CLS token (``get_intermediate_layers`` is not needed
  for a global descriptor).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from vbench_lite.errors import UserError

IMAGENET_MEAN = (0.485, 0.456, 0.406)  # torchvision / DINO normalisation
IMAGENET_STD = (0.229, 0.224, 0.225)
FRAME_BATCH = 16  # frames per forward pass by default: bounds memory for long clips (``batch`` options)


def shortest_side_size(h: int, w: int, size: int) -> tuple[int, int]:
    """(new_h, new_w) of torchvision ``Resize(size)`` (an int: the shortest side):
    the short side becomes ``size`` and the long side ``int(size * long / short)`` --
    truncated, not rounded (``torchvision/transforms/functional.py``,
    ``_compute_resized_output_size``). 480x640 at 224 gives 224x298, not 224x299."""
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    return (new_long, new_short) if w <= h else (new_short, new_long)


def center_crop_offset(n: int, size: int) -> int:
    """First index of torchvision ``CenterCrop``: ``int(round((n - size) / 2))``, and
    Python's ``round`` halves to even (an odd margin of 3 starts the crop at 2, not 1)."""
    return int(round((n - size) / 2.0))


RESIZE_MODES = ("shortest", "squash")


def resize_center_crop(frames: np.ndarray, size: int, mean, std, device="cpu", interpolation: str = "bicubic",
                       resize_mode: str = "shortest") -> torch.Tensor:
    """uint8 (T, H, W, 3) -> float (T, 3, size, size), the tensor a torchvision
    ``Resize -> CenterCrop -> ToTensor -> Normalize`` pipeline gives on PIL images.

    ``resize_mode``: "shortest" (shortest side to ``size`` by ``shortest_side_size``,
    then a centre crop at ``center_crop_offset``) or "squash" (straight to ``size`` x
    ``size``). ``interpolation``: "bicubic" or "bilinear". The resize is PIL's: a
    separable filter whose support widens with the shrink factor (antialiasing) and,
    for bicubic, the a = -0.5 kernel; ``F.interpolate(antialias=True)`` computes that
    filter when shrinking and when enlarging (without ``antialias`` torch's bicubic
    uses a = -0.75: another image). Like PIL, it runs one axis at a time and rounds
    to uint8 after each pass. What remains is PIL's fixed-point arithmetic: about one
    value in 5,000 differs, by one grey level.
    """
    if resize_mode not in RESIZE_MODES:
        raise UserError(f"resize mode {resize_mode!r} is not supported; use one of {', '.join(RESIZE_MODES)}")
    if interpolation not in ("bicubic", "bilinear"):
        raise UserError(f"interpolation {interpolation!r} is not supported; use bicubic or bilinear")
    frames = np.ascontiguousarray(frames)
    if not frames.flags.writeable:
        frames = frames.copy()  # torch.from_numpy warns on read-only arrays
    x = torch.from_numpy(frames).to(device).permute(0, 3, 1, 2).float()  # (T, 3, H, W) in [0, 255]
    h, w = x.shape[-2:]
    nh, nw = shortest_side_size(h, w, size) if resize_mode == "shortest" else (size, size)
    # PIL resizes width first, then height, rounding to uint8 after each pass
    # (Pillow ``libImaging/Resample.c``, ``ImagingResampleInner``); an axis whose size
    # does not change is skipped. torchvision returns the image as it is when nothing changes.
    for axis_size in ((h, nw), (nh, nw)):
        if axis_size != tuple(x.shape[-2:]):
            x = F.interpolate(x, size=axis_size, mode=interpolation, align_corners=False, antialias=True)
            x = x.clamp(0, 255).round()  # the uint8 values PIL would return
    top, left = center_crop_offset(nh, size), center_crop_offset(nw, size)
    x = x[:, :, top:top + size, left:left + size] / 255.0  # (T, 3, size, size) in [0, 1]
    m = torch.tensor(mean, device=device).view(1, 3, 1, 1)
    s = torch.tensor(std, device=device).view(1, 3, 1, 1)
    return (x - m) / s


# --------------------------------------------------------------------------- CLIP
@dataclass(frozen=True)
class Preprocess:
    """How frames become model input (the arguments of ``resize_center_crop``)."""

    size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    interpolation: str = "bicubic"
    resize_mode: str = "shortest"


def open_clip_preprocess(cfg: dict, model_name: str = "open_clip model") -> Preprocess:
    """Our ``Preprocess`` for an open_clip preprocess config
    (``open_clip.get_model_preprocess_cfg``), with open_clip's eval defaults: bicubic
    ("random" is a training option that eval maps to bicubic) and "shortest"."""
    size = cfg.get("size", 224)
    if isinstance(size, (tuple, list)):
        if len(set(size)) != 1:
            raise UserError(f"{model_name}: non-square input size {tuple(size)} is not supported")
        size = size[0]
    interpolation = cfg.get("interpolation") or "bicubic"
    interpolation = "bicubic" if interpolation == "random" else interpolation
    resize_mode = cfg.get("resize_mode") or "shortest"
    if resize_mode not in RESIZE_MODES:
        raise UserError(f"{model_name}: open_clip resize_mode {resize_mode!r} is not supported "
                        f"(supported: {', '.join(RESIZE_MODES)})")
    return Preprocess(int(size), tuple(cfg["mean"]), tuple(cfg["std"]), interpolation, resize_mode)


@functools.lru_cache(maxsize=4)
def load_open_clip(model_name: str, path: str, device: str = "cpu"):
    """(model, tokenizer, Preprocess) for an open_clip architecture name and a local
    checkpoint file; cached per process so many metrics share one copy."""
    import open_clip

    if not Path(path).is_file():
        raise UserError(f"CLIP weights file {path} does not exist")
    try:
        model, _, _ = open_clip.create_model_and_transforms(
            model_name, pretrained=str(path), device=device, weights_only=True)
    except RuntimeError as exc:  # unknown config, or a checkpoint of another architecture
        raise UserError(f"cannot load open_clip {model_name!r} from {path}: {str(exc).splitlines()[0][:200]}") from None
    pre = open_clip_preprocess(open_clip.get_model_preprocess_cfg(model), model_name)
    return model.eval(), open_clip.get_tokenizer(model_name), pre


def clip_image_embeddings(frames: np.ndarray, model_name: str, path: str, device: str = "cpu",
                          batch: int = FRAME_BATCH) -> np.ndarray:
    """uint8 (T, H, W, 3) -> float64 (T, D) unit-norm CLIP image embeddings, ``batch``
    frames per forward pass (the same numbers, within float rounding, for any batch)."""
    model, _, pre = load_open_clip(model_name, str(path), device)
    out = []
    with torch.inference_mode():
        for i in range(0, len(frames), batch):
            x = resize_center_crop(frames[i:i + batch], pre.size, pre.mean, pre.std, device,
                                   pre.interpolation, pre.resize_mode)  # (B, 3, S, S)
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

    def pos_embed_for(self, rows: int, cols: int) -> torch.Tensor:
        """(1, rows*cols+1, D) position embedding of a rows x cols patch grid: the stored
        one for the trained square grid, else DINO's ``interpolate_pos_encoding``
        (facebookresearch/dino ``vision_transformer.py`` lines 174-194): bicubic resampling
        of the patch part by the *scale factors* (n + 0.1) / sqrt(N) (the 0.1 is DINO's
        guard against float error, line 186; a scale factor, not a target size, also sets
        the sampling positions). Non-square inputs (VBench's subject consistency feeds the
        uncropped frame) need it."""
        n = self.pos_embed.shape[1] - 1
        side = math.isqrt(n)
        if rows * cols == n and rows == cols:
            return self.pos_embed
        dim = self.pos_embed.shape[-1]
        grid = self.pos_embed[:, 1:].reshape(1, side, side, dim).permute(0, 3, 1, 2)  # (1, D, side, side)
        grid = F.interpolate(grid, scale_factor=((rows + 0.1) / side, (cols + 0.1) / side), mode="bicubic")
        if grid.shape[-2:] != (rows, cols):
            raise UserError(f"DINO position embedding: cannot resample {side}x{side} to {rows}x{cols}")
        patch = grid.permute(0, 2, 3, 1).reshape(1, rows * cols, dim)  # (1, rows*cols, D)
        return torch.cat([self.pos_embed[:, :1], patch], dim=1)

    def forward(self, x):  # (B, 3, H, W) normalised; H, W multiples of the patch in training
        rows, cols = x.shape[-2] // self.patch, x.shape[-1] // self.patch  # the conv drops a remainder
        x = self.patch_embed.proj(x).flatten(2).transpose(1, 2)  # (B, N, D)
        x = torch.cat([self.cls_token.expand(len(x), -1, -1), x], dim=1) + self.pos_embed_for(rows, cols)  # (B, N+1, D)
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


def dino_embeddings(frames: np.ndarray, path: str, device: str = "cpu", batch: int = FRAME_BATCH) -> np.ndarray:
    """uint8 (T, H, W, 3) -> float64 (T, D) unit-norm DINO CLS embeddings, ``batch``
    frames per forward pass."""
    model = load_dino(str(path), device)
    out = []
    with torch.inference_mode():
        for i in range(0, len(frames), batch):
            # torchvision Resize(image_size, BICUBIC) + CenterCrop(image_size) on PIL, as the CLIP path
            x = resize_center_crop(frames[i:i + batch], model.image_size, IMAGENET_MEAN, IMAGENET_STD, device,
                                   "bicubic", "shortest")  # (B, 3, S, S)
            out.append(F.normalize(model(x).float(), dim=-1))  # (B, D)
    return torch.cat(out).double().cpu().numpy()
