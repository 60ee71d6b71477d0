"""What a new user meets first, piece by piece: honest intervals, one line per failure
reason, status lines before the first video, ambiguous run names, readable worst-case
strips and contact sheets. (The whole picture -- a real run, its report in Chromium --
is tests/test_report_browser.py.)"""

import io
import sys

import numpy as np
import pytest
from PIL import Image

from vbench_lite.cli import main
from vbench_lite.reports.stats import MIN_CI_UNITS, mean_ci
from vbench_lite.store import ItemRecord, Store

QUIET = ["--no-progress", "--no-report", "--no-floor"]


def test_no_interval_below_five_cases_and_the_note_says_why():
    rng = np.random.default_rng(0)
    two = mean_ci([27.84, 16840.0], clusters=["a", "b"])
    assert two.mean == pytest.approx(8433.92) and np.isnan(two.low) and np.isnan(two.high)
    assert two.note == f"2 cases: no interval below {MIN_CI_UNITS}"
    # 8 values from 4 cases (2 seeds each): still 4 resampling units, still no interval
    four = mean_ci(rng.normal(size=8), clusters=np.repeat(list("abcd"), 2))
    assert np.isnan(four.low) and "4 cases" in four.note
    five = mean_ci(rng.normal(size=5), clusters=list("abcde"))
    assert five.low < five.mean < five.high and five.note == ""


def test_empty_folder_is_one_failure_line(tmp_path, capsys):
    """64 cases without a video: one line with the count, not 64 lines."""
    (tmp_path / "empty").mkdir()
    assert main(["run", "-g", "folder", "--set", f"root={tmp_path / 'empty'}", "--suite", "probes-id",
                 "--metrics", "motion", "--store", str(tmp_path / "s.sqlite"), *QUIET]) == 0
    out = capsys.readouterr().out
    failed = [ln for ln in out.splitlines() if ln.startswith("failed")]
    assert len(failed) == 1 and failed[0].startswith("failed 64/64: no video for case <case>")
    assert max(map(len, out.splitlines())) <= 100
    assert main(["run", "-g", "folder", "--set", f"root={tmp_path / 'empty'}", "--suite", "probes-id",
                 "--metrics", "motion", "--store", str(tmp_path / "s.sqlite"), "--detail", *QUIET]) == 0
    detail = capsys.readouterr().out  # the whole reason, with example cases
    assert "in the folder or a manifest row: 64 (bounce-id-000, bounce-id-001, bounce-id-002, ..." in detail


def test_status_lines_say_what_happens_before_the_first_video(tmp_path, capsys, monkeypatch):
    """On a terminal the bar would sit at 0 % while the generator loads and the first
    batch is made: a line says so first (never in pipes: stderr there is for errors)."""
    argv = ["run", "-g", "simulator", "--metrics", "motion", "--no-floor", "--no-report",
            "--store", str(tmp_path / "s.sqlite")]
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "loading simulator and checking settings" in err
    assert "generating 16 videos (batches of" in err and err.index("loading") < err.index("generating")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert main([*argv, "--name", "piped"]) == 0
    assert "vbench-lite: " not in capsys.readouterr().err


def _run(store, run_id, name, seeds):
    store.begin_run(run_id, name=name, generator="toy", settings={}, suites=["s"], seeds=seeds, metrics={},
                    skipped_metrics={}, provenance={})
    store.write_item(run_id, ItemRecord("c0", seeds[0], "ok", suite="s"))
    store.finish_run(run_id, "finished")


def test_ambiguous_run_name_lists_the_candidates(tmp_path, capsys):
    path = tmp_path / "s.sqlite"
    with Store(path) as st:
        _run(st, "aaaa11112222", "floor-default-32x32", [0])
        _run(st, "bbbb33334444", "floor-default-32x32", [0, 1])
        _run(st, "bbbb55556666", "other", [0])
        assert st.run("aaaa")["run_id"] == "aaaa11112222"  # a unique id prefix
        assert st.run("other")["run_id"] == "bbbb55556666"
    assert main(["report", "floor-default-32x32", "--store", str(path), "--no-previews", "--no-exports"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1  # one line: the candidates with what tells them apart
    assert "run name 'floor-default-32x32' is ambiguous" in err
    assert "aaaa11112222 (toy, seeds [0]," in err and "bbbb33334444 (toy, seeds [0, 1]," in err
    assert main(["report", "bbbb", "--store", str(path), "--no-previews", "--no-exports"]) == 2
    assert "run id prefix 'bbbb' is ambiguous" in capsys.readouterr().err
    assert main(["report", "bbbb3", "--store", str(path), "--no-previews", "--no-exports",
                 "-o", str(tmp_path / "r.html")]) == 0


def _png(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def test_worst_case_strip_is_enlarged_numbered_and_beside_the_truth():
    from vbench_lite.reports.previews import MIN_TILE, N_FRAMES, frame_indices, strip_png

    rng = np.random.default_rng(1)
    frames = rng.integers(0, 255, (32, 32, 32, 3), dtype=np.uint8)  # (T, H, W, 3)
    truth = np.zeros_like(frames)
    one = _png(strip_png(frames))
    two = _png(strip_png(frames, truth))
    assert two.shape[0] > 2 * MIN_TILE > one.shape[0] > MIN_TILE  # a second row of tiles
    assert two.shape[1] > one.shape[1]  # the row labels ("generated", "truth")
    assert list(frame_indices(32)) == [0, 4, 9, 13, 18, 22, 27, 31] and N_FRAMES == 8
    # nearest-neighbour enlargement: find the first frame's 3x3 pixel blocks in the strip
    zoom = MIN_TILE // 32
    big = frames[0].repeat(zoom, axis=0).repeat(zoom, axis=1)  # (96, 96, 3)
    hits = np.argwhere((one[:, :, 0] == big[0, 0, 0]) & (one[:, :, 1] == big[0, 0, 1]))
    assert any(np.array_equal(one[y:y + 96, x:x + 96], big) for y, x in hits[:50]), "not an exact enlargement"
    # the frame numbers are drawn above the tiles: dark pixels in the white band
    band = one[:12]
    assert (band.min(axis=2) < 128).sum() > 20


def test_contact_sheet_tiles_are_framed_and_numbered():
    from vbench_lite.cli.probes import contact_sheet

    frames = np.zeros((16, 64, 64, 3), np.uint8)  # black frames: a sheet without borders is all black
    sheet = contact_sheet(frames, per_row=8, fps=10)
    assert sheet.shape[1] >= 8 * 128 and sheet.shape[0] >= 2 * 128
    grey = (sheet == 170).all(axis=2)  # the tiles' frames
    assert grey.sum() > 16 * 4 * 128  # a rule around every tile
    white = (sheet == 255).all(axis=2)
    ink = (sheet.max(axis=2) < 120) & ~(sheet == 0).all(axis=2)  # label text (anti-aliased), not tiles
    assert white.any() and ink.sum() > 100


def test_run_and_report_name_the_file_by_one_rule(tmp_path, capsys):
    store = str(tmp_path / "s.sqlite")
    assert main(["run", "-g", "simulator", "--metrics", "motion", "--no-floor", "--no-progress", "--store", store]) == 0
    written = capsys.readouterr().out.split("report: ")[1].strip()
    assert main(["report", "latest", "--no-exports", "--no-previews", "--store", store]) == 0
    again = capsys.readouterr().err.split("report: ")[1].strip()
    assert again == written and written.endswith(".html") and "[" not in written
