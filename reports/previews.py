"""Preview frames and GIFs of the worst cases per metric (for the HTML report), and
the labelled frame grid that ``probes render`` uses for its contact sheet.

The worst item of an output is the one furthest in the "worse" direction among
items that scored and still have their lossless cached video. Its preview is a
strip of ``N_FRAMES`` evenly spaced frames, each numbered, upscaled by an integer
factor with nearest-neighbour sampling (never blurred: a 32-pixel probe stays
readable, and the pixels a metric saw are the pixels shown); for a probe case the
simulator's truth -- the floor run's video of the same case and seed, read from the
store -- is a second row under the generated frames. A short looping GIF shows
both side by side. A missing or unreadable video gives no preview (never an error:
the cache may be pruned).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vbench_lite.reports.data import RunData, is_floor, metric_info, query
from vbench_lite.store import FLOOR_ROLE, Store

N_FRAMES = 8  # frames in the strip
GIF_FRAMES = 16  # at most this many frames in the GIF
MAX_SIDE = 128  # px: larger frames are strided down to at most this side first ...
MIN_TILE = 96  # px: ... and smaller ones upscaled (nearest) to at least this side
GAP = 4  # px between tiles
LABEL_PX = 12  # font size of frame numbers and row labels
INK, RULE, PAPER = (40, 40, 40), (170, 170, 170), (255, 255, 255)


@dataclass
class Preview:
    metric: str
    case_id: str
    seed: int
    value: float
    units: str
    prompt: str
    strip_png: bytes
    gif: bytes | None
    has_truth: bool = False  # the strip's second row is the simulator's truth


def worst_items(data: RunData, *, per_metric: int = 1, max_metrics: int = 8) -> pd.DataFrame:
    """metric, case_id, seed, value, units, prompt, video_path of the worst items of each
    directed per-video output (set-level and undirected outputs have no worst video)."""
    info = metric_info(data.scores)
    directed = info[info["higher_is_better"].notna() & ~info["set_level"]]
    s = data.scores[data.scores["metric"].isin(directed.index) & data.scores["value"].notna()]
    s = s.merge(data.items[["case_id", "seed", "prompt", "video_path"]], on=["case_id", "seed"])
    s = s[s["video_path"].notna() & (s["video_path"] != "")]
    if s.empty:
        return s
    # sign so that larger = worse, then take the top rows per metric
    sign = np.where(s["metric"].map(directed["higher_is_better"]) == 1, -1.0, 1.0)
    s = s.assign(badness=s["value"] * sign).sort_values(["metric", "badness"], ascending=[True, False])
    out = s.groupby("metric", sort=True).head(per_metric)
    keep = list(dict.fromkeys(out["metric"]))[:max_metrics]
    return out[out["metric"].isin(keep)].reset_index(drop=True)


def truth_videos(store: Store, data: RunData) -> dict[tuple[str, int], str]:
    """(case_id, seed) -> cached video of the simulator oracle for that case, from the
    newest floor run that rendered it (the world depends only on suite, case and
    seed, so it is the truth of the generated video). Empty for a floor run itself."""
    if is_floor(data.run) or data.items.empty:
        return {}
    df = query(store, "SELECT r.created, i.suite, i.case_id, i.seed, i.video_path FROM items i"
               " JOIN runs r ON r.run_id=i.run_id WHERE r.role=? AND i.status='ok' AND i.video_path != ''",
               (FLOOR_ROLE,))
    if df.empty:
        return {}
    df = df.merge(data.items[["suite", "case_id", "seed"]].drop_duplicates(), on=["suite", "case_id", "seed"])
    df = df.sort_values("created").drop_duplicates(["case_id", "seed"], keep="last")
    return {(c, int(s)): p for c, s, p in zip(df["case_id"], df["seed"], df["video_path"])}


def make_previews(data: RunData, *, truth: dict | None = None, **kw) -> list[Preview]:
    """Previews of ``worst_items``; ``truth`` (``truth_videos``) adds the truth row."""
    out = []
    for _, r in worst_items(data, **kw).iterrows():
        frames = _read_frames(r["video_path"])
        if frames is None:
            continue
        ref = _read_frames((truth or {}).get((r["case_id"], int(r["seed"])), ""))
        if ref is not None and len(ref) != len(frames):
            ref = None  # another frame count: not this video's truth
        out.append(Preview(r["metric"], r["case_id"], int(r["seed"]), float(r["value"]), r["units"],
                           r["prompt"] or "", strip_png(frames, ref), gif_bytes(frames, ref=ref),
                           has_truth=ref is not None))
    return out


def _read_frames(path: str) -> np.ndarray | None:
    from vbench_lite.io import read_video

    if not path or not Path(path).exists():
        return None
    try:
        return read_video(path).frames  # (T, H, W, 3) uint8
    except Exception:  # a broken cache file must not stop a report; no preview then
        return None


def scale_frames(frames: np.ndarray, min_side: int = MIN_TILE, max_side: int = MAX_SIDE) -> np.ndarray:
    """(T, H, W, 3) -> frames strided down to at most ``max_side`` px, then repeated
    (nearest neighbour, integer factor) up to at least ``min_side`` px: no blur."""
    side = max(frames.shape[1:3])
    step = max(1, math.ceil(side / max_side))
    f = frames[:, ::step, ::step]  # (T, H', W', 3)
    zoom = max(1, math.ceil(min_side / max(f.shape[1:3])))
    return f.repeat(zoom, axis=1).repeat(zoom, axis=2) if zoom > 1 else f  # (T, H'z, W'z, 3)


def frame_indices(n: int, k: int = N_FRAMES) -> np.ndarray:
    """``k`` evenly spaced frame indices of ``n`` frames, first and last included."""
    return np.unique(np.linspace(0, n - 1, min(k, n)).round().astype(int))


def _font(size: int = LABEL_PX):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)  # Pillow >= 10.1: a scalable font
    except TypeError:
        return ImageFont.load_default()


def labelled_grid(rows: list[list[np.ndarray]], labels: list[list[str]],
                  row_labels: list[str] | None = None) -> np.ndarray:
    """Tiles (each (h, w, 3) uint8, one size) in rows, each tile framed by a grey rule
    with its label (e.g. the frame number) above it; ``row_labels`` to the left.
    Returns an (H, W, 3) uint8 image on white."""
    from PIL import Image, ImageDraw

    font = _font()
    h, w = rows[0][0].shape[:2]
    band = LABEL_PX + 4 if any(any(t for t in r) for r in labels) else 0
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    left = max((measure.textlength(t, font=font) for t in row_labels or []), default=0)
    left = int(left) + 2 * GAP if row_labels else 0
    ncols = max(len(r) for r in rows)
    width = left + ncols * (w + 2 + GAP) + GAP
    height = len(rows) * (band + h + 2 + GAP) + GAP
    img = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(img)
    for i, row in enumerate(rows):
        y = GAP + i * (band + h + 2 + GAP)
        if row_labels:
            draw.text((GAP, y + band + h // 2), row_labels[i], fill=INK, font=font, anchor="lm")
        for j, tile in enumerate(row):
            x = left + GAP + j * (w + 2 + GAP)
            if band and labels[i][j]:
                draw.text((x + 1 + w // 2, y + band - 2), labels[i][j], fill=INK, font=font, anchor="mb")
            draw.rectangle((x, y + band, x + w + 1, y + band + h + 1), outline=RULE)
            img.paste(Image.fromarray(np.ascontiguousarray(tile)), (x + 1, y + band + 1))
    return np.asarray(img)


def strip_png(frames: np.ndarray, ref: np.ndarray | None = None) -> bytes:
    """``N_FRAMES`` evenly spaced frames, numbered ("t=0" is the first frame), as PNG
    bytes; with ``ref`` (the truth, same frame count) a second row "truth"."""
    idx = frame_indices(len(frames))
    rows = [list(scale_frames(frames[idx]))]
    labels = [[f"t={i}" for i in idx]]
    names = None
    if ref is not None:
        rows.append(list(scale_frames(ref[idx])))
        if rows[1][0].shape != rows[0][0].shape:  # another geometry: not comparable tile by tile
            rows.pop()
        else:
            labels.append([""] * len(idx))
            names = ["generated", "truth"]
    return png_bytes(labelled_grid(rows, labels, names))


def png_bytes(img: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def gif_bytes(frames: np.ndarray, fps: float = 8.0, *, ref: np.ndarray | None = None) -> bytes | None:
    """A looping GIF of up to ``GIF_FRAMES`` frames, upscaled like the strip; with
    ``ref`` the truth plays beside the generated video. None without Pillow."""
    try:
        from PIL import Image
    except ImportError:
        return None
    idx = np.linspace(0, len(frames) - 1, min(GIF_FRAMES, len(frames))).round().astype(int)
    f = scale_frames(frames[idx])  # (N, h, w, 3)
    if ref is not None:
        r = scale_frames(ref[idx])
        if r.shape == f.shape:
            gap = np.full((f.shape[0], f.shape[1], GAP, 3), 255, np.uint8)
            f = np.concatenate([f, gap, r], axis=2)  # (N, h, 2w + GAP, 3)
    # GIF needs a palette; fast octree quantisation per frame (the default median cut
    # costs ~5 ms a frame, which dominates a report with many previews)
    imgs = [Image.fromarray(np.ascontiguousarray(x)).quantize(colors=128, method=Image.Quantize.FASTOCTREE)
            for x in f]
    buf = io.BytesIO()
    imgs[0].save(buf, format="GIF", save_all=True, append_images=imgs[1:], loop=0, duration=int(1000 / fps))
    return buf.getvalue()
