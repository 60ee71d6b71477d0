"""`vbench-lite report / compare / check` end to end on a store with a planted regression."""

import json

import pytest

from vbench_lite.cli import main
from helpers.synthetic_store import SyntheticRun, build_store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "r.sqlite"
    build_store(path, [SyntheticRun("nightly-1", seed=1), SyntheticRun("nightly-2", seed=2),
                       SyntheticRun("nightly-3", seed=3, shift={"warping_error": 0.006})],
                n_prompt=20, n_probe=10)
    return path


def test_check_exit_codes(store, capsys, tmp_path):
    s = ["--store", str(store)]
    assert main(["check", "nightly-2", "--baseline", "nightly-1", *s]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["check", "--baseline", "latest", *s]) == 1  # nightly-3 vs nightly-2
    out = capsys.readouterr().out
    assert "REGRESSED: 1 output" in out and "warping_error" in out and "flicker" not in out
    th = tmp_path / "th.toml"
    th.write_text("[metrics.warping_error]\nrel = 0.5\n")
    assert main(["check", "--baseline", "nightly-2", "--thresholds", str(th), *s]) == 0
    th.write_text("[default]\nrel = 'x'\n")
    assert main(["check", "--baseline", "nightly-2", "--thresholds", str(th), *s]) == 2
    assert "rel must be a number" in capsys.readouterr().err
    assert main(["check", "--baseline", "nope", *s]) == 2
    assert "no run 'nope'" in capsys.readouterr().err


def test_check_json_lists_every_output(store, capsys):
    assert main(["check", "--baseline", "nightly-2", "--format", "json", "--store", str(store)]) == 1
    doc = json.loads(capsys.readouterr().out)
    rows = doc["outputs"]
    assert doc["code"] == 1 and doc["lost"] == [] and doc["mismatch"] is None
    regressed = {r["metric"] for r in rows if r["regressed"]}
    assert regressed == {"warping_error"} and len(rows) > 5


def test_compare_prints_verdicts(store, capsys):
    assert main(["compare", "nightly-1", "nightly-2", "nightly-3", "--format", "csv", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert out.count("metric,units,direction") == 2 and "worse" in out
    assert main(["compare", "nightly-1", "--store", str(store)]) == 2


def test_compare_and_check_fit_100_columns_with_every_column_one_flag_away(store, capsys):
    s = ["--store", str(store)]
    assert main(["compare", "nightly-1", "nightly-3", *s]) == 0
    out = capsys.readouterr().out
    assert max(map(len, out.splitlines())) <= 100 and "warping_error" in out and "worse" in out
    assert main(["compare", "nightly-1", "nightly-3", "--detail", *s]) == 0
    assert "ci_low" in capsys.readouterr().out
    assert main(["check", "nightly-3", "--baseline", "nightly-2", "--all", *s]) == 1
    out = capsys.readouterr().out
    assert max(map(len, out.splitlines())) <= 100 and "tolerance" in out


@pytest.mark.slow
def test_report_writes_html_and_exports(store, capsys, tmp_path):
    out = tmp_path / "rep.html"
    assert main(["report", "nightly-1", "nightly-3", "-o", str(out), "--store", str(store)]) == 0
    text = capsys.readouterr().out
    assert "\nwarping " in text and "== nightly-3" in text  # the scorecard's line
    assert out.exists() and (tmp_path / "rep_files" / "summary.csv").exists()
    assert "<img class=\"plot\"" in out.read_text()


def test_missing_store_is_a_clear_error(tmp_path, capsys):
    assert main(["report", "latest", "--store", str(tmp_path / "none.sqlite")]) == 2
    assert "no results store" in capsys.readouterr().err


def test_baseline_latest_skips_unfinished_and_other_suites(tmp_path, capsys):
    from vbench_lite.store import Store
    path = tmp_path / "b.sqlite"
    build_store(path, [SyntheticRun("old", seed=1), SyntheticRun("crashed", seed=2),
                       SyntheticRun("tonight", seed=3)], n_prompt=10, n_probe=4)
    with Store(path) as st:
        st.finish_run("crashed-2", "failed")
    assert main(["check", "--baseline", "latest", "--store", str(path)]) == 0
    assert "tonight vs baseline old" in capsys.readouterr().out


def test_sweep_plots_the_grid(tmp_path, capsys):
    """A real sweep: one run per grid point through the runner, the runs' ids, their
    HTML report and the motion-vs-flicker plot."""
    path = tmp_path / "s.sqlite"
    stem = tmp_path / "plots" / "sw"
    assert main(["sweep", "-g", "simulator", "--set", "perturb=speed", "--sweep", "strength=0,0.3",
                 "--metrics", "warping_error,motion,flicker", "--no-progress", "--no-floor",
                 "--store", str(path), "--plot", str(stem)]) == 0
    assert (tmp_path / "plots" / "sw.png").exists() and (tmp_path / "plots" / "sw.svg").exists()
    out, err = capsys.readouterr()
    assert "simulator[strength=0]" in out and "simulator[strength=0.3]" in out
    assert out.count("  run ") == 2 and "report: " in err  # each grid point's run id, and the report
    assert "sweep-" in err.split("report: ")[1].split("\n")[0]  # the report is named after the sweep
    assert max(map(len, out.splitlines())) <= 100
    assert main(["sweep", "--store", str(path)]) == 2  # no --sweep: a clear error
