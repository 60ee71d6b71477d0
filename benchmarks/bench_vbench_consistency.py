"""VBench's subject/background consistency: vbench-lite against VBench's own code.

    python benchmarks/bench_vbench_consistency.py [--videos 2] [--frames 16] [--repeats 3]
        [--threads 2] [--vbench-python /work/vbref/bin/python] [--dino-repo DIR]

Both sides score the same mp4 files (pans over scikit-image photographs, 240x320)
with full-size, randomly initialised backbones of the real architectures -- DINO
ViT-B/16 (768 wide, 12 blocks) and OpenAI CLIP ViT-B/32 (vision 768 x 12, patch 32,
text 512 x 12), written to a temporary folder (CLIP as a TorchScript archive, like
OpenAI's file). Timings exclude model loading (one warm-up pass each) and include
decoding: ours ``vbench_lite.io.read_video`` once per video for both metrics, VBench's
``load_video`` (decord) once per dimension, as ``VBench.evaluate`` does.

VBench side: a Python with the ``vbench`` package 0.1.5 and OpenAI's ``clip``
(``--vbench-python``) runs ``vbench.subject_consistency.subject_consistency`` and
``vbench.background_consistency.background_consistency`` unmodified; its DINO is
facebookresearch/dino's own ``VisionTransformer`` from ``--dino-repo`` (a git
snapshot), else our transcription (``tests/helpers/vbench_reference.py``).
Prints median wall and CPU seconds per side (CPU time of the process is the fairer
figure on a shared machine), the speed-ups, and the largest per-video difference.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the clip builder and the reference transcription

VBENCH_SIDE = r"""
import json, sys, time, statistics, warnings
warnings.simplefilter("ignore")
import torch
args = json.loads(sys.argv[1])
torch.set_num_threads(args["threads"])
sys.path.insert(0, args["tests"])
from vbench.subject_consistency import subject_consistency
from vbench.background_consistency import background_consistency
import clip
sd = torch.load(args["dino"], map_location="cpu", weights_only=True)
if args["dino_src"]:
    from functools import partial
    sys.path.insert(0, args["dino_src"])
    import vision_transformer as vits
    dino = vits.VisionTransformer(patch_size=16, embed_dim=768, depth=12, num_heads=12, mlp_ratio=4, qkv_bias=True,
                                  norm_layer=partial(torch.nn.LayerNorm, eps=1e-6))
    dino.load_state_dict(sd, strict=True)
    dino.eval()
else:
    from helpers.vbench_reference import RefDino
    dino = RefDino(sd)
model, pre = clip.load(args["clip"], device="cpu")
times, out = {"subject": [], "background": [], "cpu": []}, {}
for r in range(args["repeats"] + 1):
    t0, c0 = time.perf_counter(), time.process_time()
    out["subject"] = subject_consistency(dino, args["paths"], "cpu", False)
    t1 = time.perf_counter()
    out["background"] = background_consistency(model, pre, args["paths"], "cpu", False)
    t2 = time.perf_counter()
    if r:
        times["subject"].append(t1 - t0)
        times["background"].append(t2 - t1)
        times["cpu"].append(time.process_time() - c0)
print(json.dumps({"times": times, "results": {k: [v[0], [x["video_results"] for x in v[1]]] for k, v in out.items()},
                  "dino_code": "facebookresearch/dino" if args["dino_src"] else "transcription"}))
