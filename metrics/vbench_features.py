"""Per-frame features exactly as VBench 0.1.x feeds its consistency backbones.

VBench (the ``vbench`` package, 0.1.5 read for these facts) does NOT use the
backbones' own eval transforms. With ``read_frame=False`` (its default), a video is
decoded whole (``vbench/utils.py`` ``load_video`` lines 147-160: every frame, decord,
RGB), turned into a float32 tensor in [0, 255] (line 174, ``torch.Tensor(frames)``)
and then resized *as a float tensor* without antialiasing:

- subject consistency, DINO ViT-B/16 (``utils.py`` lines 49-54, ``dino_transform``):
  ``Resize(224, antialias=False)`` -- bilinear, shortest side to 224, **no centre
  crop** (the ViT sees the whole frame; DINO resamples its position embedding,
  ``DinoViT.pos_embed_for``) -- then /255 and ImageNet mean/std.
- background consistency, OpenAI CLIP ViT-B/32 (``utils.py`` lines 33-39,
  ``clip_transform``): ``Resize(224, BICUBIC, antialias=False)`` (torch's a = -0.75
  cubic, values not clamped for float input), ``CenterCrop(224)``, /255, CLIP mean/std.

torchvision's ``resize`` returns the image untouched when the size does not change
(``transforms/functional.py``, ``if [image_height, image_width] == output_size``), and
computes the long side by truncation (``_compute_resized_output_size``); our
``shortest_side_size`` and ``center_crop_offset`` are those rules.

Backbones: DINO ViT-B/16 through the project's ``DinoViT`` loader (the DINO layout;
ViT-B/16 is dim 768, 12 blocks, 12 heads). OpenAI CLIP through open_clip's builder for
OpenAI state dicts (QuickGELU, the OpenAI key names), from the TorchScript archive
OpenAI publishes, in float32 as ``clip.load`` gives on CPU (clip.py line 141; on CUDA
OpenAI's ``clip.load`` keeps float16 weights, so VBench's GPU numbers carry fp16 rounding).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from vbench_lite.errors import UserError
from vbench_lite.metrics.image_features import (
    FRAME_BATCH, IMAGENET_MEAN, IMAGENET_STD, center_crop_offset, load_dino, shortest_side_size,
)

VBENCH_SIZE = 224  # dino_transform(224) / clip_transform(224): subject_consistency.py line 37, background line 27
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)  # vbench/utils.py line 38 (OpenAI CLIP's statistics)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def _float_frames(frames: np.ndarray, device) -> torch.Tensor:
    """uint8 (T, H, W, 3) -> float32 (T, 3, H, W) in [0, 255], VBench's ``torch.Tensor(frames)``
    then ``permute(0, 3, 1, 2)`` (utils.py lines 174-175)."""
    frames = np.ascontiguousarray(frames)
    if not frames.flags.writeable:
        frames = frames.copy()  # torch.from_numpy warns on read-only arrays
    return torch.from_numpy(frames).to(device).permute(0, 3, 1, 2).float()


def _resize_short(x: torch.Tensor, size: int, mode: str) -> torch.Tensor:
    """torchvision ``Resize(size, mode, antialias=False)`` on a float tensor batch."""
    h, w = x.shape[-2:]
    nh, nw = shortest_side_size(h, w, size)
    if (nh, nw) == (h, w):
        return x
    return F.interpolate(x, size=(nh, nw), mode=mode, align_corners=False, antialias=False)


def _normalise(x: torch.Tensor, mean, std) -> torch.Tensor:
    m = torch.tensor(mean, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    s = torch.tensor(std, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    return (x / 255.0 - m) / s


def vbench_dino_input(frames: np.ndarray, device="cpu") -> torch.Tensor:
    """uint8 (T, H, W, 3) -> float32 (T, 3, h, w), short side 224, uncropped: VBench's
    ``dino_transform(224)`` (utils.py lines 49-54) on ``load_video``'s tensor."""
    x = _resize_short(_float_frames(frames, device), VBENCH_SIZE, "bilinear")  # (T, 3, h, w)
    return _normalise(x, IMAGENET_MEAN, IMAGENET_STD)


