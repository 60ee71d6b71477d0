"""Paired comparison verdicts and the regression gate on a store with a planted regression."""

import pytest

from vbench_lite.errors import UserError
from vbench_lite.reports import data
from vbench_lite.reports.compare import SAME, WORSE, compare_runs
from vbench_lite.reports.gate import load_thresholds, parse_thresholds, run_gate
from helpers.synthetic_store import SyntheticRun, build_store

# warping_error level is 0.05, item noise 5 % of level: +0.005 is a planted 10 % regression
RUNS = [
    SyntheticRun("base", seed=1),
    SyntheticRun("noisy", seed=2),  # equal but noisy
    SyntheticRun("regressed", seed=3, shift={"warping_error": 0.005}),
    SyntheticRun("quiet", seed=7, noise=0.002),  # low-noise baseline for "tiny"
    SyntheticRun("tiny", seed=4, noise=0.002, shift={"flicker": 0.0003}),  # 1 %: real but small
    SyntheticRun("failing", seed=5, fail=0.4),
    SyntheticRun("improved", seed=6, shift={"clip_text_score": 0.03, "motion_px": 1.0}),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("gate") / "r.sqlite"
    build_store(path, RUNS)
    with data.open_store(path) as st:
        yield st


def _gate(store, a, b, toml=None):
    th = parse_thresholds(toml) if toml else load_thresholds(None)
    r = run_gate(data.load_run(store, a), data.load_run(store, b), th)
    return r.code, r.gated


def test_planted_regression_fails_gate(store):
    code, g = _gate(store, "base", "regressed")
    assert code == 1
    g = g.set_index("metric")
    assert g.loc["warping_error", "verdict"] == WORSE and g.loc["warping_error", "regressed"]
    assert g.loc["warping_error", "diff"] == pytest.approx(0.005, rel=0.3)
    assert not g.drop(index="warping_error")["regressed"].any()


def test_equal_but_noisy_is_no_significant_change(store):
    code, g = _gate(store, "base", "noisy")
    assert code == 0
    tested = g[g["verdict"] != "not tested"]
    assert (tested["verdict"] == SAME).all(), tested[["metric", "verdict"]]
    assert g.set_index("metric").loc["fvd", "verdict"] == "not tested"  # set-level: no interval


def test_small_real_change_is_significant_but_under_threshold(store):
    code, g = _gate(store, "quiet", "tiny")
    g = g.set_index("metric")
    assert g.loc["flicker", "verdict"] == WORSE
    assert code == 0  # 1 % < default 5 % tolerance
    code, _ = _gate(store, "quiet", "tiny", "[metrics.flicker]\nrel = 0.001\n")
    assert code == 1


def test_failing_items_regress(store):
    code, g = _gate(store, "base", "failing")
    g = g.set_index("metric")
    assert code == 1 and g.loc["item_failed", "regressed"]


def test_improvement_and_undirected_change_do_not_fail(store):
    code, g = _gate(store, "base", "improved")
    g = g.set_index("metric")
    assert code == 0
    assert g.loc["clip_text_score", "verdict"] == "better"
    assert g.loc["motion_px", "verdict"] == "higher"


def test_ignore_and_correction(store):
    code, _ = _gate(store, "base", "regressed", "[metrics.warping_error]\nignore = true\n")
    assert code == 0
    cmp = compare_runs(data.load_run(store, "base"), data.load_run(store, "noisy"), correction="none")
    assert cmp.attrs["confidence"] == pytest.approx(0.95)
    cmp = compare_runs(data.load_run(store, "base"), data.load_run(store, "noisy"))
    assert cmp.attrs["confidence"] == pytest.approx(1 - 0.05 / cmp.attrs["tested"])


@pytest.mark.parametrize("text, match", [
    ("alpha = 2", "alpha"),
    ("[default]\nrel = -1", "rel"),
    ("[metrics.flicker]\nabss = 1", "unknown key"),
    ("thresh = 1", "unknown key"),
    ("[default\n", "not valid TOML"),
])
def test_bad_thresholds(text, match):
    with pytest.raises(UserError, match=match):
        parse_thresholds(text)


def test_missing_thresholds_file(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_thresholds(tmp_path / "nope.toml")


def test_case_level_noise_with_many_seeds_does_not_cry_wolf(tmp_path):
    """Pairs of equal runs whose per-case behaviour differs (the same under all 6 seeds):
    the case-resampled, Bonferroni-corrected comparison flags at most 1 of 8 independent
    pairs (nominal family-wise rate 5 %; before case resampling and the small-sample
    expansion 2 of 15 were flagged). Treating the 6 seeds as independent pairs would
    give intervals ~2.4x too narrow."""
    from vbench_lite.reports.stats import paired_diff

    runs = [SyntheticRun(f"r{k}", seed=200 + k, noise=0.01, case_noise=0.05) for k in range(16)]
    build_store(tmp_path / "c.sqlite", runs, floor=False, n_prompt=30, n_probe=10, seeds=tuple(range(6)))
    with data.open_store(tmp_path / "c.sqlite") as st:
        loaded = [data.load_run(st, f"r{k}") for k in range(16)]
    alarms = 0
    for a, b in zip(loaded[0::2], loaded[1::2]):
        cmp = compare_runs(a, b)
        alarms += int(cmp["verdict"].isin(["better", "worse"]).any())
    assert alarms <= 1
    pairs = loaded[0].scores.merge(loaded[1].scores, on=["case_id", "seed", "metric"])
    w = pairs[pairs["metric"] == "warping_error"]
    naive = paired_diff(w["value_x"], w["value_y"], confidence=0.95)
    clustered = paired_diff(w["value_x"], w["value_y"], clusters=w["case_id"], confidence=0.95)
    assert (clustered.high - clustered.low) > 1.8 * (naive.high - naive.low)
