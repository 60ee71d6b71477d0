"""``report``, ``compare`` and ``check`` (the regression gate).

Heavy imports (pandas, scipy, matplotlib) happen inside handlers so ``--help`` is fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

GATE_HELP = """\
Regression gate: compares RUN (default: the newest run) with --baseline over the
same (case, seed) items. An output regresses when its paired bootstrap interval
says it got worse (Bonferroni-corrected over all outputs, family-wise alpha 0.05)
AND |diff| exceeds its tolerance max(abs, rel * |baseline mean|). Defaults: abs = 0,
rel = 0.05. Thresholds file (TOML), all keys optional:

  alpha = 0.05
  correction = "bonferroni"   # or "none"
  n_resamples = 4000
  [default]
  abs = 0.0
  rel = 0.05
  [metrics.warping_error]
  rel = 0.02
  [metrics.motion_px]
  ignore = true

Lost items: an item the baseline scored that the candidate failed or lacks fails the
gate at any n, beyond max_lost (top-level key, default 0); each is named.
Runs that differ in suites, geometry, cases or metric identity are refused (exit 2)
unless --allow-mismatch. Pin the baseline by name for a nightly (see README).

Exit code: 0 no regression, 1 regression, 2 usage error (unknown run, bad file,
runs not comparable).
"""

MISMATCH_HELP = ("judge runs that differ in suites, geometry, cases or metric identity anyway "
                 "(prints a banner; default: refuse with exit 2)")


def _store_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", type=Path, help="results store: an SQLite file, with the video cache and "
                   "reports beside it (default: $VBENCH_LITE_STORE or ./vbench_results/results.sqlite)")


def register(sub) -> None:
    r = sub.add_parser("report", help="tables, plots and an HTML report of runs",
                       description="Write a self-contained HTML report (plus Markdown, CSV, JSON and "
                       "PNG/SVG plots) of one or more runs; several runs are compared with the first.")
    r.add_argument("runs", nargs="+", metavar="RUN", help="run id, id prefix, name or 'latest'")
    r.add_argument("-o", "--out", type=Path, help="HTML file (default: <store dir>/reports/<run>.html)")
    r.add_argument("--no-previews", action="store_true", help="no worst-case frames/GIFs")
    r.add_argument("--no-exports", action="store_true", help="HTML only (no Markdown/CSV/JSON/plots folder)")
    r.add_argument("--segment-frames", type=int, metavar="N", help="segment length for long videos: per-segment "
                   "values and the worst segment (default 240 frames, 10 s at 24 fps)")
    r.add_argument("--format", choices=("table", "json", "markdown", "physics_iq", "vbench"), default="table",
                   help="stdout format; physics_iq: write Physics-IQ Verified's results CSV and metrics JSON of "
                   "one run into the folder -o (default: <store dir>/reports/<run>_physics_iq); vbench: write "
                   "each run's vbench_* outputs as VBench's <run>_eval_results.json into the folder -o "
                   "(default: <store dir>/reports) and print VBench's aggregates and board values")
    r.add_argument("--detail", action="store_true", help="print units, notes, per-video values and full reasons "
                   "(default: a 100-column summary)")
    _store_arg(r)
    r.set_defaults(func=cmd_report)

    c = sub.add_parser("compare", help="paired comparison of runs (B vs A, C vs A, ...)",
                       description="Per output: mean difference over shared (case, seed) items with a "
                       "paired bootstrap interval and a verdict (better / worse / no significant change).")
    c.add_argument("runs", nargs="+", metavar="RUN", help="baseline run first, then one or more others")
    c.add_argument("--alpha", type=float, default=0.05, help="family-wise error rate (default 0.05)")
    c.add_argument("--no-correction", action="store_true", help="plain per-output intervals (no Bonferroni)")
    c.add_argument("--format", choices=("table", "json", "markdown", "csv"), default="table")
    c.add_argument("--detail", action="store_true", help="every column (default: a 100-column summary)")
    c.add_argument("--allow-mismatch", action="store_true", help=MISMATCH_HELP)
    _store_arg(c)
    c.set_defaults(func=cmd_compare)

    k = sub.add_parser("check", help="regression gate: exit 1 when a metric got significantly worse",
                       description=GATE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    k.add_argument("run", nargs="?", default="latest", metavar="RUN", help="candidate run (default: newest)")
    k.add_argument("--baseline", required=True, metavar="RUN|latest",
                   help="baseline run (a name you pinned, or an id); 'latest' = the newest finished run "
                   "other than the candidate that is comparable with it")
    k.add_argument("--thresholds", type=Path, help="TOML thresholds file (default: built-in, see above)")
    k.add_argument("--all", action="store_true", help="print every output, not just regressions")
    k.add_argument("--format", choices=("table", "json"), default="table")
    k.add_argument("--detail", action="store_true", help="every column (default: a 100-column summary)")
    k.add_argument("--allow-mismatch", action="store_true", help=MISMATCH_HELP)
    _store_arg(k)
    k.set_defaults(func=cmd_check)


def _open(args):
    from vbench_lite.reports.data import open_store
    from vbench_lite.store import default_store
    return open_store(args.store or default_store())


def _print_df(df, fmt: str = "table", file=None) -> None:
    from vbench_lite.reports.export import md_table, records
    from vbench_lite.reports.tables import fmt as num
    file = file or sys.stdout
    if fmt == "json":
        print(json.dumps(records(df), indent=2), file=file)
    elif fmt == "markdown":
        print(md_table(df), file=file)
    elif fmt == "csv":
        df.to_csv(file, index=False)
    elif df.empty:
        print("(none)", file=file)
    else:
        print(df.to_string(index=False, float_format=lambda x: num(x)), file=file)


def cmd_report(args) -> int:
    from vbench_lite.cli.output import add_cards, print_views, section_view
    from vbench_lite.reports.build import build_report
    from vbench_lite.reports.export import to_json, to_markdown
    from vbench_lite.reports.html import report_label, report_path, save_report
    from vbench_lite.store import default_store

    if args.format == "physics_iq":
        return _report_physics_iq(args)
    if args.format == "vbench":
        return _report_vbench(args)
    seg = {}
    if args.segment_frames is not None:
        if args.segment_frames < 1:
            from vbench_lite.errors import UserError

            raise UserError(f"--segment-frames {args.segment_frames}: a segment is 1 frame or more")
        seg = {"segment_frames": args.segment_frames}
    with _open(args) as store:
        rep = build_report(store, args.runs, previews=not args.no_previews, **seg)
        views = [section_view(s) for s in rep.sections]
        if args.format == "table" and not args.detail:
            add_cards(store, views)  # the scorecard `run` prints
    if args.format == "json":
        print(json.dumps(to_json(rep), indent=2, default=str))
    elif args.format == "markdown":
        print(to_markdown(rep))
    else:  # the same summary `run` prints (a floor run asked for by name gets its table)
        print_views(views, detail=args.detail)
    out = save_report(rep, args.out or report_path(args.store or default_store(), report_label(rep)),
                      exports=not args.no_exports)
    print(f"report: {out}", file=sys.stderr)
    return 0


def _report_physics_iq(args) -> int:
    """``report RUN --format physics_iq``: the run's files in Physics-IQ Verified's layout."""
    from vbench_lite.errors import UserError
    from vbench_lite.reports.data import resolve_run
    from vbench_lite.reports.html import report_path, safe_name
    from vbench_lite.reports.physics_iq_export import write_physics_iq
    from vbench_lite.store import default_store

    if len(args.runs) != 1:
        raise UserError("--format physics_iq exports one run at a time")
    with _open(args) as store:
        run = resolve_run(store, args.runs[0])
        label = run.get("name") or run["run_id"]
        folder = args.out or report_path(args.store or default_store(), label).with_name(
            f"{safe_name(label)}_physics_iq")
        for path in write_physics_iq(store, run, folder):
            print(path)
    return 0


def _report_vbench(args) -> int:
    """``report RUN... --format vbench``: VBench's ``*_eval_results.json`` per run."""
    from vbench_lite.reports.data import resolve_run
    from vbench_lite.reports.vbench_export import summary_lines, write_vbench_results
    from vbench_lite.store import default_store

    folder = args.out or Path(args.store or default_store()).parent / "reports"
    with _open(args) as store:
        for ref in args.runs:
            run = resolve_run(store, ref)
            path, export = write_vbench_results(store, run, folder)
            print(f"== {run.get('name') or run['run_id']} ({run['run_id']}): {path}")
            print("\n".join(summary_lines(export)))
    return 0


