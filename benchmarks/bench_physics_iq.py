"""Physics-IQ: our ``physics_iq`` against the benchmark's own steps on the same files.

    python benchmarks/bench_physics_iq.py [--repeats 3] [--height 540 --width 960 --fps 24]

One scenario, three perspectives: a real take 1 and take 2 and a generated video each
(camera pan over a photograph with a moving ball, written as mp4), 5 s. Times, median
over ``--repeats``:

- benchmark: ``tests/helpers/physics_iq_reference.py`` -- the benchmark's steps
  transcribed, file to file as ``run_physics_iq.py`` runs them: a mask video per
  video (its mp4v codec), then per perspective every video and mask decoded again,
  resized and compared, the results CSV written and scored by ``IQTable``;
- ours: ``runners.scoring.score_video`` per generated video (decoded once, its take 1
  and take 2 streamed; masks through an mp4v file as there, or with
  ``mask_codec=lossless`` in memory), then ``compute_set``.

Also reports the per-video differences (ours vs the steps; lossless vs the steps with
lossless FFV1 mask files) and what the benchmark's lossy mask codec changes.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the transcription, clip builder

VIEWS = ("perspective-left", "perspective-center", "perspective-right")
SCENE = "trimmed-ball-roll"


def make_clip(photo, n, size, start, velocity, pan=(0.4, 0.15)):
    from helpers.synthetic_clips import pan_video

    frames = pan_video(photo, num_frames=n, velocity=pan, size=size).copy()
    r = max(4, size[0] // 14)
    for t in range(n):
        c = (int(start[0] + velocity[0] * t), int(start[1] + velocity[1] * t))
        cv2.circle(frames[t], c, r, (240, 235, 40), -1)
    return frames


def write(frames, path, fps):
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (frames.shape[2], frames.shape[1]))
    for f in frames:
        out.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    out.release()


def build(root: Path, h, w, fps) -> dict:
    import skimage.data

    photo = skimage.data.astronaut()
    n, (real, gen) = 5 * fps, (root / "real", root / "gen")
    real.mkdir()
    gen.mkdir()
    paths = {}
    for i, view in enumerate(VIEWS):
        s, v = (w * (0.1 + 0.1 * i), h * 0.3), (w * 0.006, h * 0.004)
        take1 = make_clip(photo, n, (h, w), s, v)
        take2 = make_clip(photo, n, (h, w), (s[0] + 3, s[1] + 2), (v[0] * 0.97, v[1] * 1.05))
        generated = make_clip(photo, n, (h, w), (s[0], s[1] + h * 0.2), (v[0] * 1.3, -v[1]))
        p = {"real1": real / f"{i + 1:04d}_testing-videos_{fps}FPS_{view}_take-1_{SCENE}.mp4",
             "real2": real / f"{i + 4:04d}_testing-videos_{fps}FPS_{view}_take-2_{SCENE}.mp4",
             "gen": gen / f"{i + 1:04d}_{view}_{SCENE}.mp4"}
        for key, frames in (("real1", take1), ("real2", take2), ("gen", generated)):
            write(frames, p[key], fps)
        paths[view] = p
    return {"real": real, "gen": gen, "paths": paths}


def benchmark_steps(data, work: Path, fps, fourcc) -> dict:
    from helpers import physics_iq_reference as ref

    work.mkdir(parents=True, exist_ok=True)
    values = {}
    for view, p in data["paths"].items():
        masks = {k: work / f"{view}_{k}.{'mp4' if fourcc == 'mp4v' else 'avi'}" for k in p}
        for k in p:
            ref.generate_mask(p[k], masks[k], fourcc=fourcc)
        values[view] = ref.view_metrics(p["real1"], p["real2"], p["gen"], masks["real1"], masks["real2"],
                                        masks["gen"], fps)
    csv_path = ref.write_results_csv({f"{SCENE}.mp4": values}, work / "results.csv")
    return {"views": values, "scores": ref.iqtable_output(csv_path)}


def ours(data, mask_codec="mp4v") -> dict:
    from vbench_lite.case import Case
    from vbench_lite.io import VideoFile
    from vbench_lite.metrics.physics_iq_metric import PhysicsIQ
    from vbench_lite.runners.scoring import score_video

    metric = PhysicsIQ(reference_dir=data["real"], variance_dir=data["real"], mask_codec=mask_codec)
    views, rows = {}, []
    for view, p in data["paths"].items():
        case = Case(case_id=p["gen"].stem, suite="eval")
        scored = score_video(VideoFile(p["gen"]).read(), case, [metric])
        assert not scored.skips, scored.skips
        views[view] = {s.metric: s for s in scored.scores}
        rows.append(scored.features[metric.name])
    return {"views": views, "scores": metric.compute_set(np.stack(rows), metric.reference_features([]))}


def timed(fns: dict, repeats: int) -> tuple[dict, dict, dict]:
    """Median wall and CPU seconds of each function, the functions interleaved per repeat
    (a shared machine's load drifts; interleaving spreads it over all of them)."""
    wall, cpu, out = {k: [] for k in fns}, {k: [] for k in fns}, {}
    for _ in range(repeats):
        for k, fn in fns.items():
            t0, c0 = time.perf_counter(), time.process_time()
            out[k] = fn()
            wall[k].append(time.perf_counter() - t0)
            cpu[k].append(time.process_time() - c0)
    return ({k: statistics.median(v) for k, v in wall.items()}, {k: statistics.median(v) for k, v in cpu.items()},
            out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--height", type=int, default=540)
    ap.add_argument("--width", type=int, default=960)
    ap.add_argument("--fps", type=int, default=24)
    ap.add_argument("--threads", type=int, default=2, help="OpenCV threads (the target machine has 2 cores)")
    args = ap.parse_args()
    cv2.setNumThreads(args.threads)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, OpenCV threads "
          f"{args.threads}; clips {args.height}x{args.width}, {5 * args.fps} frames at {args.fps} fps; "
          f"1 scenario x 3 perspectives (9 videos); median of {args.repeats}")
    with tempfile.TemporaryDirectory(prefix="bench-piq-") as tmp:
        root = Path(tmp)
        data = build(root, args.height, args.width, args.fps)
        wall, cpu, out = timed({"theirs": lambda: benchmark_steps(data, root / "mp4v", args.fps, "mp4v"),
                                "ours": lambda: ours(data), "fast": lambda: ours(data, "lossless")}, args.repeats)
        theirs, mine, fast = out["theirs"], out["ours"], out["fast"]
        lossless = benchmark_steps(data, root / "ffv1", args.fps, "FFV1")
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for label, k in (("benchmark's steps (mp4v mask files)", "theirs"), ("ours, mp4v masks (the default)", "ours"),
                     ("ours, mask_codec=lossless", "fast")):
        speed = "" if k == "theirs" else f"   ({wall['theirs'] / wall[k]:.1f}x wall, {cpu['theirs'] / cpu[k]:.1f}x CPU)"
        print(f"{label:38s} {wall[k]:7.2f} s wall {cpu[k]:7.2f} s CPU{speed}")

    pairs = (("piq_spatial_iou", "spatial_iou_v1"), ("piq_weighted_spatial_iou", "weighted_spatial_iou_v1"),
             ("piq_spatiotemporal_iou", "spatiotemporal_iou_v1"), ("piq_mse", "v1_mse"))
    exact, exact_fast, codec = 0.0, 0.0, {}
    for view in VIEWS:
        for name, key in pairs:
            exact = max(exact, abs(mine["views"][view][name].value - float(np.mean(theirs["views"][view][key]))))
            exact_fast = max(exact_fast, abs(fast["views"][view][name].value
                                             - float(np.mean(lossless["views"][view][key]))))
            codec[name] = max(codec.get(name, 0.0), abs(float(np.mean(theirs["views"][view][key]))
                                                        - float(np.mean(lossless["views"][view][key]))))
    print(f"per video, max |diff|: ours vs the benchmark's steps {exact:.1e}; lossless vs its steps with "
          f"lossless mask files {exact_fast:.1e}")
    print("the benchmark's mp4v mask codec vs lossless masks, per video, max |diff|: "
          + ", ".join(f"{k} {v:.4f}" for k, v in codec.items()))
    for label, key in (("original", "final_score_orig"), ("Verified", "final_score_view")):
        name = {"final_score_orig": "physics_iq_score", "final_score_view": "physics_iq_verified_score"}[key]
        print(f"{label} score: ours {mine['scores'][name]:.4f} %, benchmark's steps {100 * theirs['scores'][key]:.4f} "
              f"%; lossless {fast['scores'][name]:.4f} %, steps with lossless mask files "
              f"{100 * lossless['scores'][key]:.4f} %")


if __name__ == "__main__":
    main()
