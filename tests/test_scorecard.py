"""The scorecard (reports/scorecard.py, cli/scorecard.py): one line per dimension beside
its reference point, verdicts only where a test exists, pooling read from the run's
declarations, 100 columns."""

import numpy as np
import pytest
from vbench_lite.metrics import METRICS
from vbench_lite.reports.data import declared_outputs
from vbench_lite.reports.scorecard import (
    DIMENSIONS,
    load_scorecard,
    pooled_outputs,
    ratio_text,
)

from vbench_lite.store import ItemRecord, ScoreRow, Store

OUTPUTS = {o.name: (o, n) for n in METRICS.names() for o in METRICS.get(n).outputs}


def _row(name, value):
    out, src = OUTPUTS[name]
    return ScoreRow(name, value, out.units, out.higher_is_better, src)


def _write(store, run_id, items, *, role="eval", suite="default"):
    """``items``: [(case_id, split, {output: value})]; declarations are the registered ones."""
    used = {OUTPUTS[n][1] for _, _, vals in items for n in vals}
    store.begin_run(run_id, name=run_id, generator="toy", settings={}, suites=[suite], seeds=[0],
                    metrics={m: METRICS.get(m)().describe() for m in used}, skipped_metrics={}, provenance={},
                    role=role)
    for case_id, split, vals in items:
        store.write_item(run_id, ItemRecord(case_id, 0, "ok", suite=suite, split=split, grp=case_id[:4]),
                         [_row(n, v) for n, v in vals.items()])
    store.finish_run(run_id, "finished")


@pytest.fixture
def probe_store(tmp_path):
    """A probe run and its oracle floor over 8 ID and 8 OOD cases, plus 3 conservation cases."""
    rng = np.random.default_rng(0)
    floor, run = [], []
    for k in range(16):
        split = "id" if k % 2 == 0 else "ood"
        f = {"velocity_error": 0.05 + 0.01 * rng.random(), "flicker": 0.001 * (1 + k),
             "motion_px": 1.0, "position_error": 0.01}
        g = {"velocity_error": 10 * f["velocity_error"] + 0.1 * rng.random(),  # far worse than the oracle
             "flicker": f["flicker"] + (0.0002 if k % 4 < 2 else -0.0002),  # the oracle +- noise: no change
             "motion_px": 2.0, "position_error": 1.0}
        floor.append((f"traj{k:02d}", split, f))
        run.append((f"traj{k:02d}", split, g))
    for k, (name, fv, gv) in enumerate([("count_error", 0.0, 0.5), ("energy_error", 0.1, 30.0),
                                        ("level_error", 0.01, 0.1)]):
        floor.append((f"cons{k}", "id", {name: fv}))
        run.append((f"cons{k}", "id", {name: gv}))
    path = tmp_path / "s.sqlite"
    with Store(path) as st:
        _write(st, "oracle", floor, role="floor")
        _write(st, "gen", run)
    return path


def test_probe_run_reads_every_dimension_against_the_oracle(probe_store):
    with Store(probe_store, readonly=True) as st:
        card = load_scorecard(st, "gen")
    lines = {ln.dimension: ln for ln in card.lines}
    assert "simulator oracle" in card.reference and "oracle" in card.reference
    traj = lines["trajectories"]
    assert set(traj.cells) == {"id", "ood"}
    assert all(c.verdict == "worse" and c.cases == 8 for c in traj.cells.values())
    assert traj.cells["id"].ref == pytest.approx(traj.cells["id"].mean / 10, rel=0.2)
    assert traj.reading.startswith("worse: ") and traj.reading.endswith("the oracle")
    assert np.isfinite(traj.ood_id)
    flick = lines["flicker"]  # the oracle plus symmetric noise: tested, not distinguishable
    assert flick.cells[""].verdict == "same" and flick.reading.startswith("like the oracle")
    motion = lines["motion"]  # undirected: a ratio, never a verdict
    assert motion.cells[""].verdict == "" and "2x the oracle's; no better side" in motion.reading
    cons = lines["conservation"]  # 3 cases: no interval, no verdict, the ratio only
    cell = cons.cells["id"]
    assert cell.cases == 3 and np.isnan(cell.low) and cell.verdict == ""
    assert cell.mean == pytest.approx((0.5 + 30.0 + 0.1) / 3)  # pooled: each case's own relative error
    assert cons.reading and not cons.reading.startswith(("worse", "better", "like"))


