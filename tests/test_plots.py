"""Plots draw the right numbers: Pareto front, seam peak, floor, drift curves."""

import numpy as np
import pytest

from vbench_lite.reports import data, plots, tables
from helpers.synthetic_store import SyntheticRun, build_store


def test_pareto_front_by_direction():
    x = [1.0, 2.0, 3.0, 2.0]  # motion (more preferred)
    y = [0.1, 0.2, 0.5, 0.3]  # error (less preferred): point 3 is dominated by point 1
    assert plots.pareto_front(x, y).tolist() == [True, True, True, False]
    # if more error were preferred, only the top-right point survives
    assert plots.pareto_front(x, y, y_higher=True).tolist() == [False, False, True, False]


def test_setting_labels_show_only_varying_keys():
    runs = [{"run_id": "a", "settings": {"steps": 4, "cfg": 2}}, {"run_id": "b", "settings": {"steps": 8, "cfg": 2}}]
    assert plots.setting_labels(runs) == ["steps=4", "steps=8"]
    assert plots.setting_labels(runs[:1]) == ["a"]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("plots") / "r.sqlite"
    sweep = [SyntheticRun(f"steps{s}", seed=s, settings={"steps": s}, sweep="sw1",
                          shift={"motion_px": 0.3 * s, "warping_error": 0.004 * s - (0.01 if s == 4 else 0)})
             for s in (1, 2, 4, 8)]
    build_store(path, [*sweep, SyntheticRun("seam", seed=9, seam_at=7)])
    with data.open_store(path) as st:
        yield st


def test_tradeoff_figure_marks_front(store, tmp_path):
    runs = [data.load_run(store, f"steps{s}") for s in (1, 2, 4, 8)]
    fig = plots.tradeoff_figure([tables.summary_table(d) for d in runs], plots.setting_labels([d.run for d in runs]))
    pts = fig.vbench_data["warping_error"]
    assert list(pts["label"]) == ["steps=1", "steps=2", "steps=4", "steps=8"]
    # steps=4 has more motion than steps=2 and less warping error: steps=2 is dominated
    assert pts.set_index("label")["pareto"].to_dict() == {"steps=1": True, "steps=2": False,
                                                          "steps=4": True, "steps=8": True}
    assert "flicker" in fig.vbench_data
    png, svg = plots.save_figure(fig, tmp_path / "tradeoff")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and b"<svg" in svg.read_bytes()[:500]


def test_seam_is_visible_in_timeline(store):
    seam = plots.timeline_figure(data.load_timelines(store, "seam-9", "warping_error"))
    assert seam.vbench_data["peak"] == 7
    mean = seam.vbench_data["mean"]
    assert mean[7] > 3 * np.median(mean)
    calm = plots.timeline_figure(data.load_timelines(store, "steps1-1", "warping_error"))
    assert calm.vbench_data["mean"].max() < 1.5 * np.median(calm.vbench_data["mean"])


def test_physics_and_drift_figures(store):
    d = data.load_run(store, "seam")
    phys = tables.physics_table(d, data.floor_scores(store, d))
    fig = plots.physics_figure(phys)
    assert fig is not None and set(fig.vbench_data["split"]) == {"id", "ood"}
    assert fig.vbench_data["floor"].notna().all()
    drift = plots.drift_figure({"seam": data.load_timelines(store, "seam-9", "identity_drift")})
    curve = drift.vbench_data["seam"]
    assert curve[0] == pytest.approx(0) and np.all(np.diff(curve) > 0)  # drift grows over time
    assert plots.png_bytes(drift)[:4] == b"\x89PNG"


def test_empty_inputs_give_no_figure():
    import pandas as pd
    assert plots.physics_figure(pd.DataFrame()) is None
    assert plots.drift_figure({}) is None
    assert plots.tradeoff_figure([pd.DataFrame(columns=tables.SUMMARY_COLUMNS)], ["x"]) is None


