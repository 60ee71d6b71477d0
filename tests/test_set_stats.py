"""video_kd in the reports: an interval in the tables, a bootstrap over cases in
compare and check -- end to end through the runner and the store, with the reference
DiT, the simulator oracle and degraded runs of the ``default`` probe suite."""

import dataclasses

import numpy as np
import pytest

from vbench_lite.reports import set_stats
from vbench_lite.reports.compare import BETTER, SAME, UNTESTED, WORSE, compare_runs
from vbench_lite.reports.data import load_run
from vbench_lite.reports.gate import load_thresholds, run_gate
from vbench_lite.reports.tables import summary_table
from vbench_lite.runners.execute import execute
from vbench_lite.runners.plan import RunSpec
from vbench_lite.store import Store

pytestmark = pytest.mark.slow  # the fixture: five real runs, one of them the reference DiT (~15 s on 2 cores)
SEEDS = [0, 1]  # two seeds per case: the estimator and the resampling must keep a case together


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("set_stats") / "results.sqlite"
    ref_dir = tmp_path_factory.mktemp("reference")
    from vbench_lite.case import RenderSpec
    from vbench_lite.probes.world import SCENARIOS, make_truth

    for i, s in enumerate(SCENARIOS * 2):  # a fixed folder of probe-like "real" videos
        np.save(ref_dir / f"{i:02d}.npy", make_truth(s, "ood", 700 + i, 64, 64).render())
    folder = {"video_kd": {"reference_dir": str(ref_dir)}}
    flicker = {"base": "simulator", "kind": "flicker", "strength": "0.1"}
    runs = {  # name: generator, settings, metric options, seeds (the DiT's CPU time: one seed)
        "sim": ("simulator", {}, {}, SEEDS),
        "flicker": ("degraded", flicker, {}, SEEDS),
        "dit": ("reference-dit", {}, {}, [0]),
        "sim_folder": ("simulator", {}, folder, [0]),
        "flicker_folder": ("degraded", flicker, folder, [0]),
    }
    render = RenderSpec(height=32, width=32, num_frames=32, fps=10, cond_frames=4)  # the DiT's size
    with Store(path) as st:
        for name, (gen, settings, options, seeds) in runs.items():
            execute(RunSpec(gen, settings=settings, seeds=seeds, metrics=["video_kd"], metric_options=options,
                            name=name, render=render), st, progress=False)
    return path


@pytest.fixture(scope="module")
def runs(store):
    with Store(store, readonly=True) as st:
        return {name: load_run(st, name) for name in
                ("sim", "flicker", "dit", "sim_folder", "flicker_folder")}


def row(df, name="video_kd"):
    return df.set_index("metric").loc[name]


def test_reports_recompute_the_stored_value_from_the_stored_rows(runs):
    """The resampling in reports uses exactly the estimator the metric used at run time."""
    for name, n_rows in (("dit", 16), ("flicker", 32), ("flicker_folder", 16)):
        d = runs[name]
        spec = set_stats.set_statistics(d.run)["video_kd"]
        rows = d.features["video_kd"]
        cases = sorted({k[0] for k in rows})
        assert len(rows) == n_rows and len(cases) == 16
        stored = row(d.scores[d.scores["case_id"] == "__set__"])["value"]
        assert set_stats._blocks(spec, rows, cases).value() == pytest.approx(stored, rel=1e-9, abs=1e-12)


def test_table_shows_an_interval_from_the_jackknife_se(runs):
    t = row(summary_table(runs["dit"]))
    se = row(runs["dit"].scores[runs["dit"].scores["case_id"] == "__set__"], "video_kd_se")["value"]
    assert t["ci_low"] < t["mean"] < t["ci_high"]
    assert t["ci_high"] - t["mean"] == pytest.approx(2.131 * se, rel=1e-3)  # t(15) at 95 %
    assert "jackknife SE over 16 cases" in t["note"]
    assert t["mean"] > 4 * se  # the DiT is far from its truth: measured 0.29 with SE 0.046
    oracle = row(summary_table(runs["sim"]))
    assert oracle["mean"] == 0.0 and oracle["ci_low"] == pytest.approx(0.0, abs=1e-12) == oracle["ci_high"]


def test_separates_the_reference_dit_from_the_simulator(runs):
    cmp = compare_runs(runs["sim"], runs["dit"])
    r = row(cmp)
    assert r["verdict"] == WORSE and r["ci_low"] > 0 and r["n"] == 16, r
    assert "bootstrap over 16 shared cases" in r["note"]
    assert row(compare_runs(runs["dit"], runs["sim"]))["verdict"] == BETTER
    assert row(cmp, "video_kd_se")["verdict"] == UNTESTED  # one value per run, no direction


def test_flicker_is_worse_and_an_unchanged_generator_is_not(runs):
    assert row(compare_runs(runs["sim"], runs["flicker"]))["verdict"] == WORSE
    same = row(compare_runs(runs["sim"], runs["sim"]))
    assert same["verdict"] == SAME and same["diff"] == 0.0, same


def test_fixed_reference_folder_is_compared_conditionally(runs):
    """Against a folder of real videos the rows carry kernel means to that folder."""
    assert set_stats.set_statistics(runs["sim_folder"].run)["video_kd"]["row_layout"] == "fixed"
    r = row(compare_runs(runs["sim_folder"], runs["flicker_folder"]))
    assert r["verdict"] == WORSE, r
    # a folder run and a truth run measure different things: never compared
    mixed = row(compare_runs(runs["sim"], runs["sim_folder"]))
    assert mixed["verdict"] == UNTESTED and "protocols differ" in mixed["note"]


def test_the_gate_fails_on_a_significant_rise(runs):
    r = run_gate(runs["sim"], runs["dit"], load_thresholds(None))
    assert r.code == 1 and bool(row(r.gated)["regressed"])
    r = run_gate(runs["sim"], runs["sim"], load_thresholds(None))
    assert not bool(row(r.gated)["regressed"])


def test_without_stored_rows_it_stays_untested(runs):
    bare = dataclasses.replace(runs["dit"], features={})
    r = row(compare_runs(runs["sim"], bare))
    assert r["verdict"] == UNTESTED and "no stored per-video rows" in r["note"]


def test_few_cases_give_no_interval():
    low, _, note = set_stats.table_interval(0.1, 0.01, 4, 0.95)
    assert np.isnan(low) and note.startswith("set-level")  # the HTML shows "whole set"
    low, high, _ = set_stats.table_interval(0.1, 0.01, 5, 0.95)
    assert (low, high) == pytest.approx((0.1 - 2.776 * 0.01, 0.1 + 2.776 * 0.01), rel=1e-3)
