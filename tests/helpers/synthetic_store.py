"""A results store with known values, for tests, benchmarks and demos of reports.

Each case has a fixed "true" level per metric (shared by every run, as real cases
are: some prompts are simply harder), each run adds its own ``shift`` per metric and
independent Gaussian ``noise`` per item. So a pair of runs with equal shifts is
"equal but noisy", and a shift in one metric is a planted regression of known size.
Written only through the public ``Store`` API, exactly as the runner writes.

Only the *values* are invented here. What each output means (units, direction,
motion confounding, group, source metric) is read from the registered metrics'
own declarations, exactly as the runner copies them into a run: a hand-typed
declaration here once drifted from the real metrics and hid a wrong verdict.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from vbench_lite.metrics import METRICS as REGISTRY
from vbench_lite.store import ItemRecord, ScoreRow, Store

# output -> (typical level, case spread): invented values; the declarations are the real ones
LEVELS = {
    "warping_error": (0.05, 0.01), "flicker": (0.03, 0.006), "motion_px": (2.0, 0.5),
    "clip_text_score": (0.30, 0.03), "identity_drift": (0.10, 0.02), "warping_error_max": (0.12, 0.03),
    "motion_smoothness": (0.95, 0.01), "clip_frame_consistency": (0.90, 0.02),
}
PHYSICS_LEVELS = {"velocity_error": (0.8, 0.2)}
SET_LEVELS = {"fvd": (300.0, 0.0)}


def _declared() -> dict[str, tuple]:
    """output -> (Output, source metric class) for every output used above."""
    out = {}
    for metric in REGISTRY.names():
        cls = REGISTRY.get(metric)
        for o in cls.outputs:
            out[o.name] = (o, cls)
    return out


DECLARED = _declared()


def _spec(levels: dict) -> dict:
    """output -> (units, higher_is_better, level, spread, source), units/direction/source declared."""
    return {n: (DECLARED[n][0].units, DECLARED[n][0].higher_is_better, lv, sp, DECLARED[n][1].name)
            for n, (lv, sp) in levels.items()}


METRICS, PHYSICS, SET_METRICS = _spec(LEVELS), _spec(PHYSICS_LEVELS), _spec(SET_LEVELS)


@dataclass
class SyntheticRun:
    """One run to write. ``shift``: output -> added to every item; ``noise``: item
    noise std as a fraction of the metric's level; ``fail``: fraction of items failed;
    ``seam_at``: frame index of a spike in every warping-error timeline (a window seam);
    ``case_noise``: std (fraction of level) of a per-case offset drawn for this run, the
    same under every seed (a model change that helps some prompts and hurts others)."""

    name: str
    generator: str = "toy"
    settings: dict = field(default_factory=dict)
    shift: dict = field(default_factory=dict)
    noise: float = 0.05
    case_noise: float = 0.0
    fail: float = 0.0
    seed: int = 0
    seam_at: int | None = None
    sweep: str | None = None
    role: str = "eval"


def _case_levels(n: int, name: str, level: float, spread: float) -> np.ndarray:
    """Per-case true values, the same in every run (seeded by the metric name)."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    return level + spread * rng.standard_normal(n)  # (n,)


def write_run(store: Store, spec: SyntheticRun, *, n_prompt: int = 40, n_probe: int = 20,
              seeds: tuple[int, ...] = (0, 1), num_frames: int = 16, floor: bool = False,
              video_dir: str | Path | None = None) -> str:
    """Write one run; returns its run_id. ``floor=True`` writes a simulator-oracle run
    (probe items only, provenance role "floor", tiny errors). With ``video_dir`` every
    item also gets a small cached clip (noise whose strength follows its warping error)."""
    rng = np.random.default_rng(spec.seed)
    run_id = f"{spec.name}-{spec.seed}"
    # the run's declarations, as the runner writes them (Metric.describe() of the real classes)
    metrics = {src: DECLARED[name][1]().describe()
               for name, (_, _, _, _, src) in {**METRICS, **PHYSICS, **SET_METRICS}.items()}
    store.begin_run(run_id, name=spec.name, generator="simulator" if floor else spec.generator,
                    settings=spec.settings, suites=["probes_basic"] if floor else ["prompts_basic", "probes_basic"],
                    seeds=list(seeds), metrics=metrics,
                    skipped_metrics={} if floor else {"dino_consistency": "backbone DINO not found"},
                    provenance={"package_version": "0.1.0", "git_rev": "synthetic", "host": "test",
                                }, sweep=spec.sweep, role="floor" if floor else spec.role)
    cases = [] if floor else [("prompts_basic", f"prompt-{i:04d}", "", i) for i in range(n_prompt)]
    cases += [("probes_basic", f"probe-{i:04d}", "id" if i % 2 == 0 else "ood", i) for i in range(n_probe)]
    levels = {name: _case_levels(max(n_prompt, n_probe), name, lv, sp)
              for name, (_, _, lv, sp, _) in {**METRICS, **PHYSICS}.items()}
    n_cases = max(n_prompt, n_probe)
    case_off = {name: spec.case_noise * lv * rng.standard_normal(n_cases)
                for name, (_, _, lv, _, _) in {**METRICS, **PHYSICS}.items()}
    for suite, case_id, split, idx in cases:
        for seed in seeds:
            item = ItemRecord(case_id=case_id, seed=seed, status="ok", suite=suite, grp=suite.split("_")[0],
                              split=split, prompt=f"a <b>test</b> & prompt {idx}", gen_seconds=0.1,
                              metric_seconds=0.05)
            if rng.random() < spec.fail:
                store.write_item(run_id, replace(item, status="failed", error="CUDA out of memory"))
                continue
            table = PHYSICS if suite == "probes_basic" else METRICS
            scores, skips = [], {}
            for name, (units, hib, level, _, src) in table.items():
                base = 0.02 * level if floor else levels[name][idx]
                value = (base + spec.shift.get(name, 0.0) + (0.0 if floor else case_off[name][idx])
                         + spec.noise * level * rng.standard_normal())
                scores.append(ScoreRow(name, value, units, hib, src, _timeline(name, value, num_frames, spec, rng)))
            if suite == "prompts_basic" and idx % 10 == 0:
                skips["clip_text_score"] = "prompt is empty"
                scores = [s for s in scores if s.metric != "clip_text_score"]
            if video_dir is not None:
                item = replace(item, video_path=_write_clip(Path(video_dir) / run_id / f"{case_id}_{seed}.npz",
                                                            num_frames, rng))
            store.write_item(run_id, item, scores, skips)
    if not floor:
        fvd = SET_METRICS["fvd"]
        store.write_set_scores(run_id, [ScoreRow("fvd", fvd[2] + spec.shift.get("fvd", 0.0), fvd[0], fvd[1],
                                                 fvd[4])])
    store.finish_run(run_id, "finished", {"total_s": 1.0})
    return run_id


