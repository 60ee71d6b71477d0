"""CLIP consistency: how alike consecutive frames look to CLIP, and how well the frames
match the prompt.

- ``clip_frame_consistency``: mean cosine similarity of consecutive frame embeddings,
  in [-1, 1] (in practice ~0.5-1); 1 for a static video. Higher is better. Timeline:
  the (T-1,) cosines, so a cut or a glitch shows where it happens.
- ``clip_text_score``: CLIPScore (Hessel et al. 2021, "CLIPScore: A Reference-free
  Evaluation Metric for Image Captioning"): ``w * max(cos(image, text), 0)`` with
  w = 2.5, averaged over frames; in [0, 2.5]. Only when the case has a prompt.

Backbone: open_clip ``ViT-B-32`` with ``laion2b_s34b_b79k`` weights by default
(weights-manager id ``clip-vit-b-32``). ``ClipConsistency(model=..., pretrained=...)``
takes any open_clip architecture name with a local checkpoint file; an open_clip
pretrained *tag* other than the default is fetched by open_clip only when downloads
are allowed (``VBENCH_LITE_ALLOW_DOWNLOAD=1``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vbench_lite import weights
from vbench_lite.errors import UserError
from vbench_lite.metrics.base import HIGHER, NEEDS_BACKBONE, Metric, Output, Score, VideoContext
from vbench_lite.metrics.options import DEVICE, FILE, INT, STR, Option

CLIPSCORE_W = 2.5  # Hessel et al. 2021 rescaling weight
DEFAULT_MODEL, DEFAULT_TAG = "ViT-B-32", "laion2b_s34b_b79k"


def frame_consistency(emb: np.ndarray) -> tuple[float, np.ndarray]:
    """Unit-norm (T, D) embeddings -> (mean, (T-1,) consecutive cosines)."""
    cos = np.sum(emb[1:] * emb[:-1], axis=1)  # (T-1,)
    return float(cos.mean()), cos


def clip_score(emb: np.ndarray, text: np.ndarray, w: float = CLIPSCORE_W) -> tuple[float, np.ndarray]:
    """Unit-norm frames (T, D) and prompt (D,) -> (mean, (T,) per-frame CLIPScore)."""
    per_frame = w * np.clip(emb @ text, 0.0, None)  # (T,)
    return float(per_frame.mean()), per_frame


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class ClipConsistency(Metric):
    """See the module docstring. ``pretrained``: None (the default weights via the
    weights manager), a local checkpoint path, or an open_clip tag."""

    name = "clip_consistency"
    version = "2"  # 2: preprocessing equals open_clip's PIL transform (resize size, crop offset, kernel)
    group = "temporal"
    needs = frozenset({NEEDS_BACKBONE})
    backbone = "clip-vit-b-32"
    outputs = (
        Output("clip_frame_consistency", "cosine [-1,1]", HIGHER, "mean CLIP cosine of consecutive frames",
               motion_confounded=True),
        Output("clip_text_score", "CLIPScore [0,2.5]", HIGHER, "2.5 * max(cos(frame, prompt), 0), mean over frames"),
    )
    default = True

    options = (
        Option("model", STR, DEFAULT_MODEL, "open_clip architecture name"),
        Option("pretrained", FILE, None, "open_clip weights file or tag (default: the managed file)", identity=False),
        Option("device", DEVICE, None, "where the backbone runs: cpu, cuda, cuda:N (default: cuda when present)"),
        Option("batch", INT, 16, "frames per forward pass (memory vs speed; the same numbers)", minimum=1, identity=False),
    )

    def __init__(self, model: str = DEFAULT_MODEL, pretrained: str | Path | None = None, device: str | None = None,
                 batch: int | str = 16):
        from vbench_lite.metrics.base import check_batch

        self.batch = check_batch(batch)  # frames per forward pass (memory vs speed; same numbers)
        self.model_name = model
        self.pretrained = pretrained
        self.device = device
        if pretrained is not None and not Path(pretrained).expanduser().is_file() and str(pretrained) == DEFAULT_TAG \
                and model == DEFAULT_MODEL:
            self.pretrained = None  # the default tag is the managed backbone file
        self._path: str | None = None

    def _is_tag(self) -> bool:
        p = self.pretrained
        if p is None or Path(p).expanduser().exists():
            return False
        s = str(p)  # a missing file is reported as a missing file, not as a tag
        return not any(c in s for c in "/\\") and Path(s).suffix not in (".pt", ".pth", ".bin", ".safetensors")

    def unavailable_reason(self) -> str | None:
        if self._is_tag():
            if weights.download_allowed():
                return None
            return (f"open_clip tag {self.pretrained!r} would download; pass a local checkpoint file "
                    f"(pretrained=/path) or set {weights.ENV_ALLOW_DOWNLOAD}=1")
        if self.pretrained is None and self.model_name != DEFAULT_MODEL:
            return f"open_clip model {self.model_name!r} needs a local checkpoint file (pretrained=/path)"
        return weights.availability(self.backbone, self.pretrained)

    def weights_file(self) -> str:
        """Local checkpoint path (resolved once)."""
        if self._path is None:
            if self._is_tag():
                import open_clip

                cfg = open_clip.get_pretrained_cfg(self.model_name, str(self.pretrained))
                self._path = open_clip.download_pretrained(cfg)  # only reached when downloads are allowed
            else:
                self._path = str(weights.resolve(self.backbone, self.pretrained))
            self.device = self.device or default_device()
        return self._path

    def identity(self) -> dict:
        """Version, open_clip architecture and the full sha256 of the weights file (None
        when it cannot be resolved; the metric is then skipped). The digest is
        memoised per (path, size, mtime), so a large checkpoint is hashed once per process."""
        ident = {**super().identity(), "model": self.model_name, "weights_sha256": None}
        try:
            ident["weights_sha256"] = weights.file_sha256(self.weights_file())
        except (UserError, OSError):
            pass
        return ident

    def embeddings(self, video, ctx: VideoContext) -> np.ndarray:
        """(T, D) unit-norm image embeddings, memoised in ``ctx`` (shared with
        ``identity_drift_clip`` when both use the same checkpoint)."""
        key, embed, _ = self.embedder()
        return ctx.get(key, lambda: embed(video.frames))

    def embedder(self):
        """(memo key, uint8 frames (T, H, W, 3) -> (T, D) unit-norm embeddings, frames per batch)."""
        from vbench_lite.metrics.image_features import clip_image_embeddings

        path = self.weights_file()
        return (f"clip-image:{self.model_name}:{path}",
                lambda frames: clip_image_embeddings(frames, self.model_name, path, self.device, self.batch),
                self.batch)

    def compute(self, video, case, ctx: VideoContext) -> dict[str, Score | float]:
        return self.summarise(self.embeddings(video, ctx), case)

    def accumulator(self, case):
        """Per-frame embeddings in the whole-video pass's batches (``stream.FrameBatches``)."""
        from vbench_lite.metrics.stream import EmbeddingAccumulator

        key, embed, batch = self.embedder()
        return EmbeddingAccumulator(key, embed, batch, lambda emb, info: self.summarise(emb, case))

    def summarise(self, emb: np.ndarray, case) -> dict[str, Score | float]:
        from vbench_lite.metrics.image_features import clip_text_embedding

        value, curve = frame_consistency(emb)
        out: dict[str, Score | float] = {"clip_frame_consistency": Score(value, curve)}
        if case is not None and getattr(case, "prompt", ""):
            text = clip_text_embedding(case.prompt, self.model_name, self.weights_file(), self.device)  # (D,)
            score, per_frame = clip_score(emb, text)
            out["clip_text_score"] = Score(score, per_frame)
        return out
