"""What a new user sees after bare `vbench-lite run` (the reference DiT and its simulator
floor) and after comparing two runs: the terminal scorecard fits 40 lines of 100 columns
and is README's transcript, every table is one flag away; both HTML reports load every
image and fit the page in headless Chromium (skipped without `chromium`, a failure under
CI=true).

``VBENCH_LITE_SCREENSHOTS=docs python -m pytest tests/test_report_browser.py`` also
refreshes README's ``docs/report.png`` from this run, and ``VBENCH_LITE_README=update`` its
transcript of bare ``vbench-lite run``.
"""

import io
import os
import re
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from vbench_lite.cli import main
from vbench_lite.cli.run import default_generator

WIDTH = 100


def _main(*argv) -> str:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in argv])
    assert code == 0, err.getvalue()
    return out.getvalue() + err.getvalue()


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """Bare `vbench-lite run` into a fresh store, a second run with other settings, and
    the report comparing them."""
    if default_generator() != "reference-dit":
        pytest.skip("the reference DiT's weights are not shipped in this checkout")
    root = tmp_path_factory.mktemp("real")
    store = root / "vbench_results" / "results.sqlite"
    first = _main("run", "--no-progress", "--store", store)
    run_id = re.search(r"^== \S+ \(run (\w+)\)", first, re.M).group(1)
    report = Path(re.search(r"^report: (.+)$", first, re.M).group(1))
    _main("run", "--no-progress", "--no-report", "--set", "steps=1", "--name", "dit-1-step", "--store", store,
          "--metrics", "warping_error,motion,flicker,identity_drift,velocity_error,permanence")  # fewer: faster
    compare = root / "compare.html"
    again = _main("report", run_id, "dit-1-step", "-o", compare, "--no-exports", "--store", store)
    return {"store": store, "terminal": first, "run_id": run_id, "report": report, "compare": compare,
            "report_terminal": again, "root": root}


README = Path(__file__).resolve().parent.parent / "README.md"
MAX_LINES = 40


def shape(text: str) -> list[str]:
    """Lines with numbers, run ids and spacing masked: what a README transcript shares
    with any fresh run on another machine (times, last digits and column widths vary)."""
    out = []
    for ln in text.strip("\n").splitlines():
        ln = re.sub(r"\b(?=[0-9a-f]*\d)[0-9a-f]{6,12}\b", "<id>", ln)  # run ids, name suffixes
        ln = re.sub(r"\S*(?=vbench_results/)", "", ln)  # the store's folder: ./ in README, a tmp dir here
        ln = re.sub(r"-?\d+(\.\d+)?(e-?\d+)?", "<n>", ln)
        out.append(" ".join(ln.split()))
    return out


def write_transcript(text: str) -> None:
    doc = README.read_text(encoding="utf-8")
    start = doc.index("```text\n$ vbench-lite run\n") + len("```text\n$ vbench-lite run\n")
    README.write_text(doc[:start] + text + "\n" + doc[doc.index("```", start):], encoding="utf-8")


def readme_transcript() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("```text\n$ vbench-lite run\n") + len("```text\n$ vbench-lite run\n")
    return text[start:text.index("```", start)]


@pytest.mark.slow  # the fixture: two real runs (~20 s on 2 cores)
def test_bare_run_prints_the_scorecard_that_readme_shows(real):
    from vbench_lite.reports.scorecard import DIMENSIONS

    text = real["terminal"]  # stdout, then stderr (empty)
    lines = text.strip("\n").splitlines()
    assert len(lines) <= MAX_LINES and max(map(len, lines)) <= WIDTH, (len(lines), max(lines, key=len))
    for dim in DIMENSIONS:  # one line per dimension, none cut
        if not dim.optional:
            row, = [ln for ln in lines if ln.startswith(dim.name + " ")]
            assert not row.endswith(("~", "...")), row
    assert any(ln.startswith("reference: the simulator oracle") for ln in lines)
    assert "worse: " in text and "(1 case)" in text  # a verdict where tested, a count where not
    floor_line, = [ln for ln in lines if ln.startswith("== floor-")]
    assert floor_line.endswith("the reference above")
    assert not any("does not apply to scenario" in ln for ln in lines)
    # README shows this very output (numbers, ids and times aside)
    if os.environ.get("VBENCH_LITE_README") == "update":  # refresh README's transcript from this run
        write_transcript(re.sub(r"\S*(?=vbench_results/)", "", text.strip("\n")))
    assert shape(readme_transcript()) == shape(text)


