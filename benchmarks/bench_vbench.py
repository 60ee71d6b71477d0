"""vbench-lite's VBench dimensions against VBench's own code on the same mp4 files.

    python benchmarks/bench_vbench.py [--repeats 3] [--size 256x256] [--frames 17] [--fps 8]
        [--dims temporal_flickering,dynamic_degree,motion_smoothness] [--threads 2]

Writes ``--videos`` camera pans of scikit-image photographs as mp4 (mp4v) and times,
per video and dimension, the median wall time over ``--repeats`` runs (after one
warm-up) of

* **VBench**: the ``vbench`` package's own per-video functions when it imports
  (``temporal_flickering.cal_score``, ``DynamicDegree.infer``,
  ``MotionSmoothness.motion_score``; the ``vbench-ref`` extra, README), else the
  step-by-step transcription in ``tests/helpers/vbench_transcript.py``;
* **vbench-lite**: ``read_video`` plus the metric's ``compute`` (one decode, shared by
  the three dimensions in a real run: the "all three" row decodes once).

Backbones are randomly initialised networks of the real architectures (timing does
not depend on the weights, except how early dynamic_degree's verdict is decided:
the number of RAFT pairs vbench-lite ran is printed). Both sides get the same torch
and OpenCV thread counts. Per-video values of both sides are printed too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # clip builder, transcription

DIMS = ("temporal_flickering", "dynamic_degree", "motion_smoothness")


def paired_medians(ref, lite, repeats: int) -> tuple[float, float, object, object]:
    """Median wall times of ``ref()`` and ``lite()`` over ``repeats`` rounds, the two
    interleaved in each round so that load from other processes hits both alike; one
    warm-up round first (model caches, allocator)."""
    v_ref, v_lite = ref(), lite()
    t_ref, t_lite = [], []
    for _ in range(repeats):
        for fn, times in ((ref, t_ref), (lite, t_lite)):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    return statistics.median(t_ref), statistics.median(t_lite), v_ref, v_lite


def write_clips(folder: Path, n: int, frames: int, size: tuple[int, int], fps: float) -> list[Path]:
    import skimage.data

    from helpers.synthetic_clips import pan_video

    photos = ("astronaut", "coffee", "chelsea", "rocket")
    paths = []
    for i in range(n):
        speed = (0.5 + 1.5 * i, -0.3 * i)  # slow to fast
        clip = pan_video(getattr(skimage.data, photos[i % len(photos)])(), frames, speed, size)
        path = folder / f"clip{i}.mp4"
        w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (size[1], size[0]))
        for f in clip:
            w.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
        w.release()
        paths.append(path)
    return paths


def random_checkpoints(folder: Path, still_raft: bool = False) -> dict[str, Path]:
    """raft-things.pth (princeton-vl layout when vbench imports, else torchvision's:
    the loader takes both) and amt-s.pth, randomly initialised. ``still_raft`` zeroes
    RAFT's last flow-head conv (the same key in both layouts): every flow is 0, every
    video static, so dynamic_degree's verdict needs most pairs (its slow case)."""
    import torch

    from vbench_lite.metrics.amt_s import Model

    torch.manual_seed(0)
    paths = {"raft": folder / "raft-things.pth", "amt": folder / "amt-s.pth"}
    try:
        from easydict import EasyDict

        from vbench.third_party.RAFT.core.raft import RAFT

        raft = RAFT(EasyDict(small=False, mixed_precision=False, alternate_corr=False))
        torch.save({"module." + k: v for k, v in raft.state_dict().items()}, paths["raft"])
    except ImportError:
        from torchvision.models.optical_flow import raft_large

        torch.save(raft_large(weights=None, progress=False).state_dict(), paths["raft"])
    if still_raft:
        state = torch.load(paths["raft"])
        for k in state:
            if "flow_head.conv2." in k:
                state[k] = torch.zeros_like(state[k])
        torch.save(state, paths["raft"])
    torch.save({"state_dict": Model().state_dict()}, paths["amt"])
    return paths


