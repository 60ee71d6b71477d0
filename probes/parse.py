"""Read a probe video back into per-frame object states.

Uses what the case tells us: the palette (background, each ball's colour, the
occluder/container/liquid/candle colours) and the scale (px per world unit).

Per frame:
1. every pixel gets the label of the nearest palette colour (so an occluder's
   pixels are never counted as ball, and small colour shifts do not matter);
2. each connected blob of a ball colour above a minimum area is a detection; its
   size and centre come from a *soft* mask: the fraction ``alpha`` of the blob's
   own mean colour over the background, summed over the blob grown by a few
   pixels (this recovers anti-aliased and blurred edges without bias);
3. detections are matched to the true balls with
   ``scipy.optimize.linear_sum_assignment`` on colour distance (plus a small
   position term to break ties); a true ball with no match within the colour gate
   is a *detection failure* (NaN state, ``found`` False), never a default value.
Levels (candle height, liquid levels) are the soft area of the level colour in
the level's column band divided by its measured width.

All outputs are in world units (y up), colours in RGB 0-255. Under a moving camera
(``Trajectory.view``) what a frame shows is shifted by the view's origin: centres
read in the view are moved back into the world, and box geometry into each frame
(levels are read at a fixed camera: no scenario with levels moves it).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

from vbench_lite.errors import VideoError
from vbench_lite.probes.render import BACKGROUND
from vbench_lite.probes.truth import ProbeTruth

COLOR_GATE = 90.0  # RGB distance beyond which a blob is not that ball (palette entries are >= ~120 apart)
GROW_PX = 3  # soft-mask margin: covers the AA ramp plus a blur of sigma ~1 px
MIN_AREA_FRACTION = 0.15  # of the true disc area; smaller blobs are specks, not objects
MIN_PEAK_ALPHA = 0.7  # a real object has a nearly pure pixel; a blob of mixed edge pixels does not


@dataclass
class ProbeParse:
    """Per-frame states read from a video.

    ``ball_pos`` (T, N, 2), ``ball_radius`` (T, N), ``ball_color`` (T, N, 3): NaN where
    ``ball_found`` (T, N) is False. ``count`` (T,): ball-coloured blobs seen (any
    colour of the case, duplicates included). ``levels`` (T, L) world units."""

    ball_pos: np.ndarray
    ball_radius: np.ndarray
    ball_color: np.ndarray
    ball_found: np.ndarray
    count: np.ndarray
    levels: np.ndarray


def _palette(truth: ProbeTruth) -> tuple[np.ndarray, int, int]:
    """(K, 3) colours: background, then N ball colours, then other unique colours."""
    s = truth.scene
    cols = [np.asarray(BACKGROUND, float)] + list(s.ball_color.astype(float))
    n_balls = len(cols) - 1
    for c in list(s.rect_color) + list(s.level_color):
        if not any(np.allclose(c, d) for d in cols):
            cols.append(np.asarray(c, float))
    return np.array(cols, np.float32), n_balls, len(cols)


def _labels(frame: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Nearest palette entry per pixel: (H, W) int."""
    # |p - c|^2 = |p|^2 - 2 p.c + |c|^2; |p|^2 is the same for every c, so one matmul suffices
    score = frame @ (-2.0 * palette.T) + (palette**2).sum(1)  # (H, W, K)
    return np.argmin(score, axis=-1)


def _soft_alpha(frame: np.ndarray, base: np.ndarray, color: np.ndarray) -> np.ndarray:
    """Fraction of ``color`` over ``base`` per pixel (projection), (H, W), in [-0.25, 1.25]
    (not clipped at 0 so background noise averages out instead of adding area)."""
    axis = color - base
    a = ((frame - base) @ axis) / max(float(axis @ axis), 1e-6)
    return np.clip(a, -0.25, 1.25)


def _is_own_blob(frame: np.ndarray, mask: np.ndarray, k: int, palette: np.ndarray, n_balls: int) -> bool:
    """A blob of class ``k`` is real if its purest pixel is nearly pure (alpha >=
    ``MIN_PEAK_ALPHA``) and is best explained as ``k`` mixed with the background,
    not as another ball's colour mixed with it (anti-aliased edges of one colour can
    lie nearest to a different palette entry)."""
    bg = palette[0]
    px = frame[mask]  # (P, 3)
    alpha = _soft_alpha(px, bg, palette[k])  # (P,)
    i = int(np.argmax(alpha))
    if alpha[i] < MIN_PEAK_ALPHA:
        return False
    p = px[i]
    resid = []
    for c in palette[1:n_balls + 1]:  # distance from p to each segment [bg, c]
        a = np.clip(float((p - bg) @ (c - bg)) / max(float((c - bg) @ (c - bg)), 1e-6), 0.0, 1.0)
        resid.append(float(np.linalg.norm(p - bg - a * (c - bg))))
    return int(np.argmin(resid)) + 1 == k