@pytest.mark.slow
def test_every_table_is_one_flag_away(real, capsys):
    """--detail prints the report's main table (every output, ID/OOD beside the floor)."""
    from vbench_lite.reports.build import main_table
    from vbench_lite.reports.data import floor_scores, load_run, open_store
    from vbench_lite.reports.html import main_display
    from vbench_lite.reports.tables import overall_floor, physics_table, summary_table

    text = _main("report", real["run_id"], "--detail", "--no-previews", "--no-exports", "-o",
                 real["root"] / "detail.html", "--store", real["store"])
    with open_store(real["store"]) as st:
        d = load_run(st, real["run_id"])
        floor = floor_scores(st, d)
        disp = main_display(main_table(summary_table(d), physics_table(d, floor), overall_floor(d, floor)))
    lines = text.splitlines()
    for _, r in disp.iterrows():
        row = [ln for ln in lines if ln.split()[:2] in ([r["output"], r["split"]], [r["output"], r["mean"]])]
        assert len(row) == 1, (r["output"], r["split"])
        for col in ("mean", "95% interval", "floor"):
            assert r[col] in row[0], (r["output"], r["split"], col, row[0])
    assert (disp["split"] == "ID").any() and (disp["95% interval"] == "none (<5 cases)").any()
    flicker, = disp[disp["output"] == "flicker"].to_dict("records")  # the oracle beside temporal outputs too
    assert flicker["floor"] != "" and float(flicker["floor"]) < float(flicker["mean"])
    # `report` prints the scorecard `run` printed
    card = [ln for ln in real["terminal"].splitlines() if ln.startswith(("flicker ", "trajectories "))]
    assert len(card) == 2 and all(ln in real["report_terminal"].splitlines() for ln in card)


def _assert_fits(page: Path, work: Path) -> None:
    from helpers.browser import check_page

    n_img = len(re.findall(r"<img ", page.read_text(encoding="utf-8")))
    for width in (1280, 900):
        seen = check_page(page, work, width=width)
        assert seen["images"] == n_img and seen["loaded"] == n_img, (width, seen["failed"])
        assert seen["page"] <= seen["window"], (width, seen)  # no horizontal scrolling
        assert not seen["overflow"], (width, seen["overflow"])


@pytest.mark.slow
def test_report_opens_on_the_scorecard_coloured_only_by_verdicts(real, tmp_path):
    from helpers.browser import check_page
    from vbench_lite.reports.scorecard_html import COLOURS

    text = real["report"].read_text(encoding="utf-8")
    assert text.index("id='scorecard'") < text.index("<h2>Plots") < text.index("<h2>Summary")
    bars = re.findall(r'<rect class="bar (\w+)"[^>]*fill="([^"]+)"', text)
    assert {c for c, _ in bars} >= {"worse", "untested"}  # tested lines and too-few-case lines
    for cls, fill in bars:  # colour only where a verdict exists
        assert fill == COLOURS["" if cls == "untested" else cls], (cls, fill)
    assert text.count('class="ref"') >= 11  # a reference tick on every dimension
    seen = check_page(real["report"], tmp_path / "first", width=1400, height=900)
    assert seen["card_bottom"] is not None and seen["card_bottom"] <= 900, seen  # the first screen holds it all


@pytest.mark.slow
def test_real_reports_render_in_headless_chromium(real, tmp_path):
    text = real["report"].read_text(encoding="utf-8")
    assert "ID</td>" in text and "OOD</td>" in text and "none (&lt;5 cases)" in text
    assert "generated | truth" in text  # worst cases shown beside the simulator's truth
    assert "Not applicable by design" in text
    _assert_fits(real["report"], tmp_path / "run")
    cmp = real["compare"].read_text(encoding="utf-8")
    assert "Paired comparisons" in cmp and "dit-1-step vs" in cmp
    _assert_fits(real["compare"], tmp_path / "compare")
    shots = os.environ.get("VBENCH_LITE_SCREENSHOTS")
    if shots:  # README's screenshot: the top of the report of bare `vbench-lite run`
        from helpers.browser import screenshot

        screenshot(real["report"], Path(shots) / "report.png", tmp_path, width=1400, height=900)
