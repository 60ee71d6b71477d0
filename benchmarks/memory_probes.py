"""The world-model memory probes (suite ``memory``): the reference DiT beside the
simulator floor, and a long rollout window by window.

    python benchmarks/memory_probes.py [--store DIR] [--seeds 0] [--json PATH]

Runs ``reference-dit`` (default settings) and the simulator oracle (the floor: the
parser reading back ground-truth renders) on the ``memory`` suite through the runner,
physics metrics only, into a results store (a temporary one unless ``--store``), and
prints Markdown:

1. per scenario and split, each memory output: the DiT's mean over cases and the floor's;
2. the long rollout window by window (the DiT's declared seams, ``Generator.seams``):
   position and velocity error (from the stored per-frame timelines, ``reports.rollout``)
   and the share of (frame, ball) pairs in view where the parser finds the ball (from the
   cached videos), DiT and floor, over ``long_rollout`` ID + OOD cases; and the velocity
   error at the first frame after each seam over its mean elsewhere.

Case worlds are seeds 0-4 of each scenario and split (the suite); ``--seeds`` are the
DiT's noise seeds.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

from vbench_lite.case import resolve_suite
from vbench_lite.io import read_video
from vbench_lite.probes.parse import parse_video
from vbench_lite.reports.rollout import rollout_windows, seam_ratio, window_spans
from vbench_lite.runners.execute import execute, floor_spec, prepare
from vbench_lite.runners.plan import RunSpec
from vbench_lite.store import Store

METRICS = ["velocity_error", "position_error", "permanence", "shape_drift"]
OUTPUTS = {
    "offscreen": ["permanence", "reemergence_delay", "reemergence_position_error", "reemergence_identity",
                  "velocity_error", "detection_failure_rate"],
    "revisit": ["revisit_static_error", "revisit_static_truth_error", "revisit_position_error",
                "revisit_balls_found", "velocity_error", "detection_failure_rate"],
    "long_rollout": ["position_error", "position_error_growth", "velocity_error", "detection_failure_rate"],
}


def _means(store: Store, run_id: str) -> dict[tuple[str, str, str], float]:
    """(scenario, split, output) -> mean over that cell's items."""
    items = {(i["case_id"], i["seed"]): i for i in store.items(run_id)}
    cells: dict[tuple, list[float]] = defaultdict(list)
    for r in store.scores(run_id):
        it = items[(r["case_id"], r["seed"])]
        cells[(it["grp"], it["split"], r["metric"])].append(np.nan if r["value"] is None else r["value"])
    return {k: float(np.nanmean(v)) if np.isfinite(v).any() else float("nan") for k, v in cells.items()}


def _found_per_window(store: Store, run_id: str, cases: dict, seams: list[int]) -> list[float]:
    """Share of (frame, ball) pairs truly in view, after conditioning, where the parse finds the ball,
    per window, over the run's long_rollout videos."""
    hit, want = None, None
    for it in store.items(run_id):
        if not it["case_id"].startswith("long_rollout-") or it["status"] != "ok":
            continue
        truth = cases[it["case_id"]].truth
        found = parse_video(read_video(it["video_path"]).frames, truth).ball_found
        vis = truth.ball_visible & truth.scored[:, None]
        spans = window_spans(truth.num_frames, seams)
        h = np.array([(found & vis)[a:b].sum() for a, b in spans], float)
        w = np.array([vis[a:b].sum() for a, b in spans], float)
        hit, want = (h, w) if hit is None else (hit + h, want + w)
    return list(hit / np.maximum(want, 1)) if hit is not None else []


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default="")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--json", default="")
    args = ap.parse_args(argv)
    folder = Path(args.store or tempfile.mkdtemp(prefix="memory-probes-"))
    seeds = [int(s) for s in args.seeds.split(",")]
    with Store(folder / "results.sqlite") as st:
        run = prepare(RunSpec("reference-dit", suites=["memory"], seeds=seeds, metrics=METRICS))
        dit = execute(run, st, progress=False, cache_dir=str(folder / "videos"))
        floor = execute(floor_spec(run), st, progress=False, cache_dir=str(folder / "videos"))
        d, f = _means(st, dit.run_id), _means(st, floor.run_id)
        seams = (st.run(dit.run_id).get("provenance") or {}).get("seams") or []
        print(f"memory suite, reference-dit (default settings, noise seeds {seeds}) beside the simulator floor; "
              f"{platform.machine()} CPU, {run.render.height}x{run.render.width}\n")
        print("| scenario | output | DiT ID | DiT OOD | floor ID | floor OOD |\n|---|---|---|---|---|---|")
        table = []
        for scenario, outputs in OUTPUTS.items():
            for out in outputs:
                v = [m.get((scenario, split, out), float("nan")) for m in (d, f) for split in ("id", "ood")]
                table.append({"scenario": scenario, "output": out, "values": v})
                print(f"| {scenario} | `{out}` | " + " | ".join(f"{x:.3g}" for x in v) + " |")
        cases = {c.case_id: c for c in resolve_suite("memory").cases(run.render)}
        windows = {}
        for out in ("position_error", "velocity_error"):
            a = rollout_windows(st, dit.run_id, out, case_prefix="long_rollout-")
            b = rollout_windows(st, floor.run_id, out, seams=seams, case_prefix="long_rollout-")
            windows[out] = (list(a["mean"]), list(b["mean"]), list(a["n"]), list(a["frames"]))
        found_d = _found_per_window(st, dit.run_id, cases, seams)
        found_f = _found_per_window(st, floor.run_id, cases, seams)
        print(f"\nlong_rollout ({len(seams) + 1} windows, seams after frames {seams}), mean over 10 clips:\n")
        print("| window | frames | position error DiT | floor | velocity error DiT | floor | balls found DiT | floor |")
        print("|---|---|---|---|---|---|---|---|")
        pe, ve = windows["position_error"], windows["velocity_error"]
        for k, frames in enumerate(pe[3]):
            print(f"| {k} | {frames} | {pe[0][k]:.2f} | {pe[1][k]:.3f} | {ve[0][k]:.2f} | {ve[1][k]:.3f} | "
                  f"{found_d[k]:.2f} | {found_f[k]:.2f} |")
        ratios = {}
        for label, run_id in (("DiT", dit.run_id), ("floor", floor.run_id)):
            r = np.array([seam_ratio(x["timeline"], seams) for x in st.scores(run_id, with_timelines=True)
                          if x["metric"] == "velocity_error" and x["case_id"].startswith("long_rollout-")])
            ratios[label] = [float(v) for v in r]
            print(f"{'' if label == 'floor' else chr(10)}velocity error at the first frame after a seam / elsewhere, "
                  f"{label}: median {np.nanmedian(r):.2f} over the {int(np.isfinite(r).sum())} of {r.size} clips "
                  "with a value at a seam")
    if args.json:
        Path(args.json).write_text(json.dumps({"table": table, "windows": windows, "found": [found_d, found_f],
                                               "seams": seams, "seam_ratio": ratios}, default=float, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
