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
import time

import cv2
import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2, help="OpenCV threads (the target machine has 2 cores)")
    args = ap.parse_args()
    cv2.setNumThreads(args.threads)

    import skimage.data

    from vbench_lite.metrics import VideoContext
    from vbench_lite.metrics._synthetic import pan_video
    from vbench_lite.metrics.flicker import Flicker
    from vbench_lite.metrics.flow import video_flows
    from vbench_lite.metrics.identity import IdentityDrift
    from vbench_lite.metrics.motion import Motion
    from vbench_lite.metrics.smoothness import MotionSmoothness
    from vbench_lite.metrics.warping import WarpingError
    from vbench_lite.video import Video

    video = Video(pan_video(skimage.data.astronaut(), 49, (2.3, -0.9), (480, 832)), fps=16.0)
    metrics = [WarpingError(), Motion(), MotionSmoothness(), IdentityDrift(), Flicker()]
    times: dict[str, list[float]] = {"flow (shared)": []} | {m.name: [] for m in metrics}
    for i in range(args.repeats + 1):  # first run warms up OpenCV / numpy
        ctx = VideoContext(video)
        t0 = time.perf_counter()
        video_flows(video, ctx)
        stage = {"flow (shared)": time.perf_counter() - t0}
        for m in metrics:
            t0 = time.perf_counter()
            m.compute(video, None, ctx)
            stage[m.name] = time.perf_counter() - t0
        if i:
            for k, v in stage.items():
                times[k].append(v)
    med = {k: statistics.median(v) for k, v in times.items()}
    core = sum(v for k, v in med.items() if k != "flicker")
    print(f"49x480x832, {args.threads} OpenCV threads, median of {args.repeats}:")
    for k, v in med.items():
        print(f"  {k:18s} {v * 1000:8.1f} ms")
    print(f"  {'total (no flicker)':18s} {core * 1000:8.1f} ms")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
