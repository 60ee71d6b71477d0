"""Benchmark the flow-based temporal metrics on a 49-frame 480x832 clip.

    python benchmarks/bench_temporal.py [--repeats 5] [--threads 2]

The clip is a sub-pixel pan over a real photograph (scikit-image's astronaut, a
test-only dependency) so DIS sees natural texture. Reports the median wall time of
each stage over ``--repeats`` runs: the shared flow (+ occlusion masks), then each
metric reading it, then flicker (no flow). Target: warping error + motion +
smoothness + identity drift under 2 s in total on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the test clip builder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2, help="OpenCV threads (the target machine has 2 cores)")
    args = ap.parse_args()
    cv2.setNumThreads(args.threads)

    import skimage.data

    from helpers.synthetic_clips import pan_video

    from vbench_lite.metrics import VideoContext
    from vbench_lite.metrics.flicker import Flicker
    from vbench_lite.metrics.flow import video_flows
    from vbench_lite.metrics.identity import IdentityDrift
    from vbench_lite.metrics.motion import Motion
    from vbench_lite.metrics.smoothness import MotionSmoothness
    from vbench_lite.metrics.warping import WarpingError
    from vbench_lite.video import Video

    video = Video(pan_video(skimage.data.astronaut(), 49, (2.3, -0.9), (480, 832)), fps=16.0)
    metrics = [WarpingError(), Motion(), MotionSmoothness(), IdentityDrift(), Flicker()]
    stages = ["flow (shared)"] + [m.name for m in metrics]
    wall: dict[str, list[float]] = {k: [] for k in stages}
    cpu: dict[str, list[float]] = {k: [] for k in stages}

    def timed(name, fn, record):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        if record:
            wall[name].append(time.perf_counter() - w0)
            cpu[name].append(time.process_time() - c0)

    for i in range(args.repeats + 1):  # the first run warms up OpenCV / numpy
        ctx = VideoContext(video)
        timed("flow (shared)", lambda: video_flows(video, ctx), i > 0)
        for m in metrics:
            timed(m.name, lambda: m.compute(video, None, ctx), i > 0)
    # CPU time (all threads of this process) is reported too: on a shared machine the
    # wall time includes waiting for other processes, CPU time does not
    print(f"49x480x832, {args.threads} OpenCV threads, median of {args.repeats} runs:")
    print(f"  {'stage':18s} {'wall ms':>9s} {'cpu ms':>9s}")
    for k in stages:
        print(f"  {k:18s} {statistics.median(wall[k]) * 1000:9.1f} {statistics.median(cpu[k]) * 1000:9.1f}")
    core = [k for k in stages if k != "flicker"]
    total_w = sum(statistics.median(wall[k]) for k in core)
    total_c = sum(statistics.median(cpu[k]) for k in core)
    print(f"  {'total (no flicker)':18s} {total_w * 1000:9.1f} {total_c * 1000:9.1f}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
