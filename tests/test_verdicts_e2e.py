"""Verdicts end to end: real generators -> real metrics -> store -> compare / check.

Nothing here is a hand-written fixture: every run is the runner driving the simulator
oracle (optionally degraded or perturbed) or the reference DiT over the ``default``
probe suite, scored by the registered metrics, and judged by the CLI's ``check`` and
``reports.compare``. The declarations the judgement reads are the metrics' own.
"""

import json

import pytest

from vbench_lite.cli import main
from vbench_lite.metrics import METRICS
from vbench_lite.reports.compare import BETTER, TRADEOFF, WORSE, compare_runs
from vbench_lite.reports.data import load_run, open_store
from vbench_lite.runners.execute import execute
from vbench_lite.runners.plan import RunSpec
from vbench_lite.store import Store

SEEDS = [0, 1]  # 16 cases x 2 seeds: enough pairs for a significant verdict, a few seconds per run
METRIC_NAMES = ["warping_error", "motion", "flicker", "motion_smoothness", "identity_drift", "velocity_error",
                "position_error", "permanence", "conservation", "monotone_change", "shape_drift"]

# controlled degradations: (generator, settings), outputs that must be flagged, outputs that must not
DEGRADED = {
    "flicker": (("degraded", {"base": "simulator", "kind": "flicker", "strength": "0.5"}),
                {"flicker", "warping_error"}, {"motion_smoothness", "identity_drift_slope"}),
    "jitter": (("degraded", {"base": "simulator", "kind": "jitter", "strength": "0.5"}),
               {"motion_accel_px", "warping_error"}, {"identity_drift", "count_error"}),
    "color_drift": (("degraded", {"base": "simulator", "kind": "color_drift", "strength": "0.5"}),
                    {"identity_drift", "color_drift"}, {"motion_smoothness", "motion_accel_px", "count_error"}),
    "vanish": (("degraded", {"base": "simulator", "kind": "vanish", "strength": "0.5"}),
               {"detection_failure_rate"}, {"flicker", "identity_drift", "warping_error"}),
    "too_fast": (("simulator", {"perturb": "speed", "strength": "0.25"}),
                 {"velocity_error", "position_error"}, {"count_error", "color_drift", "identity_drift", "flicker"}),
}


def _declared():
    """output name -> Output, from the registered metrics (the only source)."""
    return {o.name: o for name in METRIC_NAMES for o in METRICS.get(name).outputs}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    path = tmp_path_factory.mktemp("verdicts") / "results.sqlite"
    ids = {}
    with Store(path) as store:
        def run(key, gen, settings, name):
            spec = RunSpec(gen, settings=settings, seeds=SEEDS, metrics=METRIC_NAMES, name=name)
            ids[key] = execute(spec, store, progress=False).run_id

        run("clean", "simulator", {}, "clean")
        run("clean_again", "simulator", {}, "clean-again")
        for key, ((gen, settings), _, _) in DEGRADED.items():
            run(key, gen, settings, key)
        run("blank", "degraded", {"base": "simulator", "kind": "vanish", "strength": "1"}, "blank")
    return path, ids


def _check(path, cand, base, capsys):
    capsys.readouterr()
    code = main(["check", cand, "--baseline", base, "--store", str(path), "--format", "json"])
    rows = json.loads(capsys.readouterr().out)["outputs"]
    return code, {r["metric"]: r for r in rows}


def test_same_real_run_twice_passes_the_gate(runs, capsys):
    path, _ = runs
    code, rows = _check(path, "clean-again", "clean", capsys)
    assert code == 0
    assert not any(r["regressed"] for r in rows.values())
    assert {r["verdict"] for r in rows.values()} <= {"no significant change", "not tested"}


def test_reference_dit_twice_passes_the_gate(tmp_path, capsys):
    store = tmp_path / "dit.sqlite"
    for name in ("night-1", "night-2"):
        assert main(["run", "-g", "reference-dit", "--name", name, "--store", str(store), "--no-progress",
                     "--no-report", "--no-floor", "--metrics", "warping_error,motion,flicker,velocity_error",
                     "--format", "json"]) == 0
    code, rows = _check(store, "night-2", "night-1", capsys)
    assert code == 0 and rows["warping_error"]["verdict"] == "no significant change"


@pytest.mark.parametrize("kind", sorted(DEGRADED))
def test_degraded_run_fails_the_gate_on_what_truly_got_worse(runs, kind, capsys):
    path, _ = runs
    _, must, never = DEGRADED[kind]
    code, rows = _check(path, kind, "clean", capsys)
    flagged = {m for m, r in rows.items() if r["regressed"]}
    assert code == 1
    assert must <= flagged, (kind, must - flagged)
    assert not (never & flagged), (kind, never & flagged)
    declared = _declared()
    for m in flagged:  # only directed outputs, only when worse
        assert rows[m]["verdict"] == WORSE
        assert m == "item_failed" or declared[m].higher_is_better is not None


@pytest.mark.parametrize("kind", sorted(DEGRADED) + ["blank"])
def test_compare_never_calls_a_degraded_run_better(runs, kind):
    path, ids = runs
    with open_store(path) as store:
        cmp = compare_runs(load_run(store, ids["clean"]), load_run(store, ids[kind]))
    declared = _declared()
    directed = cmp[cmp["metric"].map(lambda m: m == "item_failed" or declared[m].higher_is_better is not None)]
    assert not (directed["verdict"] == BETTER).any(), directed[directed["verdict"] == BETTER]
    undirected = cmp[~cmp.index.isin(directed.index)]
    assert not undirected["verdict"].isin([BETTER, WORSE]).any()


def test_less_motion_is_a_trade_off_not_an_improvement(runs):
    """A clip that moves less (frames frozen) flickers and warps less: said so."""
    path, ids = runs
    with open_store(path) as store:
        cmp = compare_runs(load_run(store, ids["clean"]), load_run(store, ids["vanish"])).set_index("metric")
    assert cmp.loc["motion_px", "verdict"] == "lower"
    tradeoffs = cmp[cmp["verdict"] == TRADEOFF]
    assert len(tradeoffs) and all(_declared()[m].motion_confounded for m in tradeoffs.index)


def test_a_generator_that_loses_the_objects_is_never_better_on_physics(runs):
    """Objects gone from every frame after conditioning: the physics means are over
    nothing or a few items; coverage is judged and counts against it."""
    path, ids = runs
    with open_store(path) as store:
        cmp = compare_runs(load_run(store, ids["clean"]), load_run(store, ids["blank"])).set_index("metric")
    physics = {o.name for n in METRIC_NAMES if METRICS.get(n).group == "physics" for o in METRICS.get(n).outputs}
    rows = cmp[cmp.index.isin(physics)]
    assert not rows["verdict"].isin([BETTER, TRADEOFF]).any(), rows[["verdict", "note"]]
    assert cmp.loc["detection_failure_rate", "verdict"] == WORSE
    lost = rows[rows["coverage_b"] < rows["coverage_a"]]
    assert len(lost) and (lost["verdict"] != BETTER).all()