def vbench_clip_input(frames: np.ndarray, device="cpu") -> torch.Tensor:
    """uint8 (T, H, W, 3) -> float32 (T, 3, 224, 224): VBench's ``clip_transform(224)``
    (utils.py lines 33-39): bicubic short side to 224 without antialias, centre crop."""
    x = _resize_short(_float_frames(frames, device), VBENCH_SIZE, "bicubic")  # (T, 3, h, w)
    h, w = x.shape[-2:]
    top, left = center_crop_offset(h, VBENCH_SIZE), center_crop_offset(w, VBENCH_SIZE)
    x = x[:, :, top:top + VBENCH_SIZE, left:left + VBENCH_SIZE]  # (T, 3, 224, 224)
    return _normalise(x, CLIP_MEAN, CLIP_STD)


@functools.lru_cache(maxsize=2)
def load_openai_clip(path: str, device: str = "cpu"):
    """OpenAI CLIP (the whole model, eval, float32) from a local checkpoint: OpenAI's
    TorchScript archive (``ViT-B-32.pt``) or a plain state dict with OpenAI's key names.
    Built by open_clip's ``build_model_from_openai_state_dict`` (QuickGELU, as OpenAI
    trained it), which reads every size from the tensor shapes, as OpenAI's
    ``clip/model.py`` ``build_model`` does."""
    from open_clip.model import build_model_from_openai_state_dict

    from vbench_lite.weights import load_state_dict

    if not Path(path).is_file():
        raise UserError(f"CLIP weights file {path} does not exist")
    sd = load_state_dict(path)
    if "visual.proj" not in sd or "visual.conv1.weight" not in sd:
        raise UserError(f"{path} is not an OpenAI CLIP ViT checkpoint (no visual.proj / visual.conv1)")
    try:
        model = build_model_from_openai_state_dict(dict(sd), quick_gelu=True, cast_dtype=None)
    except (RuntimeError, KeyError) as exc:
        raise UserError(f"{path} does not match the OpenAI CLIP layout: {str(exc).splitlines()[0][:200]}") from None
    return model.float().eval().to(device)


def dino_vbench_features(frames: np.ndarray, path: str, device: str = "cpu", batch: int = FRAME_BATCH) -> np.ndarray:
    """uint8 (T, H, W, 3) -> float64 (T, D) unit-norm final-norm CLS tokens of DINO
    (VBench's ``model(image)``, subject_consistency.py lines 53-54: ``dino_vitb16``'s
    ``forward`` returns ``norm(x)[:, 0]``, dino vision_transformer.py lines 209-214)."""
    model = load_dino(str(path), device)
    out = []
    with torch.inference_mode():
        for i in range(0, len(frames), batch):
            x = vbench_dino_input(frames[i:i + batch], device)  # (B, 3, h, w)
            out.append(F.normalize(model(x).float(), dim=-1, p=2))  # (B, D)
    return torch.cat(out).double().cpu().numpy()


def clip_vbench_features(frames: np.ndarray, path: str, device: str = "cpu", batch: int = FRAME_BATCH) -> np.ndarray:
    """uint8 (T, H, W, 3) -> float64 (T, D) unit-norm ``encode_image`` embeddings of
    OpenAI CLIP (background_consistency.py lines 42-43)."""
    model = load_openai_clip(str(path), device)
    out = []
    with torch.inference_mode():
        for i in range(0, len(frames), batch):
            x = vbench_clip_input(frames[i:i + batch], device)  # (B, 3, 224, 224)
            out.append(F.normalize(model.encode_image(x).float(), dim=-1, p=2))  # (B, D)
    return torch.cat(out).double().cpu().numpy()