def _blob_state(frame, lab, comp_mask, k, bbox, scale, height_w, static, n_balls, origin=(0, 0)):
    """Soft area (px), centre (world) and mean colour of one blob of class ``k``.
    Arrays may be a crop whose top-left pixel is ``origin`` (row, col) in the frame."""
    h, w = lab.shape
    x, y, bw, bh = bbox
    r0, r1 = max(y - GROW_PX, 0), min(y + bh + GROW_PX, h)
    c0, c1 = max(x - GROW_PX, 0), min(x + bw + GROW_PX, w)
    core = comp_mask[r0:r1, c0:c1]
    kernel = np.ones((2 * GROW_PX + 1, 2 * GROW_PX + 1), np.uint8)
    grown = cv2.dilate(core.astype(np.uint8), kernel) > 0
    sub, sublab = frame[r0:r1, c0:c1], lab[r0:r1, c0:c1]
    inner = cv2.erode(core.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    if inner.sum() >= 3:
        color = sub[inner].mean(0)  # (3,)
    else:  # a blob of a few pixels has no interior: take its purest pixels (farthest from background)
        px = sub[core]  # (P, 3)
        dist = np.linalg.norm(px - np.asarray(BACKGROUND, np.float32), axis=1)
        color = px[dist >= 0.9 * dist.max()].mean(0)
    # never take another ball's pixels or a box's (by geometry); a pixel labelled as a
    # box colour *outside* any box is this ball's anti-aliased edge (e.g. white over dark = grey)
    keep = grown & ((sublab == k) | ((sublab == 0) | (sublab > n_balls)) & ~static[r0:r1, c0:c1])
    alpha = _soft_alpha(sub, np.asarray(BACKGROUND, np.float32), color) * keep  # (h', w')
    area = float(alpha.sum())
    if area <= 0:
        return None
    yy, xx = np.mgrid[r0:r1, c0:c1].astype(np.float32) + 0.5  # pixel centres in the crop
    yy, xx = yy + origin[0], xx + origin[1]  # ... in the frame
    cx, cy = float((alpha * xx).sum() / area), float((alpha * yy).sum() / area)
    return area, np.array([cx / scale, height_w - cy / scale]), color


def parse_video(frames: np.ndarray, truth: ProbeTruth) -> ProbeParse:
    """Read per-frame states of ``truth``'s objects from ``frames`` (T, H, W, 3) uint8."""
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise VideoError(f"probe parse needs frames (T, H, W, 3), got shape {frames.shape}")
    t_n, h, w, _ = frames.shape
    if (h, w) != (truth.height, truth.width):
        raise VideoError(f"video is {h}x{w} but the probe was rendered at {truth.height}x{truth.width}; "
                         "generate at the case's resolution")
    scene, scale = truth.scene, w / truth.scene.width_w
    palette, n, _ = _palette(truth)
    true_r = truth.traj.ball_radius[0] if n else np.zeros(0)  # (N,)
    min_area = np.maximum(MIN_AREA_FRACTION * np.pi * (true_r * scale) ** 2, 1.0)  # (N,) px
    pos = np.full((t_n, n, 2), np.nan)
    rad = np.full((t_n, n), np.nan)
    col = np.full((t_n, n, 3), np.nan)
    count = np.zeros(t_n, int)
    lv = np.full((t_n, scene.level0.size), np.nan)
    fr_all = frames.astype(np.float32)
    view = truth.traj.view  # (T, 2) world units
    still = bool(np.all(view == view[:1]))
    static = _static_mask(truth, view[0])  # (H, W) pixels touched by boxes or levels
    for t in range(t_n):
        fr = fr_all[t]
        if not still:
            static = _static_mask(truth, view[t])
        lab = _labels(fr, palette)
        dets = []  # (class index 0..N-1, area px, centre world, colour)
        for k in range(n):
            mask = lab == k + 1
            rows, cols = np.nonzero(mask.any(1))[0], np.nonzero(mask.any(0))[0]
            if not rows.size:
                continue
            # work in the crop around this colour's pixels (+ the soft-mask margin): much faster at 256 px
            m = GROW_PX + 1
            r0, c0 = max(rows[0] - m, 0), max(cols[0] - m, 0)
            crop = (slice(r0, rows[-1] + m + 1), slice(c0, cols[-1] + m + 1))
            fr_c, lab_c, static_c = fr[crop], lab[crop], static[crop]
            num, cc, stats, _ = cv2.connectedComponentsWithStats(mask[crop].astype(np.uint8), connectivity=8)
            for j in range(1, num):
                if stats[j, cv2.CC_STAT_AREA] < min_area[k]:
                    continue
                blob = cc == j
                if not _is_own_blob(fr_c, blob, k + 1, palette, n):
                    continue  # only mixed edge pixels of another ball (e.g. a cyan edge read as green)
                st = _blob_state(fr_c, lab_c, blob, k + 1, stats[j, :4], scale, scene.height_w, static_c, n,
                                 (r0, c0))
                if st is not None:
                    dets.append((k, *st))
        count[t] = len(dets)
        if not still:  # centres were read in the view: back into the world
            dets = [(k, area, centre + view[t], colour) for k, area, centre, colour in dets]
        if dets and n:
            _match(t, dets, truth, pos, rad, col, scale)
        for l in range(scene.level0.size):
            lv[t, l] = _level(fr, lab, truth, l, palette, scale)
    return ProbeParse(pos, rad, col, ~np.isnan(rad), count, lv)


def _static_mask(truth: ProbeTruth, view: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels any box or level can cover (from geometry, grown by one pixel),
    seen from a view whose bottom-left corner is ``view`` (2,) world units."""
    s, scale = truth.scene, truth.scale
    mask = np.zeros((truth.height, truth.width), bool)
    boxes = list(s.rects) + [[s.level_x0[l], s.level_base[l], s.level_x1[l], s.level_max[l] + s.level_base[l]]
                             for l in range(s.level0.size)]
    shift = np.concatenate([view, view])  # (4,)
    for x0, y0, x1, y1 in (np.asarray(b, float) - shift for b in boxes):
        c0, c1 = int(np.floor(x0 * scale)) - 1, int(np.ceil(x1 * scale)) + 1
        r0, r1 = int(np.floor((s.height_w - y1) * scale)) - 1, int(np.ceil((s.height_w - y0) * scale)) + 1
        mask[max(r0, 0):max(r1, 0), max(c0, 0):max(c1, 0)] = True
    return mask


def _match(t, dets, truth, pos, rad, col, scale) -> None:
    """Assign detections to true balls (Hungarian on colour + a little position)."""
    tc = truth.scene.ball_color.astype(float)  # (N, 3) the palette, not the perturbed truth
    tp = truth.traj.ball_pos[t]  # (N, 2)
    dc = np.array([d[3] for d in dets])  # (D, 3)
    dp = np.array([d[2] for d in dets])  # (D, 2)
    cdist = np.linalg.norm(tc[:, None] - dc[None], axis=-1)  # (N, D)
    pdist = np.linalg.norm(tp[:, None] - dp[None], axis=-1)  # (N, D) world units
    cost = cdist / COLOR_GATE + 0.01 * pdist
    cost[cdist > COLOR_GATE] = 1e6
    rows, cols = linear_sum_assignment(cost)
    for i, j in zip(rows, cols):
        if cdist[i, j] > COLOR_GATE:
            continue  # gated: this ball was not found
        area, centre, colour = dets[j][1], dets[j][2], dets[j][3]
        pos[t, i], col[t, i] = centre, colour
        rad[t, i] = np.sqrt(area / np.pi) / scale


def _level(fr, lab, truth, l, palette, scale) -> float:
    """Height (world units) of level ``l``: soft area in its column band / measured width."""
    s = truth.scene
    k = int(np.argmin(np.linalg.norm(palette - s.level_color[l].astype(np.float32), axis=1)))
    x0 = max(int(np.floor(s.level_x0[l] * scale)) - GROW_PX, 0)
    x1 = min(int(np.ceil(s.level_x1[l] * scale)) + GROW_PX, fr.shape[1])
    band, bandlab = fr[:, x0:x1], lab[:, x0:x1]
    base = np.asarray(BACKGROUND, np.float32)
    for m in np.nonzero(~s.rect_over)[0]:  # liquid sits on a container: use its colour as the base
        bx0, _, bx1, _ = s.rects[m]
        if bx0 <= s.level_x0[l] + 1e-6 and s.level_x1[l] <= bx1 + 1e-6:
            base = s.rect_color[m].astype(np.float32)
    base_k = int(np.argmin(np.linalg.norm(palette - base, axis=1)))
    near = cv2.dilate((bandlab == k).astype(np.uint8), np.ones((2 * GROW_PX + 1,) * 2, np.uint8)) > 0
    near &= (bandlab == k) | (bandlab == base_k)  # only level-over-its-base pixels
    alpha = _soft_alpha(band, base, palette[k]) * near  # (H, w)
    rows = alpha.sum(1)  # (H,) px of level colour per row
    if rows.max(initial=0) <= 0.5:
        return 0.0  # no level colour anywhere in its band: the level reads as empty
    # the widest row is a fully covered one (top and bottom rows are partial) as long as the
    # level is a few pixels tall; below that, use the known geometric width
    width = float(rows.max())
    if rows.sum() / width < 2.5:
        width = (s.level_x1[l] - s.level_x0[l]) * scale
    return float(rows.sum() / width / scale)