def _timeline(name: str, value: float, t: int, spec: SyntheticRun, rng) -> np.ndarray | None:
    if name == "warping_error":  # per frame pair, mean equals the value
        tl = value * (1 + 0.1 * rng.standard_normal(t - 1))  # (T-1,)
        if spec.seam_at is not None:
            tl[spec.seam_at] += 10 * abs(value)
        return tl - tl.mean() + value
    if name == "identity_drift":  # d(t) grows from 0 to about 2x the mean
        return np.linspace(0, 2 * value, t)  # (T,)
    return None


def _write_clip(path: Path, t: int, rng) -> str:
    from vbench_lite.io import write_cache
    from vbench_lite.video import Video

    frames = np.zeros((t, 32, 32, 3), np.uint8)  # (T, H, W, 3): a square moving right on black
    for k in range(t):
        frames[k, 12:20, k % 24:(k % 24) + 8] = (255, 200, 0)
    frames = np.clip(frames + rng.integers(0, 40, frames.shape), 0, 255).astype(np.uint8)
    return str(write_cache(Video(frames, fps=8.0), path))


def build_store(path: str | Path, runs: list[SyntheticRun], *, floor: bool = True, **kw) -> list[str]:
    """A new store at ``path`` with a floor run (optional) and ``runs``; run ids."""
    with Store(path) as store:
        ids = []
        if floor:
            write_run(store, SyntheticRun(name="floor", noise=0.01, seed=99), floor=True, **kw)
        for spec in runs:
            ids.append(write_run(store, spec, **kw))
    return ids


# VBench's dimensions as vbench-lite outputs (``reports/vbench_board.py``): invented
# per-video levels; subject/background get a per-frame timeline whose length (T - 1)
# VBench uses as the video's weight, dynamic degree is 0/1 per video.
VBENCH_LEVELS = {
    "vbench_subject_consistency": 0.95, "vbench_background_consistency": 0.94, "vbench_temporal_flickering": 0.97,
    "vbench_motion_smoothness": 0.98, "vbench_dynamic_degree": 0.5,
}


def write_vbench_run(store: Store, name: str, outputs=tuple(VBENCH_LEVELS), *, n_videos: int = 6, seed: int = 0,
                     failed: int = 1, nan_item: str | None = None, timelines: bool = True) -> str:
    """A finished eval run of ``n_videos`` files (``clip_<i>.mp4``, 5 + i frames) holding
    ``outputs``; ``failed`` more items failed; ``nan_item``: an output stored as NaN for
    the first video; ``timelines=False`` stores no timelines (an older store). Declarations come from the registered metrics when they are
    registered; an output whose metric is not (yet) registered gets [0,1], higher is
    better, as VBench scores all five. Returns the run id."""
    rng = np.random.default_rng(seed)
    run_id = f"{name}-{seed}"
    metrics = {DECLARED[o][1].name: DECLARED[o][1]().describe() for o in outputs if o in DECLARED}
    store.begin_run(run_id, name=name, generator="files", settings={}, suites=["eval"], seeds=[0],
                    metrics=metrics, skipped_metrics={}, provenance={"git_rev": "synthetic"})
    for i in range(n_videos + failed):
        item = ItemRecord(case_id=f"clip_{i}", seed=0, status="ok", suite="eval", grp="eval", split="",
                          prompt="", video_path=f"/videos/clip_{i}.mp4")
        if i >= n_videos:
            store.write_item(run_id, replace(item, status="failed", error="cannot decode"))
            continue
        rows = []
        for out in outputs:
            units, hib = (DECLARED[out][0].units, DECLARED[out][0].higher_is_better) if out in DECLARED \
                else ("[0,1]", True)
            src = DECLARED[out][1].name if out in DECLARED else out
            timeline = None
            if out == "vbench_dynamic_degree":
                value = float(rng.random() < VBENCH_LEVELS[out])
            else:
                value = float(np.clip(VBENCH_LEVELS[out] + 0.02 * rng.standard_normal(), 0, 1))
            if out in ("vbench_subject_consistency", "vbench_background_consistency"):
                timeline = np.clip(value + 0.01 * rng.standard_normal(4 + i), 0, 1)  # (T-1,) with T = 5 + i
                value = float(timeline.astype("<f4").astype(np.float64).mean())  # the value is its mean
            if not timelines:
                timeline = None
            if out == nan_item and i == 0:
                value = float("nan")
            rows.append(ScoreRow(out, value, units, hib, src, timeline))
        store.write_item(run_id, item, rows)
    store.finish_run(run_id, "finished", {"total_s": 1.0})
    return run_id
