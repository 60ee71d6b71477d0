"""Anti-aliased renderer: a ``Trajectory`` of a ``Scene`` to uint8 frames.

Coverage is the area of each pixel inside the shape: exact for axis-aligned boxes
(product of the 1-D overlaps of the pixel with the box), and a one-pixel linear
ramp of the signed distance for discs (the standard analytic approximation).
Colours are composited in float and stored as uint8, in painter's order: static
under-boxes (drawn once into a background template), levels, balls, then
over-boxes (occluders), so a ball behind an occluder is hidden exactly.

A moving camera (``Trajectory.view``) shifts every shape by the view's origin in
each frame; boxes then go frame by frame (the template holds the background only).

Speed: every shape only touches its own crop, for all frames at once (numpy
broadcasting). Boxes and levels use one crop for the clip; a ball uses a small
fixed-size patch per frame, gathered and scattered with fancy indexing in a
padded canvas, so its cost does not grow with the frame size (see
benchmarks/bench_probes.py).
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


def _blend(canvas: np.ndarray, cov: np.ndarray, color: np.ndarray, rows: slice, cols: slice) -> None:
    """canvas[..., rows, cols, :] <- canvas + cov * (color - canvas), rounded back to uint8.

    canvas (T, H, W, 3) or (H, W, 3) uint8; cov broadcastable to the crop without
    the channel axis; color (3,) or (T, 1, 1, 3)."""
    view = canvas[..., rows, cols, :]
    f = view.astype(np.float32)
    f += cov[..., None] * (color - f)
    np.rint(f, out=f)
    view[...] = f.astype(np.uint8)


def _span(lo, hi, n: int) -> slice:
    """Pixel index range covering [min lo, max hi] (pixel units), clipped to [0, n)."""
    a = int(np.clip(np.floor(np.min(lo)), 0, n))
    b = int(np.clip(np.ceil(np.max(hi)), 0, n))
    return slice(a, max(a, b))


def _box_crop(box, scene: Scene, s: float, height: int, width: int):
    """Crop slices and exact coverage (T|1, h, w) of boxes (T|1, 4) world [x0, y0, x1, y1]."""
    x0, x1 = box[:, 0] * s, box[:, 2] * s  # pixel columns
    y0, y1 = (scene.height_w - box[:, 3]) * s, (scene.height_w - box[:, 1]) * s  # pixel rows (down)
    rs, cs = _span(y0, y1, height), _span(x0, x1, width)
    if rs.stop == rs.start or cs.stop == cs.start:
        return None
    cx = _box_coverage(x0 - cs.start, x1 - cs.start, cs.stop - cs.start)  # (T, w)
    cy = _box_coverage(y0 - rs.start, y1 - rs.start, rs.stop - rs.start)  # (T, h)
    return rs, cs, cy[:, :, None] * cx[:, None, :]  # (T, h, w)


def _in_view(box: np.ndarray, view: np.ndarray) -> np.ndarray:
    """World boxes [x0, y0, x1, y1] (1|T, 4) in view coordinates, view (T|1, 2): (T|1, 4)."""
    return box - np.concatenate([view, view], axis=1)


def render(scene: Scene, traj: Trajectory, height: int, width: int) -> np.ndarray:
    """Draw ``traj`` at ``height`` x ``width`` pixels: uint8 (T, H, W, 3) RGB."""
    t_n = traj.times.shape[0]
    s = pixels_per_unit(scene, width)
    view = traj.view  # (T, 2) world units
    still = t_n == 0 or bool(np.all(view == view[:1]))  # a fixed camera: static boxes go once into the template
    view0 = view[:1] if t_n else np.zeros((1, 2))  # (1, 2)
    template = np.empty((height, width, 3), np.uint8)
    template[:] = np.rint(np.asarray(BACKGROUND))
    for m in np.nonzero(~scene.rect_over)[0] if still else ():  # static: once, into the template
        crop = _box_crop(_in_view(scene.rects[m][None], view0), scene, s, height, width)
        if crop:
            _blend(template, crop[2][0], scene.rect_color[m].astype(np.float32), crop[0], crop[1])
    # balls are drawn as fixed-size patches into a padded canvas, so no patch needs clipping
    outer_max = float(np.max(traj.ball_radius, initial=0.0)) * s + 0.5
    pad = int(np.ceil(2 * outer_max)) + 2
    padded = np.empty((t_n, height + 2 * pad, width + 2 * pad, 3), np.uint8)
    canvas = padded[:, pad:pad + height, pad:pad + width]  # (T, H, W, 3) view
    canvas[:] = template
    for m in np.nonzero(~scene.rect_over)[0] if not still else ():  # a moving camera: frame by frame
        crop = _box_crop(_in_view(scene.rects[m][None], view), scene, s, height, width)
        if crop:
            _blend(canvas, crop[2], scene.rect_color[m].astype(np.float32), crop[0], crop[1])

    for l in range(traj.levels.shape[1]):  # moving tops: all frames at once over the union crop
        boxes = np.stack([np.full(t_n, scene.level_x0[l]), np.full(t_n, scene.level_base[l]),
                          np.full(t_n, scene.level_x1[l]), scene.level_base[l] + traj.levels[:, l]], 1)  # (T, 4)
        crop = _box_crop(_in_view(boxes, view), scene, s, height, width)
        if crop:
            _blend(canvas, crop[2], scene.level_color[l].astype(np.float32), crop[0], crop[1])

    offs = np.arange(pad, dtype=np.float32)  # (P,) patch offsets
    tt = np.arange(t_n)[:, None, None]  # (T, 1, 1)
    for i in range(traj.ball_pos.shape[1]):
        cx = (traj.ball_pos[:, i, 0] - view[:, 0]) * s  # (T,) pixel units
        cy = (scene.height_w - (traj.ball_pos[:, i, 1] - view[:, 1])) * s  # (T,)
        outer = (traj.ball_radius[:, i] * s + 0.5).astype(np.float32)  # (T,) outer edge of the AA ramp
        r0 = np.clip(np.floor(cy - outer), -pad, height).astype(np.int64)  # (T,) patch top row
        c0 = np.clip(np.floor(cx - outer), -pad, width).astype(np.int64)  # (T,)
        dy = r0[:, None] + offs[None] + 0.5 - cy[:, None].astype(np.float32)  # (T, P)
        dx = c0[:, None] + offs[None] + 0.5 - cx[:, None].astype(np.float32)  # (T, P)
        cov = np.clip(outer[:, None, None] - np.sqrt(dy[:, :, None] ** 2 + dx[:, None, :] ** 2), 0, 1)  # (T, P, P)
        cov *= (~traj.ball_hidden[:, i]).astype(np.float32)[:, None, None]
        rr = (r0 + pad)[:, None, None] + np.arange(pad)[None, :, None]  # (T, P, 1) padded rows
        cc = (c0 + pad)[:, None, None] + np.arange(pad)[None, None, :]  # (T, 1, P)
        f = padded[tt, rr, cc].astype(np.float32)  # (T, P, P, 3) gathered patches
        f += cov[..., None] * (traj.ball_color[:, i].astype(np.float32)[:, None, None, :] - f)
        padded[tt, rr, cc] = np.rint(f).astype(np.uint8)

    for m in np.nonzero(scene.rect_over)[0]:  # static occluders over every frame
        crop = _box_crop(_in_view(scene.rects[m][None], view0 if still else view), scene, s, height, width)
        if crop:
            _blend(canvas, crop[2], scene.rect_color[m].astype(np.float32), crop[0], crop[1])
    return np.ascontiguousarray(canvas)
