"""Synthetic clips with known motion, for tests and benchmarks of the temporal metrics.

``pan_video(image, ...)`` crops a window from ``image`` that moves by a constant
sub-pixel velocity: the ground-truth flow of every pair is exactly ``velocity``
(away from the borders). Pass a real photograph (tests use scikit-image's bundled
images) so the flow backend sees natural texture.
"""

from __future__ import annotations

import cv2
import numpy as np

from vbench_lite.errors import UserError


def pan_video(image: np.ndarray, num_frames: int = 16, velocity: tuple[float, float] = (1.3, -0.7),
              size: tuple[int, int] = (128, 192), offsets: np.ndarray | None = None) -> np.ndarray:
    """uint8 (T, H, W, 3) frames of ``image`` (uint8 (h, w, 3) RGB) seen by a camera window.

    Content moves by ``velocity`` = (dx, dy) px per frame (so the true flow
    t -> t+1 is +velocity). ``offsets`` (T, 2) px, if given, adds a per-frame camera
    shake on top. ``size`` = (H, W) of the output; the image is upscaled (cubic) when it
    is too small for the path.
    """
    h, w = size
    vel = np.asarray(velocity, np.float64)
    pos = np.arange(num_frames)[:, None] * vel[None]  # (T, 2) content displacement
    if offsets is not None:
        pos = pos + np.asarray(offsets, np.float64).reshape(num_frames, 2)
    need_w = int(np.ceil(w + np.ptp(pos[:, 0]))) + 8
    need_h = int(np.ceil(h + np.ptp(pos[:, 1]))) + 8
    zoom = max(1.0, need_w / image.shape[1], need_h / image.shape[0])
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise UserError("pan_video needs a uint8 (h, w, 3) RGB image")
    if zoom > 1:
        image = cv2.resize(image, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC)
    # window origin so that all crops stay inside the image
    x0 = 4 + pos[:, 0].max()
    y0 = 4 + pos[:, 1].max()
    frames = []
    for dx, dy in pos:
        # content moves by +d: the window's origin moves by -d in image coordinates
        m = np.float32([[1, 0, -(x0 - dx)], [0, 1, -(y0 - dy)]])
        frames.append(cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT))
    return np.stack(frames)
