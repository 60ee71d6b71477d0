"""Benchmark: report generation for a store of 10,000 scored items.

Builds (once, cached under --dir) a synthetic store with two runs of 10,000 items
each (8,000 prompt items x 5 outputs with timelines, 2,000 probe items, one
set-level score) plus a floor run, then times, ``--repeats`` times each:

* ``tables``   load one run + summary, physics, failures and skips tables
* ``compare``  paired comparison of the two runs (Bonferroni, 4000 resamples)
* ``html``     the full HTML report of both runs (tables, comparison, all plots)

and prints the median and min seconds. Usage::

    python benchmarks/bench_reports.py [--items 10000] [--repeats 3] [--dir /tmp/vbl_bench]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from vbench_lite.reports import data, tables
from vbench_lite.reports.compare import compare_runs
from vbench_lite.reports.html import write_report

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the test store builder
from helpers.synthetic_store import SyntheticRun, build_store  # noqa: E402


def _store(folder: Path, items: int) -> Path:
    path = folder / f"bench_{items}.sqlite"
    if not path.exists():
        t = time.perf_counter()
        seeds = (0, 1)
        n_prompt, n_probe = int(items * 0.8) // len(seeds), int(items * 0.2) // len(seeds)
        build_store(path, [SyntheticRun("A", seed=1), SyntheticRun("B", seed=2, shift={"flicker": 0.001})],
                    n_prompt=n_prompt, n_probe=n_probe, seeds=seeds)
        print(f"built {path} in {time.perf_counter() - t:.1f} s")
    return path


def _time(fn, repeats: int) -> tuple[list[float], list[float]]:
    """(wall seconds, CPU seconds of this process) per repeat; CPU time shows what the
    work costs when other processes share the cores."""
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/vbl_bench"))
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    path = _store(args.dir, args.items)
    st = data.open_store(path)
    n = st.conn.execute("SELECT COUNT(*) FROM scores WHERE run_id='B-2'").fetchone()[0]
    print(f"run B: {args.items} items, {n} score rows")

    def run_tables():
        d = data.load_run(st, "B")
        tables.summary_table(d)
        tables.physics_table(d, data.floor_scores(st, d))
        tables.failures_table(d)
        tables.skips_table(d)

    a, b = data.load_run(st, "A"), data.load_run(st, "B")
    results = {
        "tables": _time(run_tables, args.repeats),
        "compare": _time(lambda: compare_runs(a, b), args.repeats),
        "html": _time(lambda: write_report(path, ["A", "B"], args.dir / "bench.html", previews=False),
                      args.repeats),
    }
    for name, (wall, cpu) in results.items():
        print(f"{name:8s} wall median {statistics.median(wall):6.2f} s  min {min(wall):6.2f} s   "
              f"cpu median {statistics.median(cpu):6.2f} s   (n={len(wall)})")


if __name__ == "__main__":
    main()
