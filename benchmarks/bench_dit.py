"""Benchmarks and measurements of the reference DiT generator.

    python benchmarks/bench_dit.py speed   [--checkpoint X] [--repeats 3]
    python benchmarks/bench_dit.py physics [--checkpoint X] [--per-scenario 8]
    python benchmarks/bench_dit.py gap     [--checkpoint X] [--scenarios uniform_motion,parabola] [--seeds 4]
    python benchmarks/bench_dit.py anatomy [--checkpoint X] [--scenarios uniform_motion,parabola] [--seeds 2]
    python benchmarks/bench_dit.py sweep   [--checkpoint X] [--suite default] [--only SCENARIOS] [--knob motion]
                                           [--values a,b,c] [--seeds 3] [--set given_frames=1] [--strip-numbers]

``speed``: wall and CPU seconds to generate the 16 videos of the ``default`` suite
(32 frames, 32x32) at default settings; median over repeats.
``physics``: velocity and position error (Kang et al. 2024 style) of the generator on
``probes-id`` and ``probes-ood`` beside the simulator floor (the parser reading back
ground-truth renders), ball scenarios only, as a Markdown table.
``gap``: the ID/OOD gap per scenario: velocity error (world units/s) on every
``probes-id`` and ``probes-ood`` case of the chosen scenarios, each generated with
``--seeds`` noise seeds, beside the floor, with 95 % bootstrap intervals that resample
whole worlds (a case's seeds are averaged first; the floor is seed-free), the
OOD / ID ratio with its interval, and the detection-failure rate.
``anatomy``: where the velocity error comes from: frame pairs across a tubelet boundary vs
inside one, the velocity of a line fitted to the track (jitter-free), detection failures
by ball size.
``sweep``: warping error, flow motion and centroid speed as ``steps`` and ``motion`` vary
(``--set given_frames=1`` for the image-to-video use, where the motion request sets the speed).
Every command prints Markdown and writes JSON with ``--json PATH``.
"""

from __future__ import annotations

import argparse
import dataclasses
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


def bootstrap_ci(values, n: int = 4000, seed: int = 0) -> tuple[float, float]:
    """95 % percentile bootstrap interval of the mean of ``values`` (one per world)."""
    v = np.asarray(values, float)
    if v.size < 2:
        return (float("nan"), float("nan"))
    idx = np.random.default_rng(seed).integers(0, v.size, size=(n, v.size))
    means = v[idx].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def ratio_ci(num, den, n: int = 4000, seed: int = 1) -> tuple[float, float]:
    """95 % bootstrap interval of mean(num) / mean(den), the two resampled independently."""
    a, b = np.asarray(num, float), np.asarray(den, float)
    rng = np.random.default_rng(seed)
    r = a[rng.integers(0, a.size, (n, a.size))].mean(1) / b[rng.integers(0, b.size, (n, b.size))].mean(1)
    return float(np.percentile(r, 2.5)), float(np.percentile(r, 97.5))


def per_case(gen, cases, settings, seeds) -> dict[str, dict[str, float]]:
    """case_id -> {velocity_error, detection_failure_rate, position_error}, each the mean over seeds."""
    names = ("velocity_error", "position_error")
    metrics = [METRICS.get(n)() for n in names]
    acc: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for seed in seeds:
        seeded = [c.with_seed(seed) for c in cases]
        for video, case in zip(generate(gen, seeded, settings), seeded):
            for key, v in score_video(video, case, metrics).values().items():
                acc[case.case_id][key].append(v)
    return {cid: {k: float(np.nanmean(v)) if np.isfinite(v).any() else float("nan") for k, v in d.items()}
            for cid, d in acc.items()}