def test_pooling_reads_units_and_directions_from_the_declarations(probe_store):
    with Store(probe_store, readonly=True) as st:
        run = st.run("gen")
    decl = declared_outputs(run)
    dims = {d.name: d for d in DIMENSIONS}
    for name in ("trajectories", "conservation"):
        pooled = pooled_outputs(dims[name], decl)
        head = OUTPUTS[pooled[0]][0]
        for o in dims[name].outputs:
            if o in decl.index:
                same = OUTPUTS[o][0].units == head.units and OUTPUTS[o][0].higher_is_better == head.higher_is_better
                assert (o in pooled) == same, (name, o)
    # velocity (world units/s) and position (world units) never share a mean
    assert pooled_outputs(dims["trajectories"], decl) == ("velocity_error",)
    assert set(pooled_outputs(dims["conservation"], decl)) == {"count_error", "area_error", "momentum_error",
                                                              "energy_error", "level_error"}


def test_readings_in_words():
    assert ratio_text(0.15, 0.1, 0.0) == "within 2x"
    assert ratio_text(8.6, 0.1, 0.0) == "86x"
    assert ratio_text(0.61, 1.0, 1.0) == "61% of"
    assert ratio_text(0.0, 0.0, 0.0) == "equal to"
    assert ratio_text(0.5, 0.0, 0.0) == ""  # no ratio to a zero: the reading says "scores 0"
    assert ratio_text(1.2e5, 1.0, 0.0) == "1.2e5x"


def test_eval_run_without_a_reference_says_how_to_get_one(tmp_path):
    from vbench_lite.cli.scorecard import card_lines

    with Store(tmp_path / "s.sqlite") as st:
        _write(st, "ev", [(f"v{k}", "", {"flicker": 0.01 * k, "motion_px": 1.0 + k}) for k in range(6)],
               suite="eval")
        card = load_scorecard(st, "ev")
    assert "--reference DIR" in card.reference and card.ref_name == ""
    assert all(ln.reading == "" and ln.verdict == "" for ln in card.lines)
    text = card_lines(card)
    assert "oracle" not in " ".join(text[1:]) and "reference" not in text[2]


def test_card_fits_100_columns(probe_store):
    from vbench_lite.cli.scorecard import card_lines

    with Store(probe_store, readonly=True) as st:
        card = load_scorecard(st, "gen")
    text = card_lines(card)
    assert max(map(len, text)) <= 100, max(text, key=len)
    rows = [t for t in text if t.split() and t.split()[0] in {"trajectories", "flicker", "conservation", "motion"}]
    assert len(rows) == 4 and all("~" not in r for r in rows)  # readings never cut


def test_vbench_dimension_reads_on_the_board_scale(tmp_path):
    from vbench_lite.reports import vbench_board

    name = "vbench_temporal_flickering"
    if name not in OUTPUTS:
        pytest.skip(f"{name} is not registered in this checkout")
    values = [0.95, 0.96, 0.97, 0.98, 0.99, 0.97]
    with Store(tmp_path / "s.sqlite") as st:
        _write(st, "ev", [(f"v{k}", "", {name: v, "flicker": 0.01}) for k, v in enumerate(values)], suite="eval")
        card = load_scorecard(st, "ev")
    line, = [ln for ln in card.lines if ln.pooled == (name,)]
    lo, hi = vbench_board.NORMALIZE["temporal flickering"]
    assert line.board == pytest.approx((np.mean(values) - lo) / (hi - lo))
    assert line.reading == f"board {line.board:.3f}"  # no reference set: the board is the reference point
    flicker, = [ln for ln in card.lines if ln.dimension == "flicker"]
    assert np.isnan(flicker.board)  # not a VBench dimension: no board value


def test_list_fits_100_columns_and_keeps_file_names_whole(capsys, tmp_path, monkeypatch):
    from vbench_lite.cli import main
    from vbench_lite.weights import BACKBONES

    monkeypatch.setenv("VBENCH_LITE_HOME", str(tmp_path / "home"))  # every backbone missing
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) <= 100, max(lines, key=len)
    for spec in BACKBONES.values():  # each missing file named whole on its backbone's line
        row, = [ln for ln in lines if ln.startswith(f"  {spec.id}: ")]
        assert f"{spec.filename} not found" in row, row


def test_skip_reason_is_cut_at_a_word_never_inside_a_file_name():
    from vbench_lite.cli.output import clip

    text = ("skipped clip_consistency, identity_drift_clip (clip-vit-b-32): weights file "
            "open_clip_model.safetensors not found; put it in /root/.cache/vbench-lite/weights")
    line = clip(text, 80)
    assert len(line) <= 80 and line.endswith("...") and "safet..." not in line
    assert "open_clip_model.safetensors" in line or "open_clip" not in line


