"""Execution: generate, cache, score and store every planned item, resumably.

Each item is written to the store in one transaction after its video is cached
losslessly, so a run killed at any point resumes where it stopped: items in the store
are skipped, cached videos are reused instead of regenerated, and nothing is doubled.
Videos that are already files -- a generator's ``video_file(case, settings)`` names one
(eval's files, ``folder``) -- are not cached: the file, fingerprinted in the run's
identity, is the source; it is read where it is scored (in a worker, the worker reads
it: a path crosses the process boundary, not its frames), and a resumed run reads it
again.
A failing item (generator exception, NaN frames, wrong shape) is stored with its
reason and the run goes on. With ``workers > 0`` videos are scored in worker
processes (``runners.workers``) while the next batch is generated; the main process
remains the only writer.

Sharding: ``rank``/``world`` take every world-th item (``torchrun`` sets them; see
``runners.distributed``); all ranks write the same WAL store, and rank 0 computes
the set-level metrics once every rank is done.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from vbench_lite.case import Case, resolve_suite
from vbench_lite.errors import UserError
from vbench_lite.generators import create_generator
from vbench_lite.generators.base import Generator
from vbench_lite.io import (
    MAX_FRAMES_ENV, VideoFile, make_folder, max_frames, read_video, remove_stale_temp_files, write_cache,
)
from vbench_lite.metrics import load_metrics
from vbench_lite.metrics.base import Metric, MetricSkipped, SetMetric
from vbench_lite.runners.plan import RunSpec
from vbench_lite.store import EVAL_ROLE, FLOOR_ROLE
from vbench_lite.runners.provenance import comparability_record, provenance
from vbench_lite.runners.scoring import ItemOutcome, check_video, reason_of, score_rows
from vbench_lite.runners.workers import Scorer
from vbench_lite.store import ItemRecord, Store
from vbench_lite.video import Video


@dataclass
class RunSummary:
    run_id: str
    name: str
    store_path: Path
    total: int
    role: str = "eval"
    resumed_items: int = 0
    ok: int = 0
    failed: int = 0
    failure_reasons: dict[str, int] = field(default_factory=dict)
    skipped_metrics: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class PreparedRun:
    """A run with everything resolved and validated, before anything is recorded:
    settings (checked once, by the generator), render spec, cases, metrics and the
    run's identity. Bad settings, suites or metric options raise ``UserError`` here,
    so a typo never leaves a run of failed items in the store."""

    spec: RunSpec
    generator: Generator
    settings: dict[str, Any]
    caps: Any  # generators.base.Capabilities
    render: Any  # case.RenderSpec
    cases: list[Case]
    suite_versions: dict[str, str]
    metrics: list[Metric]
    skipped: dict[str, str]
    fingerprint: str
    run_id: str
    name: str

    @property
    def has_truth(self) -> bool:
        return any(c.truth is not None for c in self.cases)


@dataclass
class ExecOptions:
    """How to execute (never part of a run's identity)."""

    cache_dir: Path | None = None
    progress: bool = True
    rank: int = 0
    world: int = 1
    retry_failed: bool = True
    workers: int = 0
    on_item: Callable[[str, int], None] | None = None


def metric_identity_options(metrics: list[Metric]) -> dict[str, dict]:
    """Per metric, its resolved options that change numbers and are not the defaults."""
    from vbench_lite.metrics.options import identity_options

    out = {m.name: identity_options(type(m), getattr(m, "resolved_options", {})) for m in metrics}
    return {k: v for k, v in out.items() if v}


def build_cases(spec: RunSpec, render) -> tuple[list[Case], dict[str, str]]:
    cases, versions, seen = [], {}, {}
    for name in spec.suites:
        suite = resolve_suite(name)
        versions[suite.name] = str(suite.version)
        for case in suite.cases(render):
            if case.case_id in seen:
                raise UserError(
                    f"case id {case.case_id!r} is in both suite {seen[case.case_id]!r} and {suite.name!r}; "
                    "run those suites separately"
                )
            seen[case.case_id] = suite.name
            cases.append(case)
    if not cases:
        raise UserError(f"suites {', '.join(spec.suites)} have no cases")
    return cases, versions


def cases_identity(cases: list[Case]) -> str:
    """Hash of what the cases ask for beyond the suite version: ids and prompts (an
    eval's prompts file, say), so a corrected prompt is a new run, not a resume."""
    h = hashlib.sha256()
    for c in cases:
        h.update(json.dumps([c.case_id, c.prompt, c.num_frames, c.height, c.width, c.fps]).encode())
    return h.hexdigest()[:16]


def prepare(spec: RunSpec, *, generator: Generator | None = None, cases: list[Case] | None = None,
            make_cases: Callable | None = None) -> PreparedRun:
    """Resolve and validate ``spec`` (see ``PreparedRun``); nothing is written.

    Cases come from the spec's suites, or are given (``cases``: videos that are files,
    eval), or are made for this run by ``make_cases(generator, settings, caps, render)``
    once settings and render spec are resolved (``pick``'s one image or prompt) -- the
    one planning path: settings are resolved, availability and the frame budget checked,
    here only."""
    gen = generator or create_generator(spec.generator)
    reason = gen.unavailable_reason()
    if reason:
        raise UserError(f"generator {gen.name!r} is not available: {reason}")
    settings = gen.resolve_settings(spec.settings)
    caps = gen.capabilities_for(settings)
    render = spec.render or caps.render_spec()
    if cases is None and 0 < max_frames() < render.num_frames:  # (given cases are files: checked as read)
        raise UserError(f"{gen.name} would make {render.num_frames}-frame videos, over the budget of {max_frames()} "
                        f"frames per video (memory grows with length); raise {MAX_FRAMES_ENV} or make fewer frames")
    if make_cases is not None:
        cases = make_cases(gen, settings, caps, render)
    if cases is None:
        cases, suite_versions = build_cases(spec, render)
    else:
        suite_versions = {"adhoc": "1"}  # cases not from a suite (files, or made for this run)
    metrics, skipped = load_metrics(spec.metrics, spec.metric_options)
    fingerprint = gen.fingerprint(settings)
    metric_ids = {m.name: m.identity() for m in metrics}
    run_id = spec.run_id(settings, fingerprint, suite_versions, metric_ids, cases_identity(cases),
                         metric_identity_options(metrics))
    name = spec.name or f"{spec.generator}-{run_id[:6]}"
    return PreparedRun(spec, gen, settings, caps, render, cases, suite_versions, metrics, skipped,
                       fingerprint, run_id, name)


def floor_spec(run: PreparedRun) -> RunSpec | None:
    """The simulator-oracle run scored beside ``run`` (the parse floor of its physics
    scores), at ``run``'s render spec; None when ``run`` has no probe cases or is
    itself the unperturbed oracle. Every probe run gets one, a perturbed simulator too."""
    if not run.has_truth:
        return None
    if run.spec.role == FLOOR_ROLE or (run.spec.generator == "simulator" and run.settings.get("perturb") == "none"):
        return None
    return oracle_spec(run.spec.suites, run.spec.seeds, run.render, run.spec.metrics, run.spec.metric_options)


def oracle_spec(suites: list[str], seeds: list[int], render, metrics: list[str] | None = None,
                metric_options: dict | None = None, perturb: str = "none", strength: float = 0.0) -> RunSpec:
    """The simulator oracle over ``suites`` at ``render``: unperturbed, it is *the*
    floor run (role ``floor``; ``run``'s floors and ``probes floor`` are this one
    spec); perturbed, an ordinary run with a controlled physical error."""
    floor = perturb == "none"
    name = f"{'floor' if floor else f'simulator-{perturb}{strength:g}'}-{'+'.join(suites)}-{render.height}x{render.width}"
    return RunSpec(generator="simulator", settings={} if floor else {"perturb": perturb, "strength": str(strength)},
                   suites=list(suites), seeds=list(seeds), metrics=metrics, metric_options=metric_options or {},
                   name=name, role=FLOOR_ROLE if floor else EVAL_ROLE, render=render)


def execute(spec: RunSpec | PreparedRun, store: Store, *, generator: Generator | None = None,
            cases: list[Case] | None = None, options: ExecOptions | None = None, **option_kw) -> RunSummary:
    """Run ``spec`` to completion (or resume it) and return a summary. ``options``
    (or the same fields as keywords) say how; they never change the results."""
    t_start = time.perf_counter()
    opt = options or ExecOptions(**option_kw)
    run = spec if isinstance(spec, PreparedRun) else prepare(spec, generator=generator, cases=cases)
    gen, settings, render, metrics = run.generator, run.settings, run.render, run.metrics
    video_key = hashlib.sha256(
        json.dumps([run.spec.generator, settings, run.fingerprint, render.__dict__], sort_keys=True,
                   default=str).encode()
    ).hexdigest()[:12]
    # absolute: the store records where each video is, for reports made from any folder
    cache_dir = Path(os.path.abspath(opt.cache_dir or store.path.parent / "videos")) / video_key
    make_folder(cache_dir, "video cache")  # before the run is recorded: a bad --cache-dir records nothing
    remove_stale_temp_files(cache_dir)  # half-written videos of a killed run

    store.begin_run(
        run.run_id, name=run.name, generator=run.spec.generator, settings=settings,
        suites=list(run.suite_versions), seeds=run.spec.seeds, metrics={m.name: m.describe() for m in metrics},
        skipped_metrics=run.skipped,
        provenance=provenance(fingerprint=run.fingerprint, cache_dir=str(cache_dir),
                              # a long probe (Scenario.length) asks for more frames than the render spec:
                              # seams of the longest clip (a shorter clip's are the first of them)
                              seams=run.generator.seams(run.settings, max([c.num_frames for c in run.cases],
                                                                        default=run.render.num_frames)),
                              **comparability_record(run)),
        sweep=run.spec.sweep, role=run.spec.role,
    )
    planned = [c.with_seed(s) for c in run.cases for s in run.spec.seeds]
    done = store.done_keys(run.run_id)
    if opt.retry_failed:
        done -= {(i["case_id"], i["seed"]) for i in store.items(run.run_id) if i["status"] == "failed"}
    mine = [c for i, c in enumerate(planned) if i % opt.world == opt.rank]
    todo = [c for c in mine if c.key not in done]
    summary = RunSummary(run.run_id, run.name, store.path, total=len(planned), role=run.spec.role,
                         resumed_items=len(mine) - len(todo), skipped_metrics=dict(run.skipped))
    status = "interrupted"
    try:
        scorer = Scorer(metrics, run.spec.metric_options, opt.workers)
        _run_items(run, todo, store, cache_dir, opt, scorer)
        if hasattr(gen, "finish"):
            gen.finish(planned)
        _wait_for_other_ranks(opt.world)  # every rank, so rank 0 sees all items
        if opt.rank == 0:
            _run_set_metrics([m for m in metrics if isinstance(m, SetMetric)], run.cases, store, run.run_id)
        status = "finished"
    finally:
        summary.seconds = time.perf_counter() - t_start
        summary.warnings = list(getattr(gen, "warnings", []))
        if opt.rank == 0:
            store.finish_run(run.run_id, status, {"seconds": round(summary.seconds, 3), "items": len(planned),
                                                  "warnings": summary.warnings})
    items = store.items(run.run_id)
    summary.ok = sum(i["status"] == "ok" for i in items)
    summary.failed = sum(i["status"] == "failed" for i in items)
    summary.failure_reasons = dict(collections.Counter(i["error"] for i in items if i["status"] == "failed"))
    return summary


def _run_items(run: PreparedRun, todo: list[Case], store: Store, cache_dir: Path, opt: ExecOptions,
               scorer: Scorer) -> None:
    """Generate ``todo`` in the generator's batches and score/store every item."""
    from tqdm.auto import tqdm

    bar = tqdm(total=len(todo), desc=run.name, unit="video", disable=not opt.progress, leave=False)
    batch_size = max(1, run.caps.max_batch)
    finished = False
    try:
        for start in range(0, len(todo), batch_size):
            batch = todo[start:start + batch_size]
            files = [run.generator.video_file(c, run.settings) for c in batch]
            to_make = [c for c, f in zip(batch, files) if f is None]
            t0 = time.perf_counter()
            made = iter(_generate_batch(run.generator, to_make, run.settings, cache_dir) if to_make else ())
            gen_seconds = (time.perf_counter() - t0) / max(1, len(to_make))
            for case, file in zip(batch, files):
                on_done = lambda c=case: (bar.update(1), opt.on_item and opt.on_item(c.case_id, c.seed))
                if file is not None:  # read (and timed) where it is scored; never cached
                    _score_and_store(case, file, None, scorer, store, run.run_id, None, on_done)
                else:
                    _score_and_store(case, next(made), gen_seconds, scorer, store, run.run_id, cache_dir, on_done)
        scorer.close()
        finished = True
    finally:
        if not finished:
            scorer.close(wait=False)
        bar.close()


def _cache_path(cache_dir: Path, case: Case) -> Path:
    return cache_dir / f"{case.case_id}__s{case.seed}.npz"


def _generate_batch(gen, batch, settings, cache_dir) -> list[Video | Exception]:
    """Videos for ``batch``: from the cache where present, else generated. A batch
    that raises is retried item by item so one bad case cannot sink the others."""
    out: list[Video | Exception | None] = [None] * len(batch)
    missing = []
    for i, case in enumerate(batch):
        path = _cache_path(cache_dir, case)
        if path.exists():
            try:
                out[i] = read_video(path)
                continue
            except UserError:
                path.unlink(missing_ok=True)  # a damaged cache entry is regenerated
        missing.append(i)
    if missing:
        cases = [batch[i] for i in missing]
        try:
            made = _call_generator(gen, cases, settings)
        except Exception as exc:
            if len(cases) == 1:
                made = [exc]
            else:
                made = [_one_or_error(gen, c, settings) for c in cases]
        for i, v in zip(missing, made):
            out[i] = v
    return out


def _one_or_error(gen, case, settings):
    try:
        return _call_generator(gen, [case], settings)[0]
    except Exception as exc:
        return exc


def _call_generator(gen, cases, settings):
    made = gen.generate(cases, settings)
    if not isinstance(made, (list, tuple)) or len(made) != len(cases):
        n = len(made) if isinstance(made, (list, tuple)) else type(made).__name__
        raise RuntimeError(f"generator {gen.name!r} returned {n} results for {len(cases)} cases")
    return list(made)


def _score_and_store(case, source, gen_seconds, scorer, store, run_id, cache_dir, on_done):
    """Score ``source`` -- a generated video (or its exception), cached first, or a
    ``VideoFile`` (``gen_seconds`` None: its read time counts as generation) -- and
    write the item in one transaction once scored."""
    item = ItemRecord(case_id=case.case_id, seed=case.seed, status="ok", suite=case.suite, grp=case.group,
                      split=case.split, prompt=case.prompt, gen_seconds=gen_seconds)
    if isinstance(source, VideoFile):
        item = replace(item, video_path=os.path.abspath(source.path))
    else:
        try:
            source = check_video(source, case)
        except Exception as exc:
            store.write_item(run_id, replace(item, status="failed", error=reason_of(exc)))
            on_done()
            return
        path = _cache_path(cache_dir, case)
        if not path.exists():
            write_cache(source, path)
        item = replace(item, video_path=str(path))

    def done(outcome: ItemOutcome):
        rec = item if gen_seconds is not None else replace(item, gen_seconds=outcome.read_seconds)
        if outcome.error is not None:
            store.write_item(run_id, replace(rec, status="failed", error=outcome.error, video_path=None))
        else:
            result = outcome.result
            store.write_item(run_id, replace(rec, metric_seconds=outcome.metric_seconds),
                             result.scores, result.skips, result.features)
        on_done()

    scorer.submit(source, case, done)


def _run_set_metrics(set_metrics: list[SetMetric], cases, store: Store, run_id: str) -> None:
    import numpy as np

    for m in set_metrics:
        feats = store.features(run_id, m.name)
        try:
            if len(feats) < 2:
                why = sorted({r["reason"] for r in store.item_skips(run_id) if r["metric"] == m.name})
                if not feats and len(why) == 1:  # every video skipped it for one reason: that is the reason
                    raise MetricSkipped(why[0])
                raise MetricSkipped(f"needs at least 2 videos, got {len(feats)}" + (f" ({why[0]})" if why else ""))
            reference = m.reference_features(cases)
            if reference is None:
                raise MetricSkipped("no reference set (probe ground truth or a folder of real videos)")
            result = m.compute_set(np.stack([feats[k] for k in sorted(feats)]), reference)
            store.write_set_scores(run_id, score_rows(m, result))
        except MetricSkipped as exc:  # the metric's own reason, not an error
            store.write_set_scores(run_id, [], skips={m.name: str(exc) or "not applicable"})
        except Exception as exc:
            store.write_set_scores(run_id, [], skips={m.name: reason_of(exc)})


def _wait_for_other_ranks(world: int) -> None:
    if world > 1:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.barrier()