def cmd_gap(args, gen, settings):
    from vbench_lite.generators.simulator import SimulatorGenerator

    sim = SimulatorGenerator()
    scenarios = [s for s in args.scenarios.split(",") if s]
    seeds = list(range(args.seeds))
    res: dict = {"seeds": seeds, "scenarios": {}}
    t0 = time.perf_counter()
    for sc in scenarios:
        row: dict = {}
        for suite, split in (("probes-id", "id"), ("probes-ood", "ood")):
            cases = [c for c in suite_cases(suite, gen) if c.group == sc]
            model = per_case(gen, cases, settings, seeds)
            floor = per_case(sim, cases, sim.resolve_settings({}), [0])
            ve = [model[c.case_id]["velocity_error"] for c in cases]
            ve = [v for v in ve if np.isfinite(v)]
            fl = [floor[c.case_id]["velocity_error"] for c in cases]
            row[split] = {
                "velocity_error": float(np.mean(ve)) if ve else float("nan"), "ci": bootstrap_ci(ve),
                "per_case": ve, "scored_cases": len(ve), "cases": len(cases),
                "floor": float(np.nanmean(fl)), "floor_ci": bootstrap_ci([f for f in fl if np.isfinite(f)]),
                "detection_failure": float(np.nanmean([model[c.case_id]["detection_failure_rate"] for c in cases])),
                "position_error": float(np.nanmean([model[c.case_id]["position_error"] for c in cases])),
            }
        i, o = row["id"], row["ood"]
        row["id_over_floor"] = i["velocity_error"] / i["floor"]
        row["ood_over_id"] = o["velocity_error"] / i["velocity_error"]
        row["ood_over_id_ci"] = ratio_ci(o["per_case"], i["per_case"]) if i["per_case"] and o["per_case"] else None
        res["scenarios"][sc] = row
    res["seconds"] = time.perf_counter() - t0
    print(f"velocity error (world units/s), mean over {len(seeds)} seed(s) per world, [95 % bootstrap CI over worlds]\n")
    print("| scenario | ID | floor ID | ID / floor | OOD | floor OOD | OOD / ID | det. fail ID | det. fail OOD |")
    print("|---|---|---|---|---|---|---|---|---|")
    for sc, r in res["scenarios"].items():
        i, o = r["id"], r["ood"]
        rc = r["ood_over_id_ci"] or (float("nan"),) * 2
        print(f"| {sc} | {i['velocity_error']:.3f} [{i['ci'][0]:.3f}, {i['ci'][1]:.3f}] | {i['floor']:.3f} | "
              f"{r['id_over_floor']:.1f}x | {o['velocity_error']:.3f} [{o['ci'][0]:.3f}, {o['ci'][1]:.3f}] | "
              f"{o['floor']:.3f} | {r['ood_over_id']:.2f}x [{rc[0]:.2f}, {rc[1]:.2f}] | "
              f"{i['detection_failure']:.1%} | {o['detection_failure']:.1%} |")
    return res


def cmd_anatomy(args, gen, settings):
    """Where the velocity error comes from, per scenario and split: the backward-difference
    velocity error of frame pairs that cross a tubelet boundary (frames t-1, t in different
    temporal patches) vs pairs inside one; the error of the velocity of a straight line
    fitted to the whole scored track (uniform_motion only: the track's mean velocity, free
    of per-frame jitter); and detection failures split by ball radius."""
    from vbench_lite.probes.parse import parse_video

    pt = gen.model(settings).config.patch[0]
    res: dict = {}
    print(f"velocity error (world units/s) of frame pairs across a {pt}-frame tubelet boundary vs inside one; "
          f"{args.seeds} seed(s)\n")
    print("| scenario | split | across boundary | inside tubelet | all pairs | fitted-line velocity error | "
          "det. fail r < 0.65 | det. fail r >= 0.65 |")
    print("|---|---|---|---|---|---|---|---|")
    for sc in [s for s in args.scenarios.split(",") if s]:
        for suite, split in (("probes-id", "id"), ("probes-ood", "ood")):
            cases = [c for c in suite_cases(suite, gen) if c.group == sc]
            across, inside, fitted, fail = [], [], [], {"small": [], "large": []}
            for seed in range(args.seeds):
                seeded = [c.with_seed(seed) for c in cases]
                for video, case in zip(generate(gen, seeded, settings), seeded):
                    tr, p = case.truth, parse_video(video.frames, case.truth)
                    ok = tr.scored & tr.ball_visible[:, 0] & p.ball_found[:, 0]  # (T,)
                    want = tr.scored & tr.ball_visible[:, 0]
                    if want.any():
                        size = "small" if float(np.median(tr.traj.ball_radius[:, 0])) < 0.65 else "large"
                        fail[size].append(float((want & ~p.ball_found[:, 0]).sum() / want.sum()))
                    dv = (np.diff(p.ball_pos[:, 0], axis=0) - np.diff(tr.traj.ball_pos[:, 0], axis=0)) * tr.fps
                    err = np.linalg.norm(dv, axis=-1)  # (T-1,): pair (t-1, t) at index t-1
                    for t in range(1, len(ok)):
                        if ok[t] and ok[t - 1]:
                            (across if t % pt == 0 else inside).append(float(err[t - 1]))
                    if sc == "uniform_motion" and ok.sum() >= 4:
                        times = np.flatnonzero(ok) / tr.fps
                        v_fit = np.polyfit(times, p.ball_pos[ok, 0], 1)[0]
                        v_true = np.polyfit(times, tr.traj.ball_pos[ok, 0], 1)[0]
                        fitted.append(float(np.linalg.norm(v_fit - v_true)))
            row = {"across": float(np.mean(across)), "inside": float(np.mean(inside)),
                   "all": float(np.mean(across + inside)), "n_across": len(across), "n_inside": len(inside),
                   "fitted": float(np.mean(fitted)) if fitted else None,
                   "fail_small": float(np.mean(fail["small"])) if fail["small"] else None,
                   "fail_large": float(np.mean(fail["large"])) if fail["large"] else None}
            res[f"{sc}|{split}"] = row
            fmt = lambda v, spec: "-" if v is None else format(v, spec)  # noqa: E731
            print(f"| {sc} | {split} | {row['across']:.2f} | {row['inside']:.2f} | {row['all']:.2f} | "
                  f"{fmt(row['fitted'], '.2f')} | {fmt(row['fail_small'], '.0%')} | {fmt(row['fail_large'], '.0%')} |",
                  flush=True)
    return res


