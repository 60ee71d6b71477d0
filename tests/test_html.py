"""HTML report: self-contained, escaped, with plots and previews; renders in headless Chromium."""

import re

import numpy as np
import pytest

from vbench_lite.reports import data
from vbench_lite.reports.build import build_report
from vbench_lite.reports.export import to_markdown
from vbench_lite.reports.html import write_report
from helpers.synthetic_store import SyntheticRun, build_store

EVIL = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    root = tmp_path_factory.mktemp("html")
    path = root / "r.sqlite"
    build_store(path, [SyntheticRun("base", seed=1, settings={"steps": 4}),
                       SyntheticRun(EVIL, seed=2, settings={"steps": 8}, shift={"warping_error": 0.01},
                                    fail=0.05, seam_at=5)],
                n_prompt=12, n_probe=8, video_dir=root / "videos")
    return path


@pytest.fixture(scope="module")
def html_file(store_path, tmp_path_factory):
    return write_report(store_path, ["base", "latest"], tmp_path_factory.mktemp("out") / "report.html",
                        exports=True)


@pytest.mark.slow
def test_html_is_self_contained_and_escaped(html_file):
    text = html_file.read_text()
    assert EVIL not in text and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert "<b>test</b>" not in text and "&lt;b&gt;test&lt;/b&gt;" in text  # prompts escaped
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", text)  # nothing fetched from the network
    n_plots = len(re.findall(r'<img class="plot"', text))
    assert n_plots >= 4  # trade-off, 2 timelines, 2 physics, drift
    assert "image/gif" in text and "Worst cases per metric" in text
    assert "Paired comparisons" in text and "worse" in text
    assert "git_rev" in text and "synthetic" in text  # provenance
    assert "backbone DINO not found" in text and "CUDA out of memory" in text


@pytest.mark.slow
def test_exports(html_file):
    folder = html_file.with_name("report_files")
    names = {p.name for p in folder.iterdir()}
    assert {"report.md", "report.json", "summary.csv", "tradeoff.png", "tradeoff.svg", "compare_1.csv"} <= names
    import json
    doc = json.loads((folder / "report.json").read_text())  # strict JSON: NaN became null
    assert doc["runs"][1]["provenance"]["name"] == EVIL
    md = (folder / "report.md").read_text()
    assert "| metric |" in md and "warping_error" in md


def test_markdown_escapes_pipes(store_path):
    with data.open_store(store_path) as st:
        rep = build_report(st, ["base"], previews=False)
    rep.sections[0].failures.loc[0] = ["a|b", 0, "s", "failed", "x\ny"]
    md = to_markdown(rep)
    assert "a\\|b" in md and "x y" in md


@pytest.mark.slow
def test_renders_in_headless_chromium(html_file, tmp_path):
    from helpers.browser import check_page, screenshot

    page = check_page(html_file, tmp_path)
    n_img = len(re.findall(r"<img ", html_file.read_text()))
    assert page["images"] == n_img and page["loaded"] == n_img, page["failed"]  # every image decoded
    assert page["page"] <= page["window"] and not page["overflow"], page["overflow"]
    shot = screenshot(html_file, tmp_path / "shot.png", tmp_path)
    from PIL import Image
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)  # (H, W, 3)
    # plots are drawn in saturated matplotlib colours; a blank or text-only page has none
    saturated = (img.max(axis=2) - img.min(axis=2)) > 80
    assert saturated.mean() > 0.001, "screenshot shows no plot colours"


def test_worst_items_follow_direction(store_path):
    from vbench_lite.reports.previews import worst_items
    with data.open_store(store_path) as st:
        d = data.load_run(st, "base")
    w = worst_items(d).set_index("metric")
    ok = d.scores[d.scores["metric"] == "warping_error"]  # lower is better: worst = max
    assert w.loc["warping_error", "value"] == ok["value"].max()
    clip = d.scores[d.scores["metric"] == "clip_text_score"]  # higher is better: worst = min
    assert w.loc["clip_text_score", "value"] == clip["value"].min()
    assert "motion_px" not in w.index and "fvd" not in w.index  # no direction / set-level
