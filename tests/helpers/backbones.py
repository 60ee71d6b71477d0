"""Tiny randomly initialised backbones of the real architectures, saved where the real
loaders read them, and stand-ins for probe cases; the fixtures in conftest.py use them."""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TINY_CLIP = "vbl-tiny-clip-ib"  # an open_clip model config registered by write_tiny_clip


def write_tiny_dino(path: Path) -> Path:
    import torch

    from vbench_lite.metrics.image_features import DinoViT

    torch.manual_seed(0)
    torch.save(DinoViT(dim=32, depth=2, heads=1, patch=8, image_size=32).state_dict(), path)
    return path


def write_tiny_clip(folder: Path) -> Path:
    """A one-layer open_clip model under the config name ``TINY_CLIP``; its weights file."""
    import open_clip
    import torch

    cfg = {"embed_dim": 32,
           "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16},
           "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}}
    (folder / f"{TINY_CLIP}.json").write_text(json.dumps(cfg))
    open_clip.add_model_config(folder)
    torch.manual_seed(0)
    path = folder / "tiny.pt"
    torch.save(open_clip.create_model(TINY_CLIP).state_dict(), path)
    return path


def write_tiny_i3d(path: Path) -> Path:
    """A small random I3D (piergiaj layout, a sixteenth of the width)."""
    import torch

    from vbench_lite.metrics.i3d import InceptionI3d

    torch.manual_seed(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(InceptionI3d(num_classes=400, width_div=16).state_dict(), path)
    return path


@dataclass
class FakeTruth:
    frames: np.ndarray

    def render(self) -> np.ndarray:
        return self.frames


@dataclass
class FakeCase:
    truth: FakeTruth | None
    prompt: str = ""
