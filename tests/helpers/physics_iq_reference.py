"""Physics-IQ's own pipeline, transcribed step by step for the equality tests and the benchmark.

The benchmark (google-deepmind/physics-IQ-benchmark) is not on the package index and its
``physiq`` package needs joblib and a dataset layout, so its steps are written out here
from the source, each with the lines it follows; nothing here is shared with
``vbench_lite.metrics.physics_iq`` (that is the point of the comparison). Files go
through OpenCV exactly as there: masks are written to a video file and read back.
The one deviation is the mask codec: ``MASK_FOURCC`` FFV1 (lossless) instead of the
benchmark's mp4v (lossy), so equality is testable; ``fourcc="mp4v"`` gives the
benchmark's codec (``benchmarks/bench_physics_iq.py`` reports what it changes).

Sources: code/binary_mask_generator.py and code/calculate_and_write_metrics_to_csv.py at
commit e457754 (file:line), physiq/calculate_and_write_metrics_to_csv.py@dc7dd06,
physiq/calculate_iq_score.py@b5faeb1 and physiq/calculate_iq_score_stable.py@edb3052
(by function).
"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

VIEWS = ["perspective-left", "perspective-center", "perspective-right"]  # calculate_iq_score.py VIEWS
MASK_FOURCC = "FFV1"


def generate_mask(in_path, out_path, fourcc: str = MASK_FOURCC, threshold: int = 10) -> None:
    """binary_mask_generator.py:22-118 (generate_mask), file to file."""
    cap = cv2.VideoCapture(str(in_path))
    fps = round(cap.get(cv2.CAP_PROP_FPS))  # :41
    w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    w, h = w - w % 2, h - h % 2  # :47 even dimensions
    out = cv2.VideoWriter(str(out_path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h), isColor=False)  # :67-69
    ok, frame = cap.read()
    grey = cv2.GaussianBlur(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), (5, 5), 0)  # :78-79
    avg = grey.astype("float")  # :80
    out.write(np.zeros_like(grey, dtype=np.uint8))  # :83-84 first mask empty
    kernel = np.ones((5, 5), np.uint8)  # :87
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        grey = cv2.GaussianBlur(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), (5, 5), 0)  # :94-95
        cv2.accumulateWeighted(grey, avg, 0.3)  # :97
        diff = cv2.absdiff(grey, cv2.convertScaleAbs(avg))  # :98-100
        _, binary = cv2.threshold(diff, threshold, 255, cv2.THRESH_BINARY)  # :102-104
        binary = cv2.morphologyEx(binary, cv2.MORPH_OPEN, kernel)  # :106
        out.write(cv2.morphologyEx(binary, cv2.MORPH_CLOSE, kernel))  # :107-108
    cap.release()
    out.release()


def load_and_resize_video(path, start, end, target_size=None, normalize=True) -> np.ndarray:
    """physiq/calculate_and_write_metrics_to_csv.py@dc7dd06 load_and_resize_video (code/...:119-151)."""
    cap = cv2.VideoCapture(str(path))
    frames, idx = [], 0
    while cap.isOpened():
        ok, frame = cap.read()
        if not ok:
            break
        if start <= idx < end:
            if target_size:
                frame = cv2.resize(frame, target_size)
            if normalize:
                frame = frame / 255.0
            frames.append(frame)
        idx += 1
    cap.release()
    return np.stack(frames)


def _st_iou(m1, m2):  # spatiotemporal_iou_per_frame@dc7dd06 (code/...:171-182)
    axes = tuple(range(1, m1.ndim))
    inter = np.logical_and(m1, m2).sum(axis=axes)
    union = np.logical_or(m1, m2).sum(axis=axes)
    return np.where(union == 0, 1.0, inter / np.maximum(union, 1)).tolist()


def _weighted(m):  # weighted_spatial_mask (code/...:92-97)
    return np.sum(m, axis=0, dtype=np.uint16) / len(m)


def _weighted_iou(w1, w2):  # compute_weighted_spatial_iou (code/...:154-168)
    inter, union = np.minimum(w1, w2), np.maximum(w1, w2)
    valid = union > 0
    if np.sum(valid) == 0:
        return 1.0
    return np.sum(inter[valid]) / np.sum(union[valid])


def _mse(v1, v2):  # mse_per_frame@dc7dd06
    diff = v1.astype(np.float32) - v2.astype(np.float32)
    return (diff ** 2).mean(axis=(1, 2, 3)).tolist()


def view_metrics(real1, real2, generated, mask1, mask2, mask_gen, fps: float) -> dict:
    """load_view + compute_view_metrics@dc7dd06 for one (scenario, view): file paths in,
    the CSV's per-view values out (keys without the view suffix)."""
    n = fps * 5  # consider_frames (code/...:191); video_time_selection "first" (:192-193)
    sample = load_and_resize_video(real1, 0, 1, normalize=False)
    size = (sample[0].shape[1] // 4, sample[0].shape[0] // 4)  # :247-250
    r1, r2, g = (load_and_resize_video(p, 0, n, size) for p in (real1, real2, generated))
    m1, m2, mg = (load_and_resize_video(p, 0, n, size, normalize=False)[:, :, :, 0] > 127
                  for p in (mask1, mask2, mask_gen))
    if r1.shape != r2.shape or r1.shape != g.shape or m1.shape != m2.shape or m1.shape != mg.shape:
        raise ValueError("Frames are or shapes are inconistent across generated videos")
    s1, s2, sg = m1.any(axis=0), m2.any(axis=0), mg.any(axis=0)
    w1, w2, wg = _weighted(m1), _weighted(m2), _weighted(mg)
    return {
        "spatiotemporal_iou_v1": _st_iou(m1, mg), "spatiotemporal_iou_v2": _st_iou(m2, mg),
        "spatial_iou_v1": _st_iou(s1[None], sg[None])[0], "spatial_iou_v2": _st_iou(s2[None], sg[None])[0],
        "weighted_spatial_iou_v1": _weighted_iou(w1, wg), "weighted_spatial_iou_v2": _weighted_iou(w2, wg),
        "v1_mse": _mse(r1, g), "v2_mse": _mse(r2, g),
        "variance_spatial": _st_iou(s1[None], s2[None])[0], "variance_weighted_spatial": _weighted_iou(w1, w2),
        "variance_spatiotemporal_iou": _st_iou(m1, m2), "variance_mse": _mse(r1, r2),
    }


def write_results_csv(scenarios: dict[str, dict[str, dict]], path) -> Path:
    """process_videos' CSV (code/...:437-442): one row per scenario, ``{key}_{view}`` columns."""
    rows = []
    for name, views in scenarios.items():
        row = {"scenario": name}
        for view, values in views.items():
            for k, v in values.items():
                row[f"{k}_{view}"] = [float(x) for x in v] if isinstance(v, list) else v
        rows.append(row)
    pd.DataFrame(rows).to_csv(path, index=False)
    return Path(path)


def parse_list(value):
    """calculate_iq_score.py parse_list_of_floats: numbers of a list, each rounded to 4 decimals."""
    if isinstance(value, str):
        return [round(float(x), 4) for x in re.findall(r"[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?", value)]
    return [round(float(x), 4) for x in value]


LIST_KEYS = ["spatiotemporal_iou_v1", "v1_mse", "variance_spatiotemporal_iou", "variance_mse"]  # get_list_keys
SCALAR_KEYS = ["spatial_iou_v1", "weighted_spatial_iou_v1", "variance_spatial", "variance_weighted_spatial"]
# IQTable.metric_keys / variance pairs, in IQTable's order
PAIRS = [("spatial_iou_v1", "variance_spatial"), ("weighted_spatial_iou_v1", "variance_weighted_spatial"),
         ("spatiotemporal_iou_v1", "variance_spatiotemporal_iou"), ("v1_mse", "variance_mse")]


def iqtable_output(csv_path) -> dict:
    """IQTable.from_csv(...).get_output_dict() (calculate_iq_score_stable.py@edb3052) plus
    ``final_score_origround`` (run_physics_iq.process_directory)."""
    clip = lambda v: np.clip(v, 0.0, 1.0)  # noqa: E731  (clip)
    df = pd.read_csv(csv_path)
    for key in LIST_KEYS:  # from_csv: list columns parsed (rounded)
        for v in VIEWS:
            df[f"{key}_{v}"] = df[f"{key}_{v}"].apply(parse_list)
    per_view = {}  # _get_list_column_mean_by_view: per-view means of the lists
    for key in LIST_KEYS:
        for v in VIEWS:
            per_view[(key, v)] = np.array(df[f"{key}_{v}"].tolist()).mean(axis=1)
    agg = {}
    for key in LIST_KEYS:  # _get_list_column_mean: frames of all views concatenated
        agg[key] = np.concatenate([np.array(df[f"{key}_{v}"].tolist()) for v in VIEWS], axis=1).mean(axis=1)
    for key in SCALAR_KEYS:  # _get_scalar_column_mean
        agg[key] = df[[f"{key}_{v}" for v in VIEWS]].mean(axis=1).to_numpy()
    mean = {k: v.mean() for k, v in agg.items()}  # get_metric_mean
    score = {"spatial": mean["spatial_iou_v1"] / mean["variance_spatial"],  # get_score
             "weighted_spatial": mean["weighted_spatial_iou_v1"] / mean["variance_weighted_spatial"],
             "spatiotemporal": mean["spatiotemporal_iou_v1"] / mean["variance_spatiotemporal_iou"],
             "mse": mean["v1_mse"] - mean["variance_mse"]}
    raw = (score["spatiotemporal"] + score["spatial"] + score["weighted_spatial"]) / 3 - score["mse"]
    stable = clip((clip(score["spatiotemporal"]) + clip(score["spatial"]) + clip(score["weighted_spatial"])) / 3
                  - clip(score["mse"]))
    ratios = []  # compute_metric_ratio_by_view -> (n_scenarios, n_views) per metric
    for metric, var in PAIRS:
        if metric in LIST_KEYS:
            num = np.stack([per_view[(metric, v)] for v in VIEWS], axis=1)
            den = np.stack([per_view[(var, v)] for v in VIEWS], axis=1)
        else:
            num, den = df[[f"{metric}_{v}" for v in VIEWS]].to_numpy(), df[[f"{var}_{v}" for v in VIEWS]].to_numpy()
        r = num / (den + 1e-8)
        with np.errstate(divide="ignore"):  # an MSE of 0 gives inf there too, clipped to 1
            ratios.append((r ** -1 if metric == "v1_mse" else r).flatten())
    view = clip(np.stack(ratios, axis=1))  # compute_scores_scenario_by_view, clipped
    return {
        "score_spatiotemporal": score["spatiotemporal"], "score_spatial": score["spatial"],
        "score_weighted_spatial": score["weighted_spatial"], "score_mse": score["mse"],
        "final_score_raw": raw, "final_score_stable": stable, "final_score_orig": clip(raw),
        "variance_mse": mean["variance_mse"], "variance_spatiotemporal_iou": mean["variance_spatiotemporal_iou"],
        "variance_spatial": mean["variance_spatial"], "variance_weighted_spatial": mean["variance_weighted_spatial"],
        "final_score_view": clip(view).mean(axis=1).mean(),
        "score_spatiotemporal_view": view[:, 2].mean(), "score_spatial_view": view[:, 0].mean(),
        "score_weighted_spatial_view": view[:, 1].mean(), "score_mse_view": view[:, 3].mean(),
        "final_score_origround": calculate_iq_score(csv_path),
    }


def calculate_iq_score(csv_path) -> float:
    """calculate_iq_score.py:58-154 (the first release's score, percent, rounded)."""
    df = pd.read_csv(csv_path)
    for key in ("v1_mse", "spatiotemporal_iou_v1"):  # :71-78
        for v in VIEWS:
            df[f"{key}_{v}"] = df[f"{key}_{v}"].apply(parse_list)
    mse = df.apply(lambda r: np.mean(np.concatenate([r[f"v1_mse_{v}"] for v in VIEWS])), axis=1).mean()  # :94-97
    st = df.apply(lambda r: np.mean(np.concatenate([r[f"spatiotemporal_iou_v1_{v}"] for v in VIEWS])),
                  axis=1).mean()  # :99-102
    sp = df[[f"spatial_iou_v1_{v}" for v in VIEWS]].mean().mean()  # :105
    wsp = df[[f"weighted_spatial_iou_v1_{v}" for v in VIEWS]].mean().mean()  # :107
    pv_mse = round(np.mean([df[f"variance_mse_{v}"].apply(parse_list).explode().mean() for v in VIEWS]), 4)
    pv_st = round(np.mean([df[f"variance_spatiotemporal_iou_{v}"].apply(parse_list).explode().mean()
                           for v in VIEWS]), 4)  # :115-125
    pv_sp = round(np.mean([df[f"variance_spatial_{v}"].mean() for v in VIEWS]), 5)  # :127-131
    pv_wsp = round(np.mean([df[f"variance_weighted_spatial_{v}"].mean() for v in VIEWS]), 4)  # :133-137
    score = ((st / pv_st + sp / pv_sp + wsp / pv_wsp) / 3 - (mse - pv_mse)) * 100  # :143-151
    return round(max(min(score, 100.0), 0.0), 2)  # :152
