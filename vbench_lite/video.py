"""The one in-memory form of a clip: ``uint8`` RGB frames ``(T, H, W, 3)`` plus fps.

Conversions to float tensors happen at the edge of each metric, never here.
``Video.from_array`` is the single gate every reader and generator output passes
through, so a bad clip is rejected with one clear line wherever it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vbench_lite.errors import VideoError

MIN_FRAMES = 2  # temporal metrics need at least one pair of frames
MIN_SIDE = 8  # below this no flow or feature extractor gives a meaningful number


@dataclass
class Video:
    """A clip. ``frames``: uint8 ``(T, H, W, 3)`` RGB, C-contiguous. ``fps`` > 0."""

    frames: np.ndarray
    fps: float = 10.0
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        f = self.frames
        if not isinstance(f, np.ndarray) or f.dtype != np.uint8 or f.ndim != 4 or f.shape[-1] != 3:
            raise VideoError(
                "Video.frames must be a uint8 array (T, H, W, 3); "
                "use Video.from_array to convert other layouts"
            )
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise VideoError(f"fps must be a positive number, got {self.fps!r}")
        self.frames = np.ascontiguousarray(f)

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def height(self) -> int:
        return int(self.frames.shape[1])

    @property
    def width(self) -> int:
        return int(self.frames.shape[2])

    @classmethod
    def from_array(
        cls,
        array: Any,
        fps: float = 10.0,
        meta: dict | None = None,
        *,
        channel_order: str = "rgb",
        min_frames: int = MIN_FRAMES,
        source: str = "array",
    ) -> "Video":
        """Validate and convert frames to the canonical form.

        Accepts ``(T, H, W)`` grayscale, ``(T, H, W, 1|3|4)``, uint8 in [0, 255] or
        float in [0, 1]; ``channel_order="bgr"`` for OpenCV data. RGBA is composited
        over black (alpha is dropped, as a video has no alpha). Anything else raises
        ``VideoError`` naming ``source``.
        """
        try:
            a = np.asarray(array)
        except Exception as exc:  # ragged lists of frames end up here
            raise VideoError(f"{source}: frames are not one array ({exc}); all frames must share a size") from None
        if a.dtype == object:
            raise VideoError(f"{source}: frames have different sizes; all frames must share one (H, W)")
        if a.ndim == 3:
            a = a[..., None]
        if a.ndim != 4:
            raise VideoError(f"{source}: expected frames (T, H, W[, C]), got shape {a.shape}")
        t, h, w, c = a.shape
        if t < min_frames:
            raise VideoError(f"{source}: {t} frame(s); at least {min_frames} are needed for temporal metrics")
        if h < MIN_SIDE or w < MIN_SIDE:
            raise VideoError(f"{source}: frames are {h}x{w}; at least {MIN_SIDE}x{MIN_SIDE} pixels are needed")
        if c not in (1, 3, 4):
            raise VideoError(f"{source}: {c} channels; expected 1 (gray), 3 (RGB) or 4 (RGBA)")
        a = _to_uint8(a, source)
        if c == 1:
            a = np.repeat(a, 3, axis=-1)
        elif c == 4:
            alpha = a[..., 3:4].astype(np.uint16)
            a = (a[..., :3].astype(np.uint16) * alpha // 255).astype(np.uint8)
        if channel_order == "bgr":
            a = a[..., ::-1]
        elif channel_order != "rgb":
            raise ValueError(f"channel_order must be 'rgb' or 'bgr', got {channel_order!r}")
        return cls(np.ascontiguousarray(a), float(fps), dict(meta or {}))


def _to_uint8(a: np.ndarray, source: str) -> np.ndarray:
    if a.dtype == np.uint8:
        return a
    if a.dtype == np.bool_:
        return a.astype(np.uint8) * 255
    if np.issubdtype(a.dtype, np.integer):
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi > 255:
            raise VideoError(f"{source}: integer frames span [{lo}, {hi}]; expected [0, 255]")
        return a.astype(np.uint8)
    if np.issubdtype(a.dtype, np.floating):
        if not np.all(np.isfinite(a)):
            raise VideoError(f"{source}: frames contain NaN or infinite values")
        lo, hi = float(a.min()), float(a.max())
        # a small tolerance for float rounding of values meant to be in [0, 1]
        if lo < -1e-3 or hi > 1 + 1e-3:
            raise VideoError(
                f"{source}: float frames span [{lo:.3g}, {hi:.3g}]; expected [0, 1] "
                "(divide uint8-range floats by 255)"
            )
        return np.clip(np.rint(a * 255.0), 0, 255).astype(np.uint8)
    raise VideoError(f"{source}: unsupported dtype {a.dtype}")
