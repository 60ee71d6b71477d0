"""Identity drift on pretrained image features (DINO ViT-S/16, CLIP ViT-B/32).

Same definition as the weight-free ``identity_drift`` (``metrics/identity.py``):
d(t) = 1 - cos(f_t, f_0) on per-frame embeddings, summarised by its final value (mean
of the last 10 % of frames) and least-squares slope per frame. Semantic features
see "the same object" through a camera move better than histograms do, and notice a
subject that changes identity while keeping its colours.

Outputs (lower is better): ``identity_drift_dino`` / ``identity_drift_clip`` as cosine
distance in [0, 2] (in practice [0, ~0.6]) with the d(t) timeline, and
``identity_drift_dino_slope`` / ``identity_drift_clip_slope`` in distance per frame.
A missing backbone is reported as skipped with the weights manager's reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from vbench_lite import weights
from vbench_lite.metrics.base import LOWER, UNDIRECTED, NEEDS_BACKBONE, Metric, Output, Score, VideoContext
from vbench_lite.metrics.clip_consistency import DEFAULT_MODEL, ClipConsistency, default_device
from vbench_lite.metrics.identity import drift_curve, drift_summary
from vbench_lite.metrics.backbone_file import BackboneFileMetric, backbone_options


class _BackboneDrift(Metric):
    """Shared wiring: subclasses give ``tag`` and ``embed(video, ctx) -> (T, D)``."""

    group = "temporal"
    needs = frozenset({NEEDS_BACKBONE})
    tag: ClassVar[str]

    def compute(self, video, case, ctx: VideoContext) -> dict[str, Score | float]:
        return self.summarise(self.embed(video, ctx))

    def accumulator(self, case):
        """Per-frame embeddings in the whole-video pass's batches (``stream.FrameBatches``)."""
        from vbench_lite.metrics.stream import EmbeddingAccumulator

        key, embed, batch = self.embedder()
        return EmbeddingAccumulator(key, embed, batch, lambda rows, info: self.summarise(rows))

    def summarise(self, embeddings: np.ndarray) -> dict[str, Score | float]:
        curve = drift_curve(embeddings)  # (T,)
        summary = drift_summary(curve)
        return {
            f"identity_drift_{self.tag}": Score(summary["final"], curve),
            f"identity_drift_{self.tag}_slope": Score(summary["slope"]),
        }

    def embed(self, video, ctx: VideoContext) -> np.ndarray:
        key, embed, _ = self.embedder()
        return ctx.get(key, lambda: embed(video.frames))

    def embedder(self):
        """(memo key, uint8 frames (T, H, W, 3) -> (T, D) unit-norm embeddings, frames per batch)."""
        raise NotImplementedError


def _outputs(tag: str, what: str) -> tuple[Output, ...]:
    return (
        Output(f"identity_drift_{tag}", "cosine distance [0,2]", LOWER,
               f"final {what} drift from the first frame (mean of last 10 % of frames); timeline d(t)",
               motion_confounded=True),
        Output(f"identity_drift_{tag}_slope", "distance/frame", UNDIRECTED, f"least-squares slope of the {what} d(t)"),
    )


class IdentityDriftDino(BackboneFileMetric, _BackboneDrift):
    """Drift of DINO ViT-S/16 CLS embeddings. ``weights_path``: an explicit DINO
    checkpoint (else ``dino_deitsmall16_pretrain.pth`` via the weights manager)."""

    name = "identity_drift_dino"
    version = "2"  # 2: PIL-exact resize (torchvision size rule, crop rounding, bicubic a=-0.5)
    backbone = "dino-vits16"
    tag = "dino"
    outputs = _outputs("dino", "DINO")

    options = backbone_options("weights_path", "a DINO ViT-S/16 checkpoint", batch=16, unit="frames")

    def __init__(self, weights_path: str | Path | None = None, device: str | None = None, batch: int | str = 16):
        self._init_backbone(weights_path, device, batch)

    def embedder(self):
        from vbench_lite.metrics.image_features import dino_embeddings

        path = str(weights.resolve(self.backbone, self.weights_path))
        self.device = self.device or default_device()
        return f"dino-image:{path}", lambda frames: dino_embeddings(frames, path, self.device, self.batch), self.batch


class IdentityDriftClip(_BackboneDrift):
    """Drift of CLIP image embeddings; shares the per-video embeddings with
    ``clip_consistency`` through the ``VideoContext`` when both use one checkpoint."""

    name = "identity_drift_clip"
    version = "2"  # 2: preprocessing equals open_clip's PIL transform
    backbone = "clip-vit-b-32"
    tag = "clip"
    outputs = _outputs("clip", "CLIP")

    options = ClipConsistency.options  # the same open_clip model, loaded the same way

    def __init__(self, model: str = DEFAULT_MODEL, pretrained: str | Path | None = None, device: str | None = None,
                 batch: int | str = 16):
        self._clip = ClipConsistency(model=model, pretrained=pretrained, device=device, batch=batch)

    def unavailable_reason(self) -> str | None:
        return self._clip.unavailable_reason()

    def identity(self) -> dict:
        """Version, open_clip architecture and weights sha256, as ``clip_consistency``."""
        clip = self._clip.identity()
        return {**super().identity(), "model": clip["model"], "weights_sha256": clip["weights_sha256"]}

    def embedder(self):
        return self._clip.embedder()