def cmd_sweep(args, gen, settings):
    """Warping error, flow motion and the centroid speed the ``motion`` knob is defined in
    (``dit.data.measure_speed`` on the generated frames), per knob value, mean over cases
    and ``--seeds`` seeds; a motion sweep also says whether both motion measures rise."""
    from vbench_lite.generators.dit.data import measure_speed

    cases = suite_cases(args.suite, gen)
    if args.only:
        cases = [c for c in cases if c.group in args.only.split(",")]
    if args.strip_numbers:  # the probes' prompts state speeds; without them the request is the only source
        from vbench_lite.generators.dit.data import strip_numbers

        cases = [dataclasses.replace(c, prompt=strip_numbers(c.prompt)) for c in cases]
    seeded = [c.with_seed(seed) for seed in range(args.seeds) for c in cases]
    names = ("warping_error", "motion")
    grid = [("steps", s) for s in (1, 2, 4, 8, 16, 32)] + [("motion", m) for m in (-1.0, 0.0, 0.5, 1.0, 1.5, 2.0)]
    if args.knob:
        grid = [(k, v) for k, v in grid if k == args.knob]
    if args.values:  # e.g. motion requests inside the speeds the model was trained on (its provenance)
        grid = [(args.knob, float(v)) for v in args.values.split(",")]
    rows = []
    print(f"{len(cases)} cases x {args.seeds} seed(s); settings {settings}\n")
    print("| knob | value | warping error | motion px/frame (flow) | centroid speed px/frame | s |\n|---|---|---|---|---|---|")
    for knob, value in grid:
        t = time.perf_counter()
        videos = generate(gen, seeded, {**settings, knob: value})
        sc = score(names, videos, seeded)
        k = int(settings.get("given_frames", -1))
        skip = 1 if k < 0 else max(k, 1)  # the generated frames only (a given frame is not the model's)
        speed = [measure_speed(v.frames[skip:]) for v in videos]
        row = {"knob": knob, "value": value, "warping_error": float(np.mean(sc["warping_error"])),
               "motion_px": float(np.mean(sc["motion_px"])), "centroid_speed": float(np.mean(speed)),
               "seconds": time.perf_counter() - t}
        rows.append(row)
        print(f"| {knob} | {value} | {row['warping_error']:.5f} | {row['motion_px']:.3f} | "
              f"{row['centroid_speed']:.3f} | {row['seconds']:.0f} |", flush=True)
    asked = [r for r in rows if r["knob"] == "motion" and r["value"] >= 0]
    if len(asked) > 1:
        for key in ("motion_px", "centroid_speed"):
            vals = [r[key] for r in asked]
            rising = all(b > a for a, b in zip(vals, vals[1:]))
            print(f"\nmotion requests {[r['value'] for r in asked]}: {key} "
                  f"{'rises monotonically' if rising else 'is NOT monotone'}")
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("command", choices=("speed", "physics", "gap", "anatomy", "sweep"))
    p.add_argument("--checkpoint", default="", help="checkpoint .safetensors ('' = shipped)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--per-scenario", type=int, default=None, help="cases per scenario (default: all 8)")
    p.add_argument("--scenarios", default="uniform_motion,parabola", help="gap, anatomy: comma-separated scenarios")
    p.add_argument("--seeds", type=int, default=3, help="gap, sweep: noise seeds per case (0..N-1)")
    p.add_argument("--suite", default="default", help="sweep: the suite")
    p.add_argument("--only", default="", help="sweep: comma-separated scenarios (groups) to keep; '' = all")
    p.add_argument("--values", default="", help="sweep: comma-separated values of --knob (default: a fixed grid)")
    p.add_argument("--strip-numbers", action="store_true",
                   help="sweep: remove the numbers (stated speeds, sizes) from the cases' prompts")
    p.add_argument("--knob", default="", help="sweep: only this knob (steps or motion)")
    p.add_argument("--set", action="append", default=[], help="generator setting k=v")
    p.add_argument("--json", help="write the results here")
    args = p.parse_args()
    if args.values and not args.knob:
        p.error("--values needs --knob")
    gen = ReferenceDiTGenerator()
    settings = gen.resolve_settings(dict(kv.split("=", 1) for kv in args.set))
    settings["checkpoint"] = args.checkpoint or settings["checkpoint"]
    res = {"speed": cmd_speed, "physics": cmd_physics, "gap": cmd_gap, "anatomy": cmd_anatomy, "sweep": cmd_sweep}[args.command](args, gen, settings)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"command": args.command, "settings": settings, "results": res}, f, indent=2, default=float)


if __name__ == "__main__":
    main()
