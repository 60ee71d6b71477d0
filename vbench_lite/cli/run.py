"""``vbench-lite run`` (generate + score) and ``vbench-lite eval`` (score videos made elsewhere)."""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from vbench_lite.errors import UserError
from vbench_lite.store import FLOOR_ROLE

SHIPPED_DIT = (Path(__file__).resolve().parent.parent / "generators" / "dit" / "weights"
               / "reference_dit.safetensors")


def default_generator() -> str:
    """The bundled reference DiT when its weights ship, else the simulator oracle."""
    return "reference-dit" if SHIPPED_DIT.exists() else "simulator"


def add_generator_arguments(p: argparse.ArgumentParser) -> None:
    """-g and --set: which generator and its settings (run, sweep, pick)."""
    p.add_argument("-g", "--generator", default=None,
                   help=f"generator name (default: {default_generator()}; `vbench-lite list generators` shows "
                   "each one's settings)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="generator setting (repeatable)")


def add_store_arguments(p: argparse.ArgumentParser) -> None:
    """Where results go and how they are printed: --metric-set, --name, --store, --format,
    --no-progress (every command that records runs)."""
    p.add_argument("--metric-set", action="append", metavar="METRIC.OPTION=VALUE",
                   help="metric option, e.g. fvd.reference_dir=real_videos/ (`vbench-lite list metrics` "
                   "shows every option)")
    p.add_argument("--name", default="", help="run name (part of the run's identity; e.g. a checkpoint tag)")
    p.add_argument("--store", type=Path, help="results store: an SQLite file, with the video cache and "
                   "reports beside it (default: $VBENCH_LITE_STORE or ./vbench_results/results.sqlite)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="stdout format")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def add_cache_arguments(p: argparse.ArgumentParser) -> None:
    """--cache-dir and --keep-failed: commands that generate videos."""
    p.add_argument("--cache-dir", type=Path, help="lossless video cache (default: beside the store)")
    p.add_argument("--keep-failed", action="store_true",
                   help="on resume, keep items that failed before instead of retrying them")


def add_common_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--metrics", help="comma-separated metric names (default: all available)")
    add_store_arguments(p)
    p.add_argument("--detail", action="store_true", help="print everything: units, notes, per-video values, "
                   "full skip and failure reasons, the floor run's table (default: a 100-column summary)")
    p.add_argument("--workers", type=int, default=0,
                   help="score videos in N worker processes while generating (default 0: inline)")
    p.add_argument("--fail-on-error", action="store_true", help="exit 1 if any item failed")
    p.add_argument("--allow-partial", action="store_true",
                   help="score a video file that decodes fewer frames than its container declares (cut "
                   "short, damaged) on what decodes, instead of failing it")


def add_run_arguments(p: argparse.ArgumentParser) -> None:
    add_generator_arguments(p)
    p.add_argument("-s", "--suite", action="append", help="suite name or prompt-suite TOML (repeatable; "
                   "default: default)")
    p.add_argument("--seeds", default="0", help="seeds, e.g. 0,1,2 or 0-4 (default: 0)")
    p.add_argument("--sweep", action="append", metavar="KEY=V1,V2", help="sweep a setting (repeatable; grid)")
    add_cache_arguments(p)
    p.add_argument("--no-floor", action="store_true", help="do not score the simulator oracle beside probe suites")
    p.add_argument("--no-report", action="store_true", help="do not write the HTML report at the end")
    add_common_arguments(p)


def register(sub) -> None:
    p = sub.add_parser("run", help="generate videos for suites and score them",
                       description="Generate the cases of one or more suites with a generator, score every "
                       "video, and store the results. Re-running the same command resumes.")
    add_run_arguments(p)
    p.set_defaults(func=cmd_run)

    e = sub.add_parser("eval", help="score videos made elsewhere",
                       description="Score video files, folders of frames (one video) or folders of videos.")
    e.add_argument("paths", nargs="+", type=Path, help="video file(s), frame folder(s) or folder(s) of videos")
    e.add_argument("--prompts", type=Path, help="prompts manifest: CSV with header file,prompt (or name / "
                   "case_id instead of file) or JSON {name: prompt}")
    e.add_argument("--fps", type=float, default=0.0, help="override the frame rate")
    e.add_argument("--reference", type=Path, metavar="DIR", help="a folder of real or baseline videos scored "
                   "beside these (the scorecard's reference point; also video_kd's reference set)")
    add_common_arguments(e)
    e.set_defaults(func=cmd_eval)


def _metric_list(args) -> list[str] | None:
    return [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None


MAX_WORKERS = 256  # scoring processes; more only multiplies memory


def check_paths(args) -> None:
    """What ``args`` will write to and the limits it sets, checked before anything is
    prepared or stored: the store is a file in a folder that exists or can be made,
    ``--cache-dir`` is such a folder, the name, ``--workers`` and the frame budget are
    sane. Every file a run writes stays under the store's folder or ``--cache-dir``
    (report names go through ``reports.html.safe_name``)."""
    from vbench_lite.io import check_folder_path, max_frames, shown
    from vbench_lite.runners.plan import check_name
    from vbench_lite.store import default_store

    store = Path(args.store or default_store())
    if store.is_dir():
        raise UserError(f"--store {shown(store)} is a folder; give a file, e.g. {shown(store / 'results.sqlite')}")
    check_folder_path(store.parent, f"--store {shown(store)}")
    if getattr(args, "cache_dir", None):
        check_folder_path(args.cache_dir, f"--cache-dir {shown(args.cache_dir)}")
    check_name(args.name)
    if not 0 <= args.workers <= MAX_WORKERS:
        raise UserError(f"--workers {args.workers}: give 0 (score inline) to {MAX_WORKERS}")
    max_frames()  # a bad $VBENCH_LITE_MAX_FRAMES is one line now, not a failure per video
    if getattr(args, "allow_partial", False):  # read where videos are read: inline and in worker processes
        from vbench_lite.io import ALLOW_PARTIAL_ENV
        os.environ[ALLOW_PARTIAL_ENV] = "1"


def plan_runs(args) -> list:
    """The prepared runs that ``args`` describe, floors included. Every run is
    prepared -- settings, suites and metric options checked -- before the first one
    is recorded, so a bad value in any grid point is one line and exit 2, never a run
    of failed items."""
    from vbench_lite.generators import create_generator
    from vbench_lite.runners.execute import floor_spec, prepare
    from vbench_lite.runners.plan import (
        RunSpec, expand, parse_assignments, parse_metric_options, parse_seeds, parse_sweep,
    )

    check_paths(args)
    base = RunSpec(
        generator=args.generator or default_generator(), settings=parse_assignments(args.set),
        suites=args.suite or ["default"], seeds=parse_seeds(args.seeds), metrics=_metric_list(args),
        metric_options=parse_metric_options(args.metric_set), name=args.name,
    )
    _status(args, f"loading {base.generator} and checking settings, suites and metrics")
    # one generator for every grid point: a model (a diffusers pipeline, say) loads once,
    # not once per value, and no idle copy stays in memory
    gen = create_generator(base.generator)
    runs = [prepare(spec, generator=gen) for spec in expand(base, parse_sweep(args.sweep))]
    if not args.no_floor:
        floors, seen = [], set()
        for r in runs:
            f = floor_spec(r)
            key = f and (tuple(f.suites), tuple(f.seeds), f.render)
            if f is not None and key not in seen:
                seen.add(key)
                floors.append(prepare(f))
        runs += floors
    return runs


def _status(args, text: str) -> None:
    """One line on a terminal's stderr about what is happening before the first
    progress bar (never in pipes, where stderr is for errors)."""
    if not getattr(args, "no_progress", False) and args.format == "table" and sys.stderr.isatty():
        print(f"vbench-lite: {text} ...", file=sys.stderr, flush=True)


def _options(args, rank: int, world: int):
    from vbench_lite.runners.execute import ExecOptions

    return ExecOptions(cache_dir=getattr(args, "cache_dir", None), progress=not args.no_progress, rank=rank,
                       world=world, retry_failed=not getattr(args, "keep_failed", False), workers=args.workers)


def execute_runs(runs, args):
    """(summaries, rank): every prepared run executed into the store, in order."""
    from vbench_lite.runners.distributed import rank_and_world
    from vbench_lite.runners.execute import execute
    from vbench_lite.store import default_store, Store

    rank, world = rank_and_world()
    store = Store(args.store or default_store())
    try:
        summaries = []
        for run in runs:  # the bar waits for the first batch of videos: say so
            _status(args, f"{run.name}: generating {len(run.cases) * len(run.spec.seeds)} videos "
                    f"(batches of {max(1, run.caps.max_batch)}) and scoring each")
            summaries.append(execute(run, store, options=_options(args, rank, world)))
        return summaries, rank
    finally:
        store.close()


def cmd_run(args) -> int:
    summaries, rank = execute_runs(plan_runs(args), args)
    return _finish(args, summaries, rank, report=not args.no_report)


def cmd_eval(args) -> int:
    from vbench_lite.runners.evaluate import eval_spec_and_generator
    from vbench_lite.runners.execute import execute, prepare
    from vbench_lite.runners.plan import parse_metric_options
    from vbench_lite.store import default_store, Store

    check_paths(args)
    if not (math.isfinite(args.fps) and args.fps >= 0):
        raise UserError(f"--fps {args.fps}: give frames per second > 0 (or 0: the file's own rate)")
    spec, gen, cases = eval_spec_and_generator(args.paths, prompts=args.prompts, fps=args.fps,
                                               metrics=_metric_list(args), name=args.name)
    spec.metric_options = parse_metric_options(args.metric_set)
    ref = reference_run(args) if args.reference else None
    if ref is not None and "video_kd" in {m.name for m in ref.metrics}:  # the set distance to that folder
        spec.metric_options.setdefault("video_kd", {}).setdefault("reference_dir", str(args.reference))
    run = prepare(spec, generator=gen, cases=cases)
    store = Store(args.store or default_store())
    try:  # the reference first, so that the run asked for is the newest
        ref_summary = execute(ref, store, options=_options(args, 0, 1)) if ref is not None else None
        summary = execute(run, store, options=_options(args, 0, 1))
        if ref_summary is not None:
            store.link_reference(summary.run_id, ref_summary.run_id)
    finally:
        store.close()
    return _finish(args, [summary] + ([ref_summary] if ref is not None else []), 0, report=False)


def reference_run(args):
    """The prepared run of ``eval --reference DIR`` (role ``reference``), with the
    eval's metrics and options."""
    from vbench_lite.runners.evaluate import eval_spec_and_generator
    from vbench_lite.runners.execute import prepare
    from vbench_lite.runners.plan import parse_metric_options
    from vbench_lite.store import REFERENCE_ROLE

    spec, gen, cases = eval_spec_and_generator([args.reference], fps=args.fps, metrics=_metric_list(args),
                                               name=f"reference-{args.reference.resolve().name}")
    spec.metric_options, spec.role = parse_metric_options(args.metric_set), REFERENCE_ROLE
    return prepare(spec, generator=gen, cases=cases)


def _finish(args, summaries, rank: int, *, report: bool) -> int:
    from vbench_lite.cli.output import print_summaries

    if rank != 0:
        return 0  # under torchrun, rank 0 reports for everyone
    if report and summaries:
        _status(args, "writing the HTML report")
    path = write_main_report(args, summaries) if report and summaries else None
    print_summaries(summaries, args.store, fmt=args.format, report_path=path, detail=args.detail)
    if args.fail_on_error and any(s.failed for s in summaries):
        return 1
    return 0


def write_main_report(args, summaries):
    """The HTML report of the runs asked for (their floors are read beside them), by
    the one report writer and naming rule (``reports.html.write_report``)."""
    from vbench_lite.reports.html import write_report
    from vbench_lite.store import default_store

    main = [s for s in summaries if s.role != FLOOR_ROLE] or summaries
    try:
        return write_report(args.store or default_store(), [s.run_id for s in main])
    except (UserError, OSError) as exc:  # the runs are stored: a report that cannot be written is a warning
        from vbench_lite.cli import classify

        print(f"vbench-lite: report not written: {classify(exc)[1]} (the runs are stored; "
              "`vbench-lite report` writes it later)", file=sys.stderr)
        return None
