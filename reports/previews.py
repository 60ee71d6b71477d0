"""Preview frames and GIFs of the worst cases per metric (for the HTML report).

The worst item of an output is the one furthest in the "worse" direction among
items that scored and still have their lossless cached video. The preview is a
strip of ``N_FRAMES`` evenly spaced frames (PNG) plus a short looping GIF, both
downscaled by an integer stride so the self-contained HTML stays small. A missing
or unreadable video gives no preview (never an error: the cache may be pruned).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vbench_lite.reports.data import RunData, metric_info

N_FRAMES = 4  # frames in the strip
GIF_FRAMES = 12  # at most this many frames in the GIF
MAX_SIDE = 128  # px: frames are strided down to at most this side


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


def make_previews(data: RunData, **kw) -> list[Preview]:
    out = []
    for _, r in worst_items(data, **kw).iterrows():
        frames = _read_frames(r["video_path"])
        if frames is None:
            continue
        out.append(Preview(r["metric"], r["case_id"], int(r["seed"]), float(r["value"]), r["units"],
                           r["prompt"] or "", strip_png(frames), gif_bytes(frames)))
    return out


def _read_frames(path: str) -> np.ndarray | None:
    from vbench_lite.io import read_video

    if not path or not Path(path).exists():
        return None
    try:
        return read_video(path).frames  # (T, H, W, 3) uint8
    except Exception:  # a broken cache file must not stop a report; no preview then
        return None


def _downscale(frames: np.ndarray) -> np.ndarray:
    step = max(1, int(np.ceil(max(frames.shape[1:3]) / MAX_SIDE)))
    return frames[:, ::step, ::step]  # (T, H/step, W/step, 3)


def strip_png(frames: np.ndarray) -> bytes:
    """``N_FRAMES`` evenly spaced frames side by side, 2 px gaps, as PNG bytes."""
    f = _downscale(frames)
    idx = np.linspace(0, len(f) - 1, min(N_FRAMES, len(f))).round().astype(int)
    gap = np.full((f.shape[1], 2, 3), 255, np.uint8)  # (H, 2, 3)
    parts = []
    for i in idx:
        parts += [f[i], gap]
    strip = np.concatenate(parts[:-1], axis=1)  # (H, n*W + gaps, 3)
    return _png(strip)


def _png(img: np.ndarray) -> bytes:
    try:
        from PIL import Image  # installed with matplotlib
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="PNG")
        return buf.getvalue()
    except ImportError:
        import matplotlib.image as mpimg
        buf = io.BytesIO()
        mpimg.imsave(buf, img, format="png")
        return buf.getvalue()


def gif_bytes(frames: np.ndarray, fps: float = 8.0) -> bytes | None:
    """A looping GIF of up to ``GIF_FRAMES`` frames; None without Pillow."""
    try:
        from PIL import Image
    except ImportError:
        return None
    f = _downscale(frames)
    idx = np.linspace(0, len(f) - 1, min(GIF_FRAMES, len(f))).round().astype(int)
    # GIF needs a palette; fast octree quantisation per frame (the default median cut
    # costs ~5 ms a frame, which dominates a report with many previews)
    imgs = [Image.fromarray(f[i]).quantize(colors=128, method=Image.Quantize.FASTOCTREE) for i in idx]
    buf = io.BytesIO()
    imgs[0].save(buf, format="GIF", save_all=True, append_images=imgs[1:], loop=0,
                 duration=int(1000 / fps))
    return buf.getvalue()
