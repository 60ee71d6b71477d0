"""Vectorised anti-aliased renderer: a ``Trajectory`` of a ``Scene`` to uint8 frames.

Every shape is drawn for all T frames at once with numpy broadcasting. Coverage is
the area of each pixel inside the shape: exact for axis-aligned boxes (product of
the 1-D overlaps of the pixel with the box), and a one-pixel linear ramp of the
signed distance for discs (the standard analytic approximation). Colours are
composited in painter's order: under-boxes and levels, then balls, then
over-boxes (occluders), so a ball behind an occluder is hidden exactly.
"""

from __future__ import annotations

import numpy as np

from vbench_lite.probes.scene import Scene, Trajectory

BACKGROUND = (18.0, 18.0, 24.0)  # plain dark background, RGB 0-255


def pixels_per_unit(scene: Scene, width: int) -> float:
    """Scale of a frame ``width`` pixels wide (px per world unit)."""
    return width / scene.width_w


def _box_coverage(lo: np.ndarray, hi: np.ndarray, n: int) -> np.ndarray:
    """Overlap of pixel cells [j, j+1] with the intervals [lo, hi] (pixel units).

    lo, hi: (T,) -> (T, n) in [0, 1]."""
    edges = np.arange(n, dtype=np.float32)  # (n,)
    left = np.maximum(edges[None, :], lo[:, None].astype(np.float32))
    right = np.minimum(edges[None, :] + 1.0, hi[:, None].astype(np.float32))
    return np.clip(right - left, 0.0, 1.0)  # (T, n)


def _over(img: np.ndarray, cov: np.ndarray, color: np.ndarray, rows: slice, cols: slice) -> None:
    """img[:, rows, cols] <- img + cov * (color - img) in place; cov (T, h, w), color (T|1, 3).

    Only the crop where the shape can be is touched (the big win at 256x256)."""
    view = img[:, rows, cols]  # (T, h, w, 3) view
    diff = color[:, None, None, :] - view  # (T, h, w, 3)
    diff *= cov[..., None]
    view += diff


def _span(lo: np.ndarray, hi: np.ndarray, n: int) -> slice:
    """Pixel index range covering [min lo, max hi] (pixel units), clipped to [0, n)."""
    a = int(np.clip(np.floor(np.min(lo)), 0, n))
    b = int(np.clip(np.ceil(np.max(hi)), 0, n))
    return slice(a, max(a, b))


def render(scene: Scene, traj: Trajectory, height: int, width: int) -> np.ndarray:
    """Draw ``traj`` at ``height`` x ``width`` pixels: uint8 (T, H, W, 3) RGB."""
    t_n = traj.times.shape[0]
    s = pixels_per_unit(scene, width)
    img = np.empty((t_n, height, width, 3), np.float32)
    img[:] = np.asarray(BACKGROUND, np.float32)

    def draw_boxes(boxes: np.ndarray, colors: np.ndarray) -> None:
        # boxes (T, 4) world [x0, y0, x1, y1]; pixel rows grow downwards
        x0, x1 = boxes[:, 0] * s, boxes[:, 2] * s  # (T,) pixel columns
        y0, y1 = (scene.height_w - boxes[:, 3]) * s, (scene.height_w - boxes[:, 1]) * s  # (T,) pixel rows
        rs, cs = _span(y0, y1, height), _span(x0, x1, width)
        if rs.stop == rs.start or cs.stop == cs.start:
            return
        cx = _box_coverage(x0 - cs.start, x1 - cs.start, cs.stop - cs.start)  # (T, w)
        cy = _box_coverage(y0 - rs.start, y1 - rs.start, rs.stop - rs.start)  # (T, h)
        _over(img, cy[:, :, None] * cx[:, None, :], colors, rs, cs)

    for m in np.nonzero(~scene.rect_over)[0]:
        draw_boxes(np.broadcast_to(scene.rects[m], (t_n, 4)), scene.rect_color[m][None].astype(np.float32))
    for l in range(traj.levels.shape[1]):
        top = scene.level_base[l] + traj.levels[:, l]  # (T,)
        boxes = np.stack([np.full(t_n, scene.level_x0[l]), np.full(t_n, scene.level_base[l]),
                          np.full(t_n, scene.level_x1[l]), top], axis=1)  # (T, 4)
        draw_boxes(boxes, scene.level_color[l][None].astype(np.float32))

    for i in range(traj.ball_pos.shape[1]):
        shown = ~traj.ball_hidden[:, i]  # (T,)
        if not shown.any():
            continue
        cx = (traj.ball_pos[:, i, 0] * s).astype(np.float32)  # (T,) pixel units
        cy = ((scene.height_w - traj.ball_pos[:, i, 1]) * s).astype(np.float32)  # (T,)
        rad = (traj.ball_radius[:, i] * s).astype(np.float32) + 0.5  # (T,) outer edge of the AA ramp
        rs = _span((cy - rad)[shown], (cy + rad)[shown], height)
        cs = _span((cx - rad)[shown], (cx + rad)[shown], width)
        if rs.stop == rs.start or cs.stop == cs.start:
            continue
        cols = np.arange(cs.start, cs.stop, dtype=np.float32) + 0.5  # (w,) pixel centres
        rows = np.arange(rs.start, rs.stop, dtype=np.float32) + 0.5  # (h,)
        d2 = (cols[None, None, :] - cx[:, None, None]) ** 2 + (rows[None, :, None] - cy[:, None, None]) ** 2
        cov = np.clip(rad[:, None, None] - np.sqrt(d2), 0.0, 1.0)  # (T, h, w)
        cov *= shown.astype(np.float32)[:, None, None]
        _over(img, cov, traj.ball_color[:, i].astype(np.float32), rs, cs)

    for m in np.nonzero(scene.rect_over)[0]:
        draw_boxes(np.broadcast_to(scene.rects[m], (t_n, 4)), scene.rect_color[m][None].astype(np.float32))
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)
