"""Tables built from a store with known values."""

import numpy as np
import pytest

from vbench_lite.metrics import METRICS
from vbench_lite.reports import data, tables
from vbench_lite.reports.compare import UNTESTED, verdict
from vbench_lite.reports.stats import mean_ci, paired_diff
from helpers.synthetic_store import SyntheticRun, build_store
from vbench_lite.store import ItemRecord, ScoreRow, Store


def _write(store, run_id, values, *, metric="warping_error", split="", suite="s"):
    """A run of one real output (its registered declaration) with the given values."""
    src = next(n for n in METRICS.names() if metric in {o.name for o in METRICS.get(n).outputs})
    out = next(o for o in METRICS.get(src).outputs if o.name == metric)
    store.begin_run(run_id, name=run_id, generator="toy", settings={}, suites=[suite], seeds=[0],
                    metrics={src: METRICS.get(src)().describe()},
                    skipped_metrics={"fvd": "backbone I3D not found"}, provenance={})
    for i, v in enumerate(values):
        store.write_item(run_id, ItemRecord(f"c{i}", 0, "ok", suite=suite, split=split),
                         [ScoreRow(metric, v, out.units, out.higher_is_better, src)])
    store.finish_run(run_id, "finished")


def test_summary_known_values(tmp_path):
    with Store(tmp_path / "r.sqlite") as st:
        _write(st, "r1", [1.0, 2.0, 3.0, 3.0, 6.0, float("nan")])  # 5 cases: the fewest with an interval
        t = tables.summary_table(data.load_run(st, "r1"))
    row = t.set_index("metric").loc["warping_error"]
    assert row["n"] == 5 and row["mean"] == pytest.approx(3.0)
    assert 1.0 <= row["ci_low"] < 3.0 < row["ci_high"] <= 6.0
    declared = next(o for o in METRICS.get("warping_error").outputs if o.name == "warping_error")
    assert row["units"] == declared.units and row["direction"] == "lower"
    assert row["n_items"] == 6 and row["coverage"] == pytest.approx(5 / 6)  # the NaN item is not scored


def test_degenerate_samples_do_not_crash():
    one = mean_ci([2.5])
    assert one.mean == 2.5 and np.isnan(one.low) and "n=1" in one.note
    const = mean_ci([4.0] * 10)
    assert const.mean == 4.0 and np.isnan(const.high) and "equal" in const.note
    assert mean_ci([]).n == 0
    shift = paired_diff([1.0, 2.0, 3.0, 4.0, 5.0], [1.5, 2.5, 3.5, 4.5, 5.5])
    assert (shift.low, shift.high) == (0.5, 0.5)  # the same shift on 5 cases: real evidence
    few = paired_diff([1.0, 1.0], [0.0, 0.0])  # permanence lost on 2 cases: too few to judge
    assert np.isnan(few.low) and "constant shift on 2 pairs: no interval below 5" in few.note
    assert verdict(few.mean, few.low, few.high, 1.0) == UNTESTED


def test_ci_narrows_with_n_and_covers_truth():
    rng = np.random.default_rng(0)
    small = mean_ci(rng.normal(1.0, 1.0, 30))
    big = mean_ci(rng.normal(1.0, 1.0, 3000))  # percentile path (n > BCA_MAX_N)
    assert big.high - big.low < (small.high - small.low) / 4
    assert big.low < 1.0 < big.high


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("st") / "r.sqlite"
    build_store(path, [SyntheticRun("a", seed=1, fail=0.1)])
    with data.open_store(path) as st:
        yield st


def test_summary_directions_and_set_level(store):
    t = tables.summary_table(data.load_run(store, "a")).set_index("metric")
    assert t.loc["motion_px", "direction"] == "-"  # declared None: no direction
    assert t.loc["clip_text_score", "direction"] == "higher"
    assert t.loc["fvd", "n"] == 1 and "set-level" in t.loc["fvd", "note"]
    assert t.loc["warping_error", "mean"] == pytest.approx(0.05, rel=0.1)


def test_physics_split_with_floor(store):
    d = data.load_run(store, "a")
    phys = tables.physics_table(d, data.floor_scores(store, d))
    assert set(phys["split"]) == {"id", "ood"}
    assert (phys["floor"] < phys["ci_low"]).all()  # floor (2 % of level) far below the generator
    assert (phys["floor_n"] == 10).all()  # 20 probe cases, half ID, matched by (suite, case_id)


def test_failures_and_skips(store):
    d = data.load_run(store, "a")
    f = tables.failures_table(d)
    assert len(f) > 0 and (f["error"] == "CUDA out of memory").all()
    s = tables.skips_table(d).set_index("metric")
    assert s.loc["dino_consistency", "scope"] == "run"
    assert "backbone" in s.loc["dino_consistency", "reason"]
    assert s.loc["clip_text_score", "reason"] == "prompt is empty"


def test_across_runs_wide(store):
    long = tables.across_runs([data.load_run(store, "a"), data.load_run(store, "floor")])
    wide = tables.across_runs_wide(long)
    assert list(wide.columns[:3]) == ["metric", "units", "direction"]
    assert {"a", "floor"} <= set(wide.columns)


def test_physics_table_keeps_only_physics_group(tmp_path):
    """Flicker scored on a probe item is not a physics error; velocity_error is."""
    with Store(tmp_path / "p.sqlite") as st:
        st.begin_run("r", name="r", generator="g", settings={}, suites=["p"], seeds=[0],
                     metrics={"flicker": {"group": "temporal", "outputs": [{"name": "flicker"}]},
                              "velocity_error": {"group": "physics", "outputs": [{"name": "velocity_error"}]}},
                     skipped_metrics={}, provenance={})
        for i in range(4):
            st.write_item("r", ItemRecord(f"c{i}", 0, "ok", suite="p", split="id"),
                          [ScoreRow(m, float(i), "u", False) for m in ("flicker", "velocity_error")])
        phys = tables.physics_table(data.load_run(st, "r"))
    assert list(phys["metric"]) == ["velocity_error"]


def test_case_clustered_interval_is_wider_for_correlated_seeds():
    """Seeds of one case share its difficulty: resampling cases must widen the interval
    versus (wrongly) treating 10 seeds of each case as independent items."""
    rng = np.random.default_rng(3)
    case_effect = np.repeat(rng.normal(0, 1, 30), 10)  # (300,): 30 cases x 10 seeds
    values = case_effect + 0.1 * rng.standard_normal(300)
    cases = np.repeat(np.arange(30), 10)
    naive = mean_ci(values)
    clustered = mean_ci(values, clusters=cases)
    assert clustered.mean == pytest.approx(naive.mean)
    assert (clustered.high - clustered.low) > 2 * (naive.high - naive.low)
    # with one value per case the clustered bootstrap is the ordinary one
    single = mean_ci(values[::10], clusters=cases[::10])
    assert (single.low, single.high) == (mean_ci(values[::10]).low, mean_ci(values[::10]).high)