"""


def make_backbones(folder: Path) -> tuple[Path, Path]:
    import torch
    from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg

    from vbench_lite.metrics.image_features import DinoViT

    torch.manual_seed(0)
    dino = DinoViT(dim=768, depth=12, heads=12, patch=16, image_size=224)  # ViT-B/16
    with torch.no_grad():
        dino.pos_embed.normal_(0, 0.02)
        dino.cls_token.normal_(0, 0.02)
    dino_path = folder / "dino_vitbase16_pretrain.pth"
    torch.save(dino.state_dict(), dino_path)
    clip = CLIP(512, vision_cfg=CLIPVisionCfg(layers=12, width=768, patch_size=32, image_size=224),
                text_cfg=CLIPTextCfg(context_length=77, vocab_size=49408, width=512, heads=8, layers=12),
                quick_gelu=True).eval()  # OpenAI ViT-B/32's sizes
    sd = {**clip.state_dict(), "input_resolution": torch.tensor(224), "context_length": torch.tensor(77),
          "vocab_size": torch.tensor(49408)}
    root = torch.nn.Module()
    for key, tensor in sd.items():
        *path, leaf = key.split(".")
        m = root
        for part in path:
            if not hasattr(m, part):
                m.add_module(part, torch.nn.Module())
            m = getattr(m, part)
        m.register_buffer(leaf, tensor.clone())
    clip_path = folder / "ViT-B-32.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        torch.jit.save(torch.jit.script(root), str(clip_path))
    return dino_path, clip_path


def make_videos(folder: Path, n: int, frames: int) -> list[str]:
    import cv2
    import skimage.data

    from helpers.synthetic_clips import pan_video

    paths = []
    for i, name in zip(range(n), ["astronaut", "chelsea", "coffee", "rocket"] * n):
        clip = pan_video(getattr(skimage.data, name)()[..., :3], frames, (1.5 + i, 0.5), size=(240, 320))
        p = folder / f"{name}_{i}.mp4"
        w = cv2.VideoWriter(str(p), cv2.VideoWriter_fourcc(*"mp4v"), 8, (320, 240))
        for f in clip:
            w.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
        w.release()
        paths.append(str(p))
    return paths


def ours(paths, dino_path, clip_path, repeats):
    from vbench_lite.io import read_video
    from vbench_lite.metrics.base import VideoContext
    from vbench_lite.metrics.vbench_consistency import VBenchBackgroundConsistency, VBenchSubjectConsistency

    metrics = [VBenchSubjectConsistency(weights_path=dino_path, device="cpu"),
               VBenchBackgroundConsistency(weights_path=clip_path, device="cpu")]
    times, cpu, values = [], [], {}
    for r in range(repeats + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        for p in paths:
            video = read_video(p)
            ctx = VideoContext(video)
            for m in metrics:
                values.setdefault(m.name, {})[p] = m.compute(video, None, ctx)[m.name].value
        if r:
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    return times, cpu, values


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, default=2)
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="torch threads on both sides")
    ap.add_argument("--vbench-python", default="/work/vbref/bin/python")
    ap.add_argument("--dino-repo", default="/work/.mirror/facebookresearch+dino/repo")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        dino_path, clip_path = make_backbones(tmp)
        paths = make_videos(tmp, args.videos, args.frames)
        dino_src = ""
        if Path(args.dino_repo).exists():
            (tmp / "dino").mkdir()
            for name in ("vision_transformer.py", "utils.py"):
                text = subprocess.run(["git", f"--git-dir={args.dino_repo}", "show", f"HEAD:{name}"],
                                      capture_output=True, text=True, check=True).stdout
                (tmp / "dino" / name).write_text(text)
            dino_src = str(tmp / "dino")
        t_ours, c_ours, v_ours = ours(paths, dino_path, clip_path, args.repeats)
        payload = {"paths": paths, "dino": str(dino_path), "clip": str(clip_path), "dino_src": dino_src,
                   "tests": str(ROOT / "tests"), "repeats": args.repeats, "threads": args.threads}
        r = subprocess.run([args.vbench_python, "-c", VBENCH_SIDE, json.dumps(payload)], capture_output=True,
                           text=True)
        if r.returncode:
            sys.exit(f"VBench side failed: {r.stderr[-1500:]}")
        ref = json.loads(r.stdout.strip().splitlines()[-1])
    t_vb = [a + b for a, b in zip(ref["times"]["subject"], ref["times"]["background"])]
    diff = max(abs(v_ours[f"vbench_{k}_consistency"][p] - ref["results"][k][1][i])
               for k in ("subject", "background") for i, p in enumerate(paths))
    print(f"{args.videos} videos x {args.frames} frames 240x320, torch threads {args.threads}, "
          f"VBench's DINO code: {ref['dino_code']}")
    print(f"vbench-lite (both dimensions, decode shared): median {statistics.median(t_ours):.2f} s {np.round(t_ours, 2)}")
    print(f"VBench 0.1.5 (subject + background):         median {statistics.median(t_vb):.2f} s {np.round(t_vb, 2)}"
          f"  (subject {statistics.median(ref['times']['subject']):.2f}, "
          f"background {statistics.median(ref['times']['background']):.2f})")
    c_vb = ref["times"]["cpu"]
    print(f"CPU seconds of the process (fairer on a loaded machine): vbench-lite {statistics.median(c_ours):.2f} "
          f"{np.round(c_ours, 2)}, VBench {statistics.median(c_vb):.2f} {np.round(c_vb, 2)}: "
          f"{statistics.median(c_vb) / statistics.median(c_ours):.2f}x")
    print(f"wall speed-up {statistics.median(t_vb) / statistics.median(t_ours):.2f}x; "
          f"largest per-video difference {diff:.2e}")


if __name__ == "__main__":
    main()