@pytest.mark.parametrize("where", ["before", "after", "nested"])
def test_debug_works_before_or_after_the_subcommand(tmp_path, where):
    from vbench_lite.cli import build_parser, main

    argv = {"before": ["--debug", "report", "nope"], "after": ["report", "nope", "--debug"],
            "nested": ["probes", "floor", "--debug"]}[where]
    args = build_parser().parse_args([*argv, "--store", str(tmp_path / "s.sqlite")] if where != "nested" else argv)
    assert args.debug is True
    assert build_parser().parse_args(["report", "nope"]).debug is False
    if where != "nested":  # --debug: the error's traceback instead of one line
        from vbench_lite.errors import UserError

        with pytest.raises(UserError):
            main([*argv, "--store", str(tmp_path / "s.sqlite")])


def test_report_json_carries_the_scorecard(probe_store, tmp_path, capsys):
    import json

    from vbench_lite.cli import main

    assert main(["report", "gen", "--format", "json", "--no-previews", "--no-exports", "-o",
                 str(tmp_path / "r.html"), "--store", str(probe_store)]) == 0
    card, = json.loads(capsys.readouterr().out)["scorecards"]
    traj, = [ln for ln in card["lines"] if ln["dimension"] == "trajectories"]
    assert card["run_id"] == "gen" and traj["verdict"] == "worse" and traj["id_verdict"] == "worse"
    assert traj["id_cases"] == 8 and traj["id_ref"] > 0 and traj["ood_id"] is not None
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert html.index("id='scorecard'") < html.index("<h2>Summary")


def test_mixed_verdicts_name_their_split():
    from vbench_lite.reports.scorecard import Cell, Line, reading

    line = Line("trajectories", "physics", ("velocity_error",), "world units/s", "lower",
                {"id": Cell(mean=8.0, n=6, cases=6, ref=0.1, verdict="worse"),
                 "ood": Cell(mean=0.12, n=6, cases=6, ref=0.1, verdict="same")})
    assert reading(line, 0.0, "the oracle") == "ID worse, OOD like: 80x/<2x the oracle"
    line.cells["ood"].verdict = ""  # too few cases: only ID tested
    assert reading(line, 0.0, "the oracle") == "ID worse: 80x/<2x the oracle"
    line.cells["ood"].ref = float("nan")
    line.cells["id"].ref = float("nan")
    assert reading(line, 0.0, "the oracle") == "no value of the oracle"


def test_bars_are_coloured_by_verdict_and_go_logarithmic_past_two_decades():
    import re

    from vbench_lite.reports.scorecard import Cell, Line
    from vbench_lite.reports.scorecard_html import COLOURS, bars_svg

    def line(verdict, mean, ref):
        return Line("flicker", "temporal", ("flicker",), "u", "lower",
                    {"": Cell(mean=mean, low=mean * 0.9, high=mean * 1.1, n=8, cases=8, ref=ref, verdict=verdict)})

    for verdict in ("worse", "better", "same", ""):
        svg = bars_svg(line(verdict, 2.0, 1.0))
        fill, = re.findall(r'<rect class="bar [^"]*"[^>]*fill="([^"]+)"', svg)
        assert fill == COLOURS[verdict] and 'class="ref"' in svg and ">log<" not in svg
    assert ">log<" in bars_svg(line("worse", 500.0, 1.0))  # 500x the reference: a log scale


def test_long_readings_drop_the_reference_name_before_anything_is_cut():
    from vbench_lite.reports.scorecard import Cell, Line, Scorecard, reading

    from vbench_lite.cli.scorecard import card_lines

    card = Scorecard("r", "r", "reference: the simulator oracle", "the oracle")
    for name in ("rollout drift", "monotone change"):
        cells = {s: Cell(mean=0.123456, low=0.0234567, high=0.3456789, n=9, cases=9, ref=2.2345e-5, verdict="worse")
                 for s in ("id", "ood")}
        ln = Line(name, "physics", ("x",), "u", "lower", cells)
        ln.reading = reading(ln, 0.0, "the oracle")
        card.lines.append(ln)
    text = card_lines(card)
    assert max(map(len, text)) <= 100 and not any(t.endswith("~") for t in text), text
    row, = [t for t in text if t.startswith("rollout drift")]
    assert row.endswith("worse: 5525x/5525x") and "vs oracle" in text[2]


def test_full_table_puts_the_oracle_beside_temporal_outputs_too(probe_store):
    from vbench_lite.cli.output import run_view

    with Store(probe_store, readonly=True) as st:
        main = run_view(st, "gen").main.set_index(["metric", "split"])
    flicker = main.loc[("flicker", "")]
    assert flicker["floor_n"] == 16 and flicker["floor"] == pytest.approx(np.mean([0.001 * (1 + k) for k in range(16)]))
    assert main.loc[("motion_px", ""), "floor"] == pytest.approx(1.0)