def cmd_compare(args) -> int:
    from vbench_lite.errors import UserError
    from vbench_lite.reports.compare import compare_runs
    from vbench_lite.reports.data import load_run, resolve_run

    if len(args.runs) < 2:
        raise UserError("compare needs at least two runs: BASELINE OTHER [OTHER ...]")
    from vbench_lite.reports.comparable import lost_items, lost_lines

    with _open(args) as store:
        runs = [load_run(store, resolve_run(store, r)) for r in args.runs]
    banners = [_comparable(runs[0], other, args.allow_mismatch) for other in runs[1:]]
    for other, banner in zip(runs[1:], banners):
        cmp = compare_runs(runs[0], other, alpha=args.alpha,
                           correction="none" if args.no_correction else "bonferroni")
        if args.format == "table":
            from vbench_lite.cli.output import clip
            if banner:
                print(banner)
            print(clip(f"== {other.label} vs {runs[0].label}: B - A, {cmp.attrs['confidence']:.2%} intervals "
                       f"({cmp.attrs['correction']} over {cmp.attrs['tested']} outputs)"))
            lost = lost_items(runs[0], other)
            for line in lost_lines(lost, int((runs[0].items["status"] == "ok").sum()), 0) if len(lost) else []:
                print(clip(line))
        if args.format == "table" and not args.detail and "verdict" in cmp.columns:
            from vbench_lite.cli.output import comparison_lines
            print("\n".join(comparison_lines(cmp)))
        else:
            _print_df(cmp, args.format)
    return 0