def test_rollout_seams_are_marked_on_the_timeline():
    import numpy as np
    import pandas as pd

    from vbench_lite.generators.dit.windows import seam_pairs
    from vbench_lite.reports.plots import timeline_figure

    assert seam_pairs(32, 16, 4) == [15, 27]  # windows start at 0, 12, 24
    assert seam_pairs(16, 16, 4) == []
    tl = pd.DataFrame({"case_id": ["a", "b"], "seed": [0, 0], "value": [1.0, 2.0],
                       "timeline": [np.ones(31), np.ones(31) * 2]})
    fig = timeline_figure(tl, seams=seam_pairs(32, 16, 4))
    lines = [ln for ln in fig.axes[0].get_lines() if ln.get_linestyle() == ":"]
    assert sorted(ln.get_xdata()[0] for ln in lines) == [15, 27]


def test_report_reads_the_seams_the_run_recorded():
    """The runner records the generator's declared seams in the run's provenance;
    the report reads them from there (reports never import generators)."""
    from vbench_lite.reports.build import _seams

    assert _seams({"provenance": {"seams": [15, 27]}}) == [15, 27]
    assert _seams({"provenance": {"seams": []}}) == []
    assert _seams({"provenance": {}}) is None and _seams({}) is None


def _phys(metric, means, lows=(np.nan, np.nan), highs=(np.nan, np.nan), floors=(np.nan, np.nan), n=(1, 1),
          n_items=(1, 1)):
    import pandas as pd

    return pd.DataFrame({"metric": metric, "split": ["id", "ood"], "units": "fraction", "direction": "lower",
                         "n": list(n), "n_items": list(n_items), "mean": list(means), "ci_low": list(lows),
                         "ci_high": list(highs), "floor": list(floors), "floor_n": [1, 1], "note": ""})


def test_physics_panels_read_at_a_glance():
    """27.8 next to 16,840 gets a log axis; a panel of zeros or without values says so in
    words; the legend sits above the panels, never on a bar."""
    import pandas as pd

    phys = pd.concat([
        _phys("energy_error", [27.84, 16840.0], floors=[0.04, 0.08]),
        _phys("area_error", [0.6, 0.63], lows=[0.5, 0.55], highs=[0.7, 0.7], n=(6, 6), n_items=(6, 6),
              floors=[0.01, 0.02]),
        _phys("permanence", [0.0, 0.0], floors=[1.0, 1.0]),
        _phys("reemergence_position_error", [np.nan, np.nan], n=(0, 0), n_items=(1, 1)),
    ], ignore_index=True)
    fig = plots.physics_figure(phys)
    assert fig.vbench_log == {"energy_error": True, "area_error": False, "permanence": False,
                              "reemergence_position_error": False}
    axes = {ax.get_title().split(" (")[0]: ax for ax in fig.axes}
    assert axes["energy_error"].get_yscale() == "log" and axes["energy_error"].get_title().endswith("(log scale)")
    texts = {ax: [t.get_text() for t in ax.texts] for ax in fig.axes}
    assert "27.8" in texts[axes["energy_error"]] and "1.68e+04" in texts[axes["energy_error"]]
    assert "mean 0 in ID and OOD" in texts[axes["permanence"]]
    assert texts[axes["reemergence_position_error"]] == ["no value\non 1 item"] * 2
    assert [t.get_text() for t in axes["area_error"].get_xticklabels()] == ["ID\nn=6/6", "OOD\nn=6/6"]
    assert len(fig.legends) == 1 and all(ax.get_legend() is None for ax in fig.axes)
    assert fig.get_figwidth() * plots.DPI <= 1150  # inside the report's column: never scaled down


def test_sweep_points_are_named_in_one_legend_not_on_top_of_each_other(store):
    runs = [data.load_run(store, f"steps{s}") for s in (1, 2, 4, 8)]
    fig = plots.tradeoff_figure([tables.summary_table(d) for d in runs], plots.setting_labels([d.run for d in runs]))
    legend, = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["steps=1", "steps=2", "steps=4", "steps=8", "Pareto front"]
    assert all(not ax.texts for ax in fig.axes)  # no per-point annotations to collide