def vbench_side(ckpt: dict[str, Path]):
    """Per-dimension ``fn(path) -> value`` of VBench's own code, or of the transcription."""
    try:
        import vbench
        from easydict import EasyDict

        from vbench import dynamic_degree as dd, motion_smoothness as ms, temporal_flickering as tf

        dyn = dd.DynamicDegree(EasyDict(model=str(ckpt["raft"]), small=False, mixed_precision=False,
                                        alternate_corr=False), "cpu")
        cfg = os.path.join(os.path.dirname(vbench.__file__), "third_party", "amt", "cfgs", "AMT-S.yaml")
        smooth = ms.MotionSmoothness(cfg, str(ckpt["amt"]), "cpu")
        return "vbench package", {"temporal_flickering": lambda p: tf.cal_score(str(p)),
                                  "dynamic_degree": lambda p: dyn.infer(str(p)),
                                  "motion_smoothness": lambda p: smooth.motion_score(str(p))}
    except ImportError:
        import torch

        from helpers import vbench_transcript as ref
        from vbench_lite.metrics._vbench_raft import load_raft_things_file
        from vbench_lite.metrics.amt_s import load_amt_s_file

        raft, amt = load_raft_things_file(ckpt["raft"]), load_amt_s_file(ckpt["amt"])
        half = torch.full((1, 1, 1, 1), 0.5)
        return "transcription", {"temporal_flickering": ref.temporal_flickering,
                                 "dynamic_degree": lambda p: ref.dynamic_degree(p, raft)[0],
                                 "motion_smoothness": lambda p: ref.motion_smoothness(p, lambda a, b: amt(a, b, half))}


def lite_side(ckpt: dict[str, Path]):
    from vbench_lite.metrics import VideoContext
    from vbench_lite.metrics.vbench_dims import VBenchDynamicDegree, VBenchTemporalFlickering
    from vbench_lite.metrics.vbench_smoothness import VBenchMotionSmoothness

    metrics = {"temporal_flickering": VBenchTemporalFlickering(),
               "dynamic_degree": VBenchDynamicDegree(raft_path=ckpt["raft"], device="cpu"),
               "motion_smoothness": VBenchMotionSmoothness(weights_path=ckpt["amt"], device="cpu")}

    def one(dim, video, ctx):
        return metrics[dim].compute(video, None, ctx)[metrics[dim].name].value

    return metrics, one


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--videos", type=int, default=3)
    ap.add_argument("--size", default="256x256", help="HxW")
    ap.add_argument("--frames", type=int, default=17)
    ap.add_argument("--fps", type=float, default=8.0)
    ap.add_argument("--dims", default=",".join(DIMS))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--still-raft", action="store_true", help="RAFT with a zeroed flow head: every video static")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    from vbench_lite.io import read_video
    from vbench_lite.metrics import VideoContext
    from vbench_lite.metrics._vbench_raft import load_raft_things
    from vbench_lite.metrics.vbench_dims import dynamic_degree_video

    dims = [d for d in args.dims.split(",") if d]
    size = tuple(int(x) for x in args.size.lower().split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clips = write_clips(tmp, args.videos, args.frames, size, args.fps)
        ckpt = random_checkpoints(tmp, args.still_raft)
        label, theirs = vbench_side(ckpt)
        metrics, one = lite_side(ckpt)
        print(f"{args.videos} mp4s of {args.frames} frames {size[0]}x{size[1]} at {args.fps:g} fps; "
              f"torch {torch.__version__}, {args.threads} threads; reference: {label}; median of {args.repeats}")
        print(f"{'video':8s} {'dimension':20s} {'VBench s':>9s} {'lite s':>8s} {'speed-up':>8s}  values (VBench | lite)")
        totals = {d: [0.0, 0.0] for d in [*dims, "all three (1 decode)"]}
        for path in clips:
            ref_clip = 0.0  # VBench decodes the file again for each dimension
            for dim in dims:
                def lite():
                    video = read_video(path)
                    return one(dim, video, VideoContext(video))

                t_ref, t_lite, v_ref, v_lite = paired_medians(lambda: theirs[dim](path), lite, args.repeats)
                totals[dim][0] += t_ref
                totals[dim][1] += t_lite
                ref_clip += t_ref
                extra = ""
                if dim == "dynamic_degree":
                    video = read_video(path)
                    model = load_raft_things(str(ckpt["raft"]), "cpu")
                    _, scores, _, _ = dynamic_degree_video(video.frames, video.fps, model, "cpu",
                                                           metrics[dim].batch)
                    extra = f"  (lite ran RAFT on {len(scores)} pairs)"
                print(f"{path.stem:8s} {dim:20s} {t_ref:9.3f} {t_lite:8.3f} {t_ref / t_lite:7.1f}x  "
                      f"{float(v_ref):.7f} | {float(v_lite):.7f}{extra}")
            if len(dims) > 1:
                def all_lite():
                    video = read_video(path)
                    ctx = VideoContext(video)
                    return [one(d, video, ctx) for d in dims]

                _, t_all, _, _ = paired_medians(lambda: None, all_lite, args.repeats)
                totals["all three (1 decode)"][0] += ref_clip
                totals["all three (1 decode)"][1] += t_all
        print("totals over the videos:")
        for dim, (a, b) in totals.items():
            if b:
                print(f"  {dim:22s} VBench {a:8.3f} s  lite {b:8.3f} s  {a / b:6.1f}x")


if __name__ == "__main__":
    main()
