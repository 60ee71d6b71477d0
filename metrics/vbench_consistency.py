"""VBench's subject and background consistency, computed as VBench 0.1.x computes them.

Per video (``vbench/subject_consistency.py`` lines 49-64, ``background_consistency.py``
lines 44-56, the same rule in both): unit-norm features f_0..f_{T-1} of every frame,
and for each frame t >= 1

    s_t = ( max(0, cos(f_{t-1}, f_t)) + max(0, cos(f_0, f_t)) ) / 2

the video's value is sum_t s_t / (T - 1), in [0, 1]; 1 for a frozen clip. A clip of
one frame is a division by zero in VBench; here it is a skip with the reason.

- ``vbench_subject_consistency``: DINO ViT-B/16 final-norm CLS token on the whole
  frame, short side 224, bilinear (``metrics/vbench_features.py``).
- ``vbench_background_consistency``: OpenAI CLIP ViT-B/32 image embedding, bicubic
  short side 224 + centre crop.

Timeline: the (T-1,) values s_t, so a report sees where a subject changes. Its length
is also the weight VBench gives the video in the dimension's aggregate, which is
frame-weighted (sum of s_t over all videos / number of s_t, subject line 68,
background line 64): ``reports/vbench_board.py``.

Frames: all frames of the video as decoded (VBench reads every frame with decord,
``utils.py`` lines 147-160; no sampling for these two dimensions).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from vbench_lite import weights
from vbench_lite.metrics.base import HIGHER, NEEDS_BACKBONE, MetricSkipped, Output, Score, VideoContext
from vbench_lite.metrics.backbone_file import BackboneFileMetric, backbone_options


def vbench_consistency(features: np.ndarray) -> tuple[float, np.ndarray]:
    """Unit-norm (T, D) frame features -> (value, (T-1,) per-frame s_t), VBench's rule
    (module docstring). Raises ``MetricSkipped`` for fewer than 2 frames."""
    f = np.asarray(features, np.float64)
    if f.ndim != 2 or len(f) < 2:
        raise MetricSkipped(f"needs at least 2 frames (VBench divides by T - 1), got {len(f)}")
    to_prev = np.clip(np.sum(f[1:] * f[:-1], axis=1), 0.0, None)  # (T-1,) max(0, cos(f_{t-1}, f_t))
    to_first = np.clip(f[1:] @ f[0], 0.0, None)  # (T-1,) max(0, cos(f_0, f_t))
    per_frame = (to_prev + to_first) / 2.0  # (T-1,)
    return float(per_frame.sum() / (len(f) - 1)), per_frame


class _VBenchConsistency(BackboneFileMetric):
    """Shared wiring; subclasses give the backbone id, the feature function and the output."""

    group = "temporal"
    needs = frozenset({NEEDS_BACKBONE})
    protocol: ClassVar[str]
    version = "1"
    default = False  # asked for by name (``--metrics vbench_...``): two more ViT passes per video

    options = backbone_options("weights_path", "the backbone's checkpoint", batch=16, unit="frames")

    def __init__(self, weights_path: str | Path | None = None, device: str | None = None, batch: int | str = 16):
        self._init_backbone(weights_path, device, batch)

    def unavailable_reason(self) -> str | None:
        reason = super().unavailable_reason()
        return f"{reason} (VBench's {self.name.removeprefix('vbench_')} uses exactly this backbone)" if reason else None

    def identity(self) -> dict:
        """Version, VBench protocol and the weights file's sha256 (``BackboneFileMetric``)."""
        return {**super().identity(), "protocol": self.protocol}

    def features(self, frames: np.ndarray, path: str, device: str) -> np.ndarray:
        raise NotImplementedError

    def compute(self, video, case, ctx: VideoContext) -> dict[str, Score | float]:
        from vbench_lite.metrics.clip_consistency import default_device

        if len(video.frames) < 2:
            raise MetricSkipped(f"needs at least 2 frames (VBench divides by T - 1), got {len(video.frames)}")
        path = str(weights.resolve(self.backbone, self.weights_path))
        self.device = self.device or default_device()
        feats = ctx.get(f"vbench-{self.backbone}:{path}", lambda: self.features(video.frames, path, self.device))
        value, per_frame = vbench_consistency(feats)
        return {self.name: Score(value, per_frame)}


class VBenchSubjectConsistency(_VBenchConsistency):
    """VBench ``subject_consistency`` (DINO ViT-B/16). ``weights_path``: an explicit
    ``dino_vitbase16_pretrain.pth`` (else the weights manager's ``dino-vitb16``)."""

    name = "vbench_subject_consistency"
    backbone = "dino-vitb16"
    protocol = "vbench-0.1.5 subject_consistency: dino_vitb16 CLS, Resize(224, bilinear, no antialias), no crop"
    outputs = (
        Output("vbench_subject_consistency", "similarity [0,1]", HIGHER,
               "VBench subject consistency: mean over frames of (cos to previous + cos to first) / 2, DINO ViT-B/16; "
               "timeline per frame", motion_confounded=True),
    )

    def features(self, frames, path, device):
        from vbench_lite.metrics.vbench_features import dino_vbench_features

        return dino_vbench_features(frames, path, device, self.batch)


class VBenchBackgroundConsistency(_VBenchConsistency):
    """VBench ``background_consistency`` (OpenAI CLIP ViT-B/32). ``weights_path``: an
    explicit OpenAI ``ViT-B-32.pt`` (else the weights manager's ``clip-vit-b-32-openai``)."""

    name = "vbench_background_consistency"
    backbone = "clip-vit-b-32-openai"
    protocol = "vbench-0.1.5 background_consistency: OpenAI CLIP ViT-B/32, Resize(224, bicubic, no antialias), crop"
    outputs = (
        Output("vbench_background_consistency", "similarity [0,1]", HIGHER,
               "VBench background consistency: mean over frames of (cos to previous + cos to first) / 2, "
               "OpenAI CLIP ViT-B/32; timeline per frame", motion_confounded=True),
    )

    def unavailable_reason(self) -> str | None:
        # open_clip's LAION ViT-B-32 (``open_clip_model.safetensors``) has OpenAI's key names but
        # plain GELU: it would load into the QuickGELU model and give numbers that are not VBench's
        if self.weights_path is not None and Path(self.weights_path).suffix == ".safetensors":
            return (f"{self.weights_path}: VBench's background consistency uses OpenAI's CLIP ViT-B/32 "
                    f"(ViT-B-32.pt, a TorchScript file), not a safetensors checkpoint")
        return super().unavailable_reason()

    def features(self, frames, path, device):
        from vbench_lite.metrics.vbench_features import clip_vbench_features

        return clip_vbench_features(frames, path, device, self.batch)
