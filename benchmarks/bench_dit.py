"""Benchmarks and measurements of the reference DiT generator.

    python benchmarks/bench_dit.py speed   [--checkpoint X] [--repeats 3]
    python benchmarks/bench_dit.py physics [--checkpoint X] [--per-scenario 8]
    python benchmarks/bench_dit.py sweep   [--checkpoint X]

``speed``: wall and CPU seconds to generate the 16 videos of the ``default`` suite
(32 frames, 32x32) at default settings; median over repeats.
``physics``: velocity and position error (Kang et al. 2024 style) of the generator on
``probes-id`` and ``probes-ood`` beside the simulator floor (the parser reading back
ground-truth renders), ball scenarios only, as a Markdown table.
``sweep``: warping error and motion as ``steps`` and ``motion`` vary, on ``default``.
Every command prints Markdown and writes JSON with ``--json PATH``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict

import numpy as np
import torch

from vbench_lite.case import resolve_suite
from vbench_lite.generators.dit.generator import ReferenceDiTGenerator
from vbench_lite.metrics import METRICS
from vbench_lite.runners.scoring import score_video
from vbench_lite.video import Video


def suite_cases(name: str, gen: ReferenceDiTGenerator, per_scenario: int | None = None):
    cases = resolve_suite(name).cases(gen.capabilities.render_spec())
    if per_scenario is not None:
        seen: dict[str, int] = defaultdict(int)
        kept = []
        for c in cases:
            if seen[c.group] < per_scenario:
                kept.append(c)
                seen[c.group] += 1
        cases = kept
    return cases


def generate(gen, cases, settings):
    videos = []
    for lo in range(0, len(cases), gen.capabilities.max_batch):
        videos += gen.generate(cases[lo : lo + gen.capabilities.max_batch], settings)
    return videos


def score(metric_names, videos, cases) -> dict[str, list[float]]:
    """Output name -> finite values over the cases the metric applies to, scored by
    the runner's own ``score_video`` (the one scoring path)."""
    metrics = [METRICS.get(n)() for n in metric_names]
    out: dict[str, list[float]] = defaultdict(list)
    for video, case in zip(videos, cases):
        for key, v in score_video(video, case, metrics).values().items():
            if np.isfinite(v):
                out[f"{key}|{case.group}"].append(v)
                out[key].append(v)
    return out


def cmd_speed(args, gen, settings):
    cases = suite_cases("default", gen)
    walls, cpus = [], []
    for _ in range(args.repeats):
        w, c = time.perf_counter(), time.process_time()
        videos = generate(gen, cases, settings)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    assert all(isinstance(v, Video) and v.num_frames == 32 for v in videos)
    res = {"videos": len(cases), "frames": 32, "threads": torch.get_num_threads(),
           "wall_s_median": statistics.median(walls), "cpu_s_median": statistics.median(cpus),
           "wall_s_per_video": statistics.median(walls) / len(cases), "walls": walls}
    print(f"| videos | threads | wall s (median of {args.repeats}) | wall s / video | CPU s |\n|---|---|---|---|---|")
    print(f"| {len(cases)} | {res['threads']} | {res['wall_s_median']:.1f} | {res['wall_s_per_video']:.2f} "
          f"| {res['cpu_s_median']:.1f} |")
    return res


def cmd_physics(args, gen, settings):
    from vbench_lite.generators.simulator import SimulatorGenerator

    names = ("velocity_error", "position_error")
    rows = {}
    for suite in ("probes-id", "probes-ood"):
        cases = suite_cases(suite, gen, args.per_scenario)
        t = time.perf_counter()
        model_scores = score(names, generate(gen, cases, settings), cases)
        floor_scores = score(names, SimulatorGenerator().generate(cases, SimulatorGenerator().resolve_settings({})), cases)
        rows[suite] = {"model": {k: float(np.mean(v)) for k, v in model_scores.items()},
                       "floor": {k: float(np.mean(v)) for k, v in floor_scores.items()},
                       "cases": len(cases), "seconds": time.perf_counter() - t}
    print("| suite | velocity error model | floor | ratio | position error model | floor |\n|---|---|---|---|---|---|")
    for suite, r in rows.items():
        vm, vf = r["model"].get("velocity_error", np.nan), r["floor"].get("velocity_error", np.nan)
        pm, pf = r["model"].get("position_error", np.nan), r["floor"].get("position_error", np.nan)
        print(f"| {suite} ({r['cases']}) | {vm:.3f} | {vf:.3f} | {vm / vf:.1f}x | {pm:.3f} | {pf:.3f} |")
    groups = sorted({k.split("|")[1] for r in rows.values() for k in r["model"] if "|" in k})
    print("\n| scenario | vel. err ID | vel. err OOD | floor ID | floor OOD |\n|---|---|---|---|---|")
    for g in groups:
        key = f"velocity_error|{g}"
        vals = [rows[s][w].get(key, np.nan) for w in ("model",) for s in rows] + \
               [rows[s]["floor"].get(key, np.nan) for s in rows]
        print(f"| {g} | " + " | ".join(f"{v:.3f}" for v in vals) + " |")
    return rows


def cmd_sweep(args, gen, settings):
    cases = suite_cases("default", gen)
    names = ("warping_error", "motion")
    grid = [("steps", s) for s in (1, 2, 4, 8, 16, 32)] + [("motion", m) for m in (-1.0, 0.0, 0.5, 1.0, 2.0)]
    rows = []
    print("| knob | value | warping error | motion px/frame | s |\n|---|---|---|---|---|")
    for knob, value in grid:
        t = time.perf_counter()
        sc = score(names, generate(gen, cases, {**settings, knob: value}), cases)
        row = {"knob": knob, "value": value, "warping_error": float(np.mean(sc["warping_error"])),
               "motion_px": float(np.mean(sc["motion_px"])), "seconds": time.perf_counter() - t}
        rows.append(row)
        print(f"| {knob} | {value} | {row['warping_error']:.5f} | {row['motion_px']:.3f} | {row['seconds']:.0f} |",
              flush=True)
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("command", choices=("speed", "physics", "sweep"))
    p.add_argument("--checkpoint", default="", help="checkpoint .safetensors ('' = shipped)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--per-scenario", type=int, default=None, help="cases per scenario (default: all 8)")
    p.add_argument("--set", action="append", default=[], help="generator setting k=v")
    p.add_argument("--json", help="write the results here")
    args = p.parse_args()
    gen = ReferenceDiTGenerator()
    settings = gen.resolve_settings(dict(kv.split("=", 1) for kv in args.set))
    settings["checkpoint"] = args.checkpoint or settings["checkpoint"]
    res = {"speed": cmd_speed, "physics": cmd_physics, "sweep": cmd_sweep}[args.command](args, gen, settings)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"command": args.command, "settings": settings, "results": res}, f, indent=2, default=float)


if __name__ == "__main__":
    main()
