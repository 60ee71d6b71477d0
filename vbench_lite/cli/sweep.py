"""``vbench-lite sweep``: run a settings grid, then say which settings can be told apart,
draw the motion-vs-error front between those, and recommend one by a stated rule
(what it prints: ``cli.sweep_lines``). Planning and flags are ``run``'s."""

from __future__ import annotations

import sys
from pathlib import Path


def register(sub) -> None:
    s = sub.add_parser("sweep", help="run a settings grid and plot motion vs warping error / flicker",
                       description="Like `run` with --sweep KEY=V1,V2,...; ends with the motion-vs-flicker "
                       "plot (Pareto front marked) of the grid's runs.")
    from vbench_lite.cli.run import add_run_arguments

    add_run_arguments(s)
    s.add_argument("--plot", type=Path, help="plot file stem (default: <store dir>/reports/<sweep id>_tradeoff, "
                   "beside the sweep's HTML report <sweep id>.html)")
    s.set_defaults(func=cmd_sweep)


def _open(args):
    from vbench_lite.reports.data import open_store
    from vbench_lite.store import default_store
    return open_store(args.store or default_store())


def cmd_sweep(args) -> int:
    from vbench_lite.cli.output import WIDTH, fixed_width
    from vbench_lite.cli.run import execute_runs, plan_runs, write_main_report
    from vbench_lite.cli.sweep_lines import sweep_lines
    from vbench_lite.reports.front import sweep_fronts
    from vbench_lite.reports import plots, tables
    from vbench_lite.reports.data import load_run
    from vbench_lite.reports.html import report_path, safe_name
    from vbench_lite.store import default_store, FLOOR_ROLE

    if not args.sweep:
        from vbench_lite.errors import UserError
        raise UserError("sweep needs at least one --sweep KEY=V1,V2,... (e.g. --sweep steps=4,8,16)")
    summaries, rank = execute_runs(plan_runs(args), args)
    if rank != 0:
        return 0
    store_path = args.store or default_store()
    main = [s for s in summaries if s.role != FLOOR_ROLE]
    floors = [s for s in summaries if s.role == FLOOR_ROLE]
    with _open(args) as store:
        runs = [load_run(store, s.run_id) for s in main]
    summaries_t = [tables.summary_table(d) for d in runs]
    labels = plots.setting_labels([d.run for d in runs])
    sweep = runs[0].run.get("sweep") or runs[0].label
    print(f"== {sweep}: {len(main)} runs of {runs[0].run.get('generator')}"
          + (f" (floor run {', '.join(f.run_id for f in floors)})" if floors else ""))
    fronts = sweep_fronts(runs, labels)  # the front only between settings that differ beyond their intervals
    for i, s in enumerate(main, 1):
        print(f"#{i}  run {s.run_id}  {s.name}  ({s.ok}/{s.total} ok)")
    if args.detail:
        for line in _sweep_means(summaries_t, fixed_width, WIDTH):
            print(line)
        print("Means over each run's items; intervals, ID/OOD and the floor per run are in the report.")
    else:
        print("\n".join(sweep_lines(summaries_t, labels, fronts)))
    fig = plots.tradeoff_figure(summaries_t, labels, fronts=fronts)
    if not args.no_report:
        path = write_main_report(args, summaries)
        if path:
            print(f"report: {path}", file=sys.stderr)
    if fig is None:
        print("sweep: no motion output in these runs, so no motion-vs-flicker plot", file=sys.stderr)
        return 0
    stem = args.plot or report_path(store_path, sweep).with_name(f"{safe_name(sweep)}_tradeoff")
    for p in plots.save_figure(fig, stem):
        print(f"plot: {p}", file=sys.stderr)
    return 0


def _sweep_means(summaries, fixed_width, width: int) -> list[str]:
    """Mean of every output per grid point (#1, #2, ...), in column blocks that fit ``width``."""
    import pandas as pd

    from vbench_lite.reports.tables import fmt

    means = pd.concat([s.set_index("metric")["mean"].rename(f"#{i}") for i, s in enumerate(summaries, 1)], axis=1)
    better = pd.concat([s.set_index("metric")["direction"] for s in summaries]).groupby(level=0).first()
    per_block = max(1, (width - 27 - 7) // 11)  # output name, "better", 10-character numbers
    lines = []
    for lo in range(0, means.shape[1], per_block):
        block = means.iloc[:, lo:lo + per_block]
        disp = pd.DataFrame({"output": block.index})
        for c in block.columns:
            disp[c] = [fmt(x) for x in block[c]]
        disp["better"] = [better.get(m, "") for m in block.index]
        lines += [""] + fixed_width(disp, width=width, right=set(block.columns))
    return lines
