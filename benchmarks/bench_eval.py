"""End-to-end throughput of ``vbench-lite eval`` next to the metric bundle alone.

    python benchmarks/bench_eval.py [--quick] [--repeats 3] [--counts 8,64] [--workers 1,2]

Synthesises N deterministic mp4 files of 49x480x832 (a textured pattern panning at a
sub-pixel velocity with a moving blob on top, written with OpenCV's mp4v codec) and
measures, in the same run:

- **bundle**: the flow-based metric bundle (warping error, motion, smoothness,
  identity drift) alone, in-process, on frames already decoded: seconds per video;
- **eval**: ``vbench-lite eval DIR --metrics <bundle>`` end to end as a subprocess
  (start-up, decode, scoring, store writes) with ``--workers`` 1 and 2, for 8 and 64
  videos: wall time, videos/s, CPU seconds per video (user + system of eval and its
  workers: a busy machine inflates wall time, much less this), and peak memory --
  the largest single process (``os.wait4``'s ``ru_maxrss``, through a small launcher
  process, see ``MAXRSS_LAUNCHER``) and the sum over the process tree (sampled from
  ``/proc`` every 50 ms, Linux only);
- **baseline**: the same eval through the old runner path, patched in by a small
  launcher (``BASELINE_LAUNCHER``): every input is decoded in the main process,
  copied into the cache with ``np.savez_compressed`` (zlib level 6) and its frames
  pickled to the workers. Same metric code, same machine, same load: the
  difference is the I/O path alone.

Prints a table with the median over ``--repeats`` runs and the ratio eval/bundle
(the wall time per video of eval over the bundle's; 1.0 would mean scoring runs at
the speed of the metrics; with 2 workers on 2 cores it can go below 1). Reports the
load average so a shared machine shows, and how long one generated video of that size
takes to cache in each format (``cache formats``: why ``write_cache`` deflates only
content that compresses).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

BUNDLE = ("warping_error", "motion", "motion_smoothness", "identity_drift")
SIZE = (49, 480, 832)  # frames, height, width


def synth_frames(seed: int, num_frames: int = SIZE[0], height: int = SIZE[1], width: int = SIZE[2]) -> np.ndarray:
    """uint8 (T, H, W, 3) RGB: band-limited noise texture panning at a sub-pixel
    velocity (seed-dependent) with a bright disc moving across it. Deterministic."""
    import cv2

    rng = np.random.default_rng(seed)
    pad = 64
    th, tw = height + 2 * pad + num_frames * 3, width + 2 * pad + num_frames * 3
    tex = rng.random((th // 8 + 1, tw // 8 + 1, 3), dtype=np.float32)
    tex = cv2.resize(tex, (tw, th), interpolation=cv2.INTER_CUBIC)[:th, :tw]  # smooth blobs at 8 px
    fine = cv2.GaussianBlur(rng.random((th, tw, 3), dtype=np.float32), (0, 0), 1.2)
    tex = np.clip(0.7 * tex + 0.6 * (fine - 0.5) + 0.15, 0, 1)
    tex = (tex * 255).astype(np.uint8)
    vx, vy = 1.0 + 0.37 * (seed % 5), -0.6 + 0.23 * (seed % 3)  # px/frame
    frames = np.empty((num_frames, height, width, 3), np.uint8)
    for t in range(num_frames):
        m = np.float32([[1, 0, -(pad + num_frames * 1.5) + t * vx], [0, 1, -(pad + num_frames * 1.5) + t * vy]])
        f = cv2.warpAffine(tex, m, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        cx, cy = int(width * (0.2 + 0.6 * t / num_frames)), int(height * (0.5 + 0.2 * np.sin(t / 6 + seed)))
        cv2.circle(f, (cx, cy), 40, (230, 200 - 10 * (seed % 7), 60), -1, lineType=cv2.LINE_AA)
        frames[t] = f
    return frames


def flat_frames(num_frames: int = SIZE[0], height: int = SIZE[1], width: int = SIZE[2]) -> np.ndarray:
    """uint8 (T, H, W, 3): flat-coloured shapes moving over a flat background, like the
    physics probes' renders (what a generated-video cache mostly holds)."""
    import cv2

    frames = np.empty((num_frames, height, width, 3), np.uint8)
    for t in range(num_frames):
        f = frames[t]
        f[:] = (40, 60, 90)
        cv2.circle(f, (100 + 10 * t, height // 2), 50, (230, 90, 30), -1, lineType=cv2.LINE_AA)
        cv2.rectangle(f, (width - 230, 100 + 3 * t), (width - 130, 200 + 3 * t), (20, 200, 60), -1)
    return frames


def write_mp4(frames: np.ndarray, path: Path, fps: float = 16.0) -> Path:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (frames.shape[2], frames.shape[1]))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write mp4 at {path}")
    try:
        for f in frames:
            writer.write(np.ascontiguousarray(f[..., ::-1]))
    finally:
        writer.release()
    return path


def make_folder(root: Path, count: int, *, distinct: int = 8, size=SIZE) -> Path:
    """``root/videos_<count>`` with ``count`` mp4 files; ``distinct`` different
    clips are synthesised and the rest are copies (same cost to score, much
    faster to set up; content digests differ only by name, which is what eval
    keys on)."""
    folder = root / f"videos_{count}"
    if folder.is_dir() and len(list(folder.glob("*.mp4"))) == count:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    masters = []
    for i in range(min(distinct, count)):
        p = root / f"master_{size[1]}x{size[2]}_{size[0]}_{i}.mp4"
        if not p.exists():
            write_mp4(synth_frames(i, *size), p)
        masters.append(p)
    for i in range(count):
        shutil.copyfile(masters[i % len(masters)], folder / f"clip_{i:03d}.mp4")
    return folder


def bundle_seconds(folder: Path, repeats: int, limit: int = 4, *, cpu: bool = False) -> float:
    """Median seconds per video of the metric bundle alone (``score_video``) on
    decoded videos, in this process, OpenCV at its default thread count: wall time, or
    CPU time of the process (all threads) with ``cpu``."""
    from vbench_lite.io import read_video
    from vbench_lite.metrics import load_metrics
    from vbench_lite.runners.scoring import score_video

    metrics, _ = load_metrics(list(BUNDLE))
    videos = [read_video(p) for p in sorted(folder.glob("*.mp4"))[:limit]]
    score_video(videos[0], None, metrics)  # warm-up
    times = []
    clock = time.process_time if cpu else time.perf_counter
    for _ in range(repeats):
        t0 = clock()
        for v in videos:
            score_video(v, None, metrics)
        times.append((clock() - t0) / len(videos))
    return statistics.median(times)


# the old runner path: no file-backed sources, a zlib-compressed cache copy of every video
BASELINE_LAUNCHER = """
import json, os, sys
import numpy as np
import vbench_lite.runners.execute as ex

def compressed_cache(video, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name("." + path.name + ".tmp")
    with open(tmp, "wb") as fh:
        np.savez_compressed(fh, frames=video.frames, fps=np.float64(video.fps),
                            meta=np.str_(json.dumps(video.meta, default=str)))
    os.replace(tmp, path)
    return path

from vbench_lite.generators.base import Generator
Generator.video_file = lambda self, case, settings: None
import vbench_lite.generators.files as files, vbench_lite.generators.folder as folder
files.FilesGenerator.video_file = folder.FolderGenerator.video_file = Generator.video_file
ex.write_cache = compressed_cache
from vbench_lite.cli import main
sys.exit(main(sys.argv[1:]))
"""


def cache_formats(frames: np.ndarray, tmp: Path, repeats: int = 3) -> list[tuple[str, float, float, float]]:
    """(format, write s, read s, MB) of caching ``frames``: the old ``savez_compressed``
    (zlib 6), ``write_cache`` deflated (zlib 1) and stored, median of ``repeats``."""
    from vbench_lite.io import read_video, write_cache
    from vbench_lite.video import Video

    video = Video(frames, fps=16.0)
    ways = {
        "savez_compressed (zlib 6, old)": lambda p: np.savez_compressed(p, frames=frames, fps=np.float64(16.0)),
        "write_cache deflate (zlib 1)": lambda p: write_cache(video, p, compress=True),
        "write_cache stored": lambda p: write_cache(video, p, compress=False),
    }
    out = []
    for name, write in ways.items():
        path = tmp / "cache_probe.npz"
        ws, rs = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            write(path)
            ws.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            read_video(path)
            rs.append(time.perf_counter() - t0)
        out.append((name, statistics.median(ws), statistics.median(rs), path.stat().st_size / 1e6))
        path.unlink()
    return out


# Runs the command in argv[2:] and writes its wall seconds (start to exit, so interpreter
# start-up included), ru_maxrss (kB) and CPU seconds (user + system, its workers
# included) to the file argv[1]. The
# peak of a child whose parent is large is wrong: subprocess starts it with vfork, and
# exec records the *parent's* high-water mark as the child's (Linux exec_mmap), so this
# benchmark process (which holds decoded videos) would be counted; a small launcher
# process in between has nothing to pass on.
MAXRSS_LAUNCHER = """
import os, subprocess, sys, time
t0 = time.perf_counter()
p = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(p.pid, 0)
open(sys.argv[1], "w").write(f"{time.perf_counter() - t0} {usage.ru_maxrss} {usage.ru_utime + usage.ru_stime}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _tree_rss_kb(root_pid: int, *, include_root: bool = True) -> int:
    """Sum of VmRSS (kB) over ``root_pid`` and its descendants, from /proc (0 elsewhere)."""
    total, stack, seen = 0, [root_pid], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            if pid != root_pid or include_root:
                with open(f"/proc/{pid}/status") as fh:
                    for line in fh:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
                            break
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


def run_eval(folder: Path, workdir: Path, workers: int, *, baseline: bool = False) -> dict:
    """One ``vbench-lite eval`` as a subprocess: wall s, max single-process RSS (MB),
    sampled tree RSS (MB)."""
    store = workdir / f"store_{time.monotonic_ns()}" / "results.sqlite"
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    launcher = ["-c", BASELINE_LAUNCHER] if baseline else ["-m", "vbench_lite"]
    cmd = [sys.executable, *launcher, "eval", str(folder), "--metrics", ",".join(BUNDLE),
           "--store", str(store), "--no-progress", "--format", "json", "--workers", str(workers)]
    maxrss_file = workdir / f"maxrss_{time.monotonic_ns()}.txt"
    peak_tree = [0]
    launcher = subprocess.Popen([sys.executable, "-c", MAXRSS_LAUNCHER, str(maxrss_file), *cmd], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stop = threading.Event()

    def sample():  # the launcher's descendants: eval and its workers
        while not stop.is_set():
            peak_tree[0] = max(peak_tree[0], _tree_rss_kb(launcher.pid, include_root=False))
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    err = launcher.communicate()[1].decode(errors="replace")
    stop.set()
    sampler.join()
    if launcher.returncode != 0:
        raise RuntimeError(f"eval failed ({launcher.returncode}): {err[-2000:]}")
    wall, max_rss_kb, cpu = (float(x) for x in maxrss_file.read_text().split())
    maxrss_file.unlink()
    shutil.rmtree(store.parent, ignore_errors=True)
    return {"wall": wall, "max_rss_mb": max_rss_kb / 1024, "tree_rss_mb": peak_tree[0] / 1024, "cpu": cpu}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 and 4 videos, 1 repeat")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--counts", default="8,64", help="videos per folder, comma-separated")
    ap.add_argument("--workers", default="1,2", help="--workers values for eval, comma-separated")
    ap.add_argument("--no-baseline", action="store_true", help="skip the baseline (old path) rows")
    ap.add_argument("--baseline-counts", default="8", help="folder sizes for the baseline rows")
    ap.add_argument("--workdir", type=Path, help="where videos and stores go (default: a temporary folder)")
    args = ap.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    workers = [int(w) for w in args.workers.split(",")]
    base_counts = [int(c) for c in args.baseline_counts.split(",")]
    repeats = args.repeats
    if args.quick:
        counts, base_counts, repeats = [2, 4], [2], 1
    tmp = None
    if args.workdir:
        work = args.workdir
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench-eval-")
        work = Path(tmp.name)
    try:
        t0 = time.perf_counter()
        folders = {n: make_folder(work, n) for n in sorted(set(counts) | set(base_counts))}
        print(f"synthesised {SIZE[0]}x{SIZE[1]}x{SIZE[2]} mp4 folders {sorted(folders)} in "
              f"{time.perf_counter() - t0:.1f} s", flush=True)
        load0 = os.getloadavg()
        bundle = bundle_seconds(folders[min(folders)], repeats)
        bundle_cpu = bundle_seconds(folders[min(folders)], repeats, cpu=True)
        print(f"bundle alone: {bundle:.3f} s/video ({1 / bundle:.2f} videos/s), CPU {bundle_cpu:.3f} s/video",
              flush=True)
        formats = {kind: cache_formats(frames, work, repeats) for kind, frames in
                   (("textured", synth_frames(0)), ("flat shapes", flat_frames()))}
        rows = []
        plan = [(n, w, False) for n in counts for w in workers]
        if not args.no_baseline:
            plan += [(n, w, True) for n in base_counts for w in workers]
        for n, w, base in plan:
            res = [run_eval(folders[n], work, w, baseline=base) for _ in range(repeats)]
            wall = statistics.median(r["wall"] for r in res)
            cpu = statistics.median(r["cpu"] for r in res) / n
            row = (("baseline" if base else "eval"), n, w, wall, n / wall, wall / n / bundle,
                   max(r["max_rss_mb"] for r in res), max(r["tree_rss_mb"] for r in res), cpu)
            rows.append(row)
            print(f"  {row[0]:8s} n={n:3d} workers={w}: {wall:6.1f} s  {n / wall:5.2f} videos/s  "
                  f"max proc {row[6]:5.0f} MB  tree {row[7]:5.0f} MB  CPU {cpu:.2f} s/video", flush=True)
        load1 = os.getloadavg()
    finally:
        if tmp is not None:
            tmp.cleanup()
    print()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"load average {load0[0]:.2f} before, {load1[0]:.2f} after; median of {repeats}")
    print(f"bundle alone ({', '.join(BUNDLE)}): {bundle:.3f} s/video = {1 / bundle:.2f} videos/s wall, "
          f"{bundle_cpu:.3f} CPU s/video")
    print("eval/bundle: wall per video of eval over the bundle's; CPU s/video: user + system time of eval and "
          "its workers per video (what a busy machine cannot inflate much)")
    print("| path | videos | workers | wall s | videos/s | eval/bundle | CPU s/video | peak RSS MB (largest process) "
          "| peak RSS MB (process tree) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| bundle alone | - | - | - | {1 / bundle:.2f} | 1.00 | {bundle_cpu:.2f} | - | - |")
    for kind, n, w, wall, vps, ratio, mx, tree, cpu in rows:
        print(f"| {kind} | {n} | {w} | {wall:.1f} | {vps:.2f} | {ratio:.2f} | {cpu:.2f} | {mx:.0f} | {tree:.0f} |")
    print()
    print(f"cache of one generated {SIZE[0]}x{SIZE[1]}x{SIZE[2]} video (write, read back; median of {repeats}):")
    print("| content | format | write ms | read ms | MB |")
    print("|---|---|---:|---:|---:|")
    for kind, rows_ in formats.items():
        for name, w, r, mb in rows_:
            print(f"| {kind} | {name} | {w * 1000:.0f} | {r * 1000:.0f} | {mb:.1f} |")


if __name__ == "__main__":
    main()