def _comparable(base, cand, allow: bool) -> str:
    """"" when the runs are comparable; else a UserError (exit 2) naming the
    difference, or with ``allow`` the banner to print above the verdicts."""
    from vbench_lite.errors import UserError
    from vbench_lite.reports.comparable import mismatch

    why = mismatch(base.run, cand.run, base.items, cand.items)
    if why is None:
        return ""
    if not allow:
        raise UserError(f"{cand.label} is not comparable with {base.label}: {why} "
                        "(--allow-mismatch judges them anyway)")
    return f"!! NOT COMPARABLE ({why}): verdicts below judge different things (--allow-mismatch)"


def cmd_check(args) -> int:
    from vbench_lite.metrics import declared_output_names
    from vbench_lite.reports.comparable import lost_lines
    from vbench_lite.reports.compare import FAILED_METRIC
    from vbench_lite.reports.data import declared_outputs, load_run, resolve_run
    from vbench_lite.reports.gate import check_names, load_thresholds, run_gate

    th = load_thresholds(args.thresholds)
    with _open(args) as store:
        cand = resolve_run(store, args.run)
        base = resolve_run(store, args.baseline, like=cand)
        if base["run_id"] == cand["run_id"]:
            from vbench_lite.errors import UserError
            raise UserError(f"check: the baseline and the candidate are the same run ({cand['run_id']}); "
                            "name the candidate run or pin another baseline")
        known = declared_output_names() | {FAILED_METRIC}
        for r in (cand, base):
            known |= set(declared_outputs(r).index)
        check_names(th, known, str(args.thresholds or "thresholds"))
        base_d, cand_d = load_run(store, base), load_run(store, cand)
        banner = _comparable(base_d, cand_d, args.allow_mismatch)
        res = run_gate(base_d, cand_d, th)
    code, gated, lost = res.code, res.gated, res.lost
    cols = ["metric", "units", "direction", "n", "coverage_a", "coverage_b", "mean_a", "mean_b", "diff",
            "ci_low", "ci_high", "tolerance", "verdict"]
    shown = gated if args.all else gated[gated["regressed"]]
    if args.format == "json":
        from vbench_lite.reports.export import records

        print(json.dumps({"code": code, "baseline": base["run_id"], "candidate": cand["run_id"],
                          "mismatch": banner or None, "max_lost": th.max_lost,
                          "lost": lost.to_dict(orient="records"), "outputs": records(gated)},
                         indent=2, default=str))
        return code
    from vbench_lite.cli.output import clip
    if banner:
        print(banner)
    print(f"check: {cand.get('name') or cand['run_id']} vs baseline {base.get('name') or base['run_id']} "
          f"({gated.attrs['correction']}, intervals at {gated.attrs['confidence']:.2%})")
    n_reg = int(gated["regressed"].sum())
    if code:
        parts = ([f"{n_reg} output(s) significantly worse beyond threshold"] if n_reg else []) + \
                ([f"{len(lost)} item(s) lost"] if res.lost_regressed else [])
        print("REGRESSED: " + "; ".join(parts))
    else:
        print("OK: no output significantly worse beyond its threshold"
              + (f"; {len(lost)} item(s) lost, within max_lost = {th.max_lost}" if len(lost) else "; no item lost"))
    for line in lost_lines(lost, res.n_base, th.max_lost) if len(lost) else []:
        print(clip(line))
    if len(shown) and args.detail:
        _print_df(shown[cols + (["regressed"] if args.all else [])])
    elif len(shown):
        from vbench_lite.cli.output import comparison_lines
        print("\n".join(comparison_lines(shown, tolerance=True)))
    return code

