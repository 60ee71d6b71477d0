"""Sweeps that recommend: the front is drawn only between settings whose differences are
significant (reports/front.py), and `sweep` says so when none are, with the setting a
stated rule recommends."""

import numpy as np
from helpers.synthetic_store import SyntheticRun, build_store
from vbench_lite.reports import data, plots, tables
from vbench_lite.reports.front import analyse, sweep_fronts

from vbench_lite.cli import main


def _runs(tmp_path, shifts):
    path = tmp_path / "s.sqlite"
    specs = [SyntheticRun(f"k{i}", seed=i, settings={"k": i}, sweep="sw", noise=0.3,
                          shift={"motion_px": m, "warping_error": w}) for i, (m, w) in enumerate(shifts)]
    build_store(path, specs, floor=False)
    with data.open_store(path) as st:
        return [data.load_run(st, f"k{i}") for i in range(len(shifts))]


def test_two_settings_within_their_intervals_get_no_front(tmp_path):
    runs = _runs(tmp_path, [(0.0, 0.0), (0.01, 0.0002)])  # tiny shifts, noise 30% of the level per item
    labels = plots.setting_labels([d.run for d in runs])
    f = analyse(runs, labels)
    assert not f.distinct.any() and f.segments == []
    text = " ".join(f.sentences())
    assert text.startswith("not distinguishable: no two of the 2 settings") and "no front drawn" in text
    summaries = [tables.summary_table(d) for d in runs]
    # the means alone would draw a front (k=1 moves more, k=0 has less error) ...
    assert plots.tradeoff_figure(summaries, labels).vbench_data["warping_error"]["pareto"].all()
    # ... with the intervals there is none: both points ringed, no front line in the legend
    fronts = sweep_fronts(runs, labels)
    assert set(fronts) == {"warping_error", "flicker"} and not fronts["flicker"].distinct.any()
    fig = plots.tradeoff_figure(summaries, labels, fronts=fronts)
    pts = fig.vbench_data["warping_error"]
    assert pts["not_distinguishable"].all()
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "not distinguishable (within intervals)" in legend and not any("Pareto" in t for t in legend)


def test_a_real_difference_draws_the_front_between_distinguishable_points(tmp_path):
    # k1: more motion and more error (a trade-off); k2: like k1 but much worse error (dominated)
    runs = _runs(tmp_path, [(0.0, 0.0), (2.0, 0.05), (2.0, 0.2)])
    labels = plots.setting_labels([d.run for d in runs])
    f = analyse(runs, labels)
    assert f.distinct[0, 1] and f.on_front.tolist() == [True, True, False]
    assert f.segments == [(0, 1)]
    assert f.sentences()[0] == "front (motion_px vs warping_error): k=0, k=1"


def test_sweep_of_settings_that_change_nothing_says_so_and_names_the_rule(tmp_path, capsys):
    """Dropping 1% of 32 frames drops none: two settings, the same videos, no front (the
    noisy case, differences within the intervals, is the synthetic test above)."""
    store = tmp_path / "s.sqlite"
    assert main(["sweep", "-g", "degraded", "--set", "kind=drop", "--sweep", "strength=0,0.01",
                 "--metrics", "motion,warping_error,flicker", "--no-floor", "--no-progress", "--no-report",
                 "--store", str(store), "--plot", str(tmp_path / "plot")]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert max(map(len, lines)) <= 100
    assert any(ln.startswith("not distinguishable: no two of the 2 settings differ in motion_px, warping_error "
                             "or flicker") for ln in lines), out
    assert any(ln.startswith("rule: the most motion whose warping error stays within 25%") for ln in lines)
    assert any(ln.startswith("chosen: strength=") for ln in lines)
    assert "caution: strength=" in out and "is not distinguishable from strength=" in out
    rows = [ln for ln in lines if ln.startswith(("#1 ", "#2 ")) and " run " not in ln]  # the table's rows
    assert len(rows) == 2 and all(ln.rstrip().endswith(("~#1", "~#2")) for ln in rows), rows
    assert (tmp_path / "plot.png").exists()


def test_pick_over_seeds_gives_intervals_and_says_what_it_cannot_tell_apart(tmp_path, capsys):
    """One image, five seeds: dropping every frame it can (strength 1) moves significantly
    less than the clean clip and is told apart; dropping 1% of 32 frames (none) is not."""
    import json

    from PIL import Image

    img = tmp_path / "product.png"
    a = np.full((48, 64, 3), (40, 60, 90), np.uint8)
    a[16:32, 24:40] = (230, 80, 40)
    Image.fromarray(a).save(img)
    argv = ["pick", "-g", "degraded", "--set", "base=reference-dit", "--set", "kind=drop", "--image", str(img),
            "--sweep", "strength=0,0.01,1", "--seeds", "0-4", "--store", str(tmp_path / "s.sqlite"),
            "--no-progress", "--out", str(tmp_path / "a.npz")]
    assert main([*argv, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["seeds"] == [0, 1, 2, 3, 4]
    clean, _, dropped = doc["settings"]
    lo, hi = clean["motion_px_interval"]  # an interval over the seeds around each mean
    assert lo < clean["motion_px"] < hi and dropped["motion_px"] < clean["motion_px"]
    assert clean["not_distinguishable_from"] == ["strength=0.01"] and dropped["not_distinguishable_from"] == []
    assert any(r.startswith("caution: ") and "is not distinguishable from" in r for r in doc["reason"])
    assert main(argv) == 0  # the same runs (resumed), as a table
    out = " ".join(capsys.readouterr().out.split())
    assert "not distinguishable on it: strength=0 ~ strength=0.01" in out
    assert "[95% interval over seeds]" in out


def test_a_recommendation_off_the_front_says_so(tmp_path):
    """The tolerance rule takes k=1 for a motion gain within noise; its warping error is
    significantly higher, so k=0 dominates it and the caution names k=0."""
    from vbench_lite.cli.sweep_lines import recommendation_lines

    path = tmp_path / "s.sqlite"
    specs = [SyntheticRun(f"k{i}", seed=i, settings={"k": i}, sweep="sw", noise=0.05,
                          shift={"motion_px": 0.01 * i, "warping_error": 0.003 * i}) for i in range(2)]
    build_store(path, specs, floor=False)
    with data.open_store(path) as st:
        runs = [data.load_run(st, f"k{i}") for i in range(2)]
    labels = plots.setting_labels([d.run for d in runs])
    fronts = sweep_fronts(runs, labels)
    f = fronts["warping_error"]
    assert f.on_front.tolist() == [True, False] and f.dominators(1) == [0]
    text = " ".join(recommendation_lines([tables.summary_table(d) for d in runs], labels, fronts))
    assert "chosen: k=1" in text and "caution: k=1 is off the front: k=0 is significantly better" in text
