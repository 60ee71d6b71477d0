"""Streaming scoring (issue 24): memory of a long video, and short-clip throughput before/after.

    python benchmarks/bench_stream.py short [--repeats 3] [--count 12] [--workers 2]
    python benchmarks/bench_stream.py long [--frames 14400]

``short``: ``vbench-lite eval`` of ``--count`` deterministic 49x480x832 mp4 files (the
textured pan of ``bench_eval.synth_frames``) with the weight-free default metrics
(``WEIGHT_FREE``), end to end as a subprocess (start-up included), alternating the whole-video
path (``$VBENCH_LITE_STREAM=0``: every file decoded whole, then scored) and the streaming path
(the default), median of ``--repeats``; beside them a *naive* pass over the same files in this
process: decode every frame, downsample to the analysis size and one forward DIS flow per
pair (the least any flow-based scoring must do), so ``eval / naive`` says how far scoring is
from that floor.

``long``: one mp4 of ``--frames`` frames of 480x832 at 24 fps (default 14,400: 10 minutes; a
periodic texture panning at a sub-pixel velocity with a disc moving over it), scored by
``vbench-lite eval`` with the same metrics; wall time, frames/s, and the peak RSS of the
largest process (``os.wait4``'s ``ru_maxrss`` through ``bench_eval.MAXRSS_LAUNCHER``) and of
the process tree. Writing the video takes a few minutes too.
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

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_eval as be  # noqa: E402

WEIGHT_FREE = ("warping_error", "motion", "flicker", "motion_smoothness", "identity_drift")
STREAM_ENV = "VBENCH_LITE_STREAM"


def naive_seconds(paths: list[Path]) -> float:
    """Seconds to decode ``paths`` and run one forward DIS flow per pair at the analysis size."""
    import cv2

    from vbench_lite.metrics.flow import analysis_frames, make_dis

    t0 = time.perf_counter()
    for p in paths:
        cap = cv2.VideoCapture(str(p))
        dis, prev = make_dis(), None
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            small, _ = analysis_frames(frame[None])
            gray = cv2.cvtColor(small[0], cv2.COLOR_BGR2GRAY)
            if prev is not None:
                dis.calc(prev, gray, None)
            prev = gray
        cap.release()
    return time.perf_counter() - t0


def short(args, work: Path) -> None:
    be.BUNDLE = WEIGHT_FREE  # run_eval's --metrics
    folder = be.make_folder(work, args.count)
    paths = sorted(folder.glob("*.mp4"))
    runs: dict[str, list[dict]] = {"whole": [], "stream": []}
    naive = []
    load0 = os.getloadavg()
    for _ in range(args.repeats):
        for path_kind, flag in (("whole", "0"), ("stream", "1")):
            os.environ[STREAM_ENV] = flag
            runs[path_kind].append(be.run_eval(folder, work, args.workers))
        naive.append(naive_seconds(paths))
    os.environ.pop(STREAM_ENV, None)
    load1 = os.getloadavg()
    naive_s = statistics.median(naive)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; load average "
          f"{load0[0]:.2f} before, {load1[0]:.2f} after; median of {args.repeats}; {args.count} mp4s of "
          f"{be.SIZE[0]}x{be.SIZE[1]}x{be.SIZE[2]}; metrics {', '.join(WEIGHT_FREE)}; --workers {args.workers}")
    print("| path | wall s | videos/s | eval / naive | CPU s/video | peak RSS MB (largest process) "
          "| peak RSS MB (process tree) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(f"| naive decode + one forward DIS pass (in-process) | {naive_s:.1f} | {args.count / naive_s:.2f} | 1.00 "
          f"| - | - | - |")
    for kind, res in runs.items():
        wall = statistics.median(r["wall"] for r in res)
        cpu = statistics.median(r["cpu"] for r in res) / args.count
        print(f"| eval, {kind} | {wall:.1f} | {args.count / wall:.2f} | {wall / naive_s:.2f} | {cpu:.2f} "
              f"| {max(r['max_rss_mb'] for r in res):.0f} | {max(r['tree_rss_mb'] for r in res):.0f} |")
    print("walls (s):", {k: [round(r["wall"], 1) for r in v] for k, v in runs.items()},
          "naive:", [round(x, 1) for x in naive])


def write_long(path: Path, frames: int, height: int = 480, width: int = 832, fps: float = 24.0) -> Path:
    """A ``frames``-long mp4: a periodic texture (1024 x 1024, band-limited noise) panning at
    (1.37, -0.61) px/frame, wrapping around, and a disc moving over it. Deterministic."""
    import cv2

    rng = np.random.default_rng(0)
    side = 1024
    tex = cv2.resize(rng.random((side // 8, side // 8, 3), dtype=np.float32), (side, side),
                     interpolation=cv2.INTER_CUBIC)
    tex = (np.clip(0.8 * tex + 0.1, 0, 1) * 255).astype(np.uint8)
    tex = np.tile(tex, (2, 2, 1))  # (2048, 2048, 3): any window of 480x832 fits from any offset
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write mp4 at {path}")
    try:
        for t in range(frames):
            x, y = (1.37 * t) % side, (-0.61 * t) % side
            m = np.float32([[1, 0, -x], [0, 1, -y]])
            f = cv2.warpAffine(tex, m, (width, height), flags=cv2.INTER_LINEAR)
            cx = int(width * (0.5 + 0.4 * np.sin(t / 50)))
            cv2.circle(f, (cx, height // 2), 40, (60, 200, 230), -1, lineType=cv2.LINE_AA)
            writer.write(f)
    finally:
        writer.release()
    return path


def long(args, work: Path) -> None:
    be.BUNDLE = WEIGHT_FREE
    folder = work / f"long_{args.frames}"
    folder.mkdir(exist_ok=True)
    path = folder / "rollout.mp4"
    if not path.exists():
        t0 = time.perf_counter()
        write_long(path, args.frames)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.0f} s", flush=True)
    load0 = os.getloadavg()
    res = be.run_eval(folder, work, 0)
    load1 = os.getloadavg()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; load average "
          f"{load0[0]:.2f} before, {load1[0]:.2f} after")
    print(f"| video | metrics | wall s | frames/s | peak RSS MB (largest process) | peak RSS MB (process tree) |")
    print("|---|---|---:|---:|---:|---:|")
    print(f"| {args.frames}x480x832 mp4, 24 fps | {', '.join(WEIGHT_FREE)} | {res['wall']:.0f} | "
          f"{args.frames / res['wall']:.1f} | {res['max_rss_mb']:.0f} | {res['tree_rss_mb']:.0f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("short", "long"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--frames", type=int, default=14_400)
    ap.add_argument("--workdir", type=Path, help="where videos and stores go (default: a temporary folder)")
    args = ap.parse_args()
    tmp = None
    if args.workdir:
        work = args.workdir
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench-stream-")
        work = Path(tmp.name)
    try:
        (short if args.what == "short" else long)(args, work)
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
