"""Long videos in the report (issue 24): a 2,600-frame video (over the old frame budget) is
evaluated through the streaming path, its stored timelines are cut into segments at
report time, and the segment where flicker was injected is named the worst; short clips
get no segment view."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from vbench_lite.reports.build import build_report
from vbench_lite.reports.segments import run_segments, segment_means, segment_spans, worst_segments
from vbench_lite.runners.evaluate import eval_spec_and_generator
from vbench_lite.runners.execute import execute, prepare
from vbench_lite.store import Store

METRICS = ["flicker", "warping_error", "identity_drift"]


def test_segment_spans_and_means():
    assert segment_spans(7, 3) == [(0, 3), (3, 6), (6, 7)]
    np.testing.assert_array_equal(segment_means(np.array([1, 2, 3, 4, np.nan, 6, 9.0]), 3), [2.0, 5.0, 9.0])
    with pytest.raises(ValueError, match="segment length"):
        segment_spans(5, 0)


def _long_video(path: Path, n: int, broken: range) -> Path:
    """A texture panning 1 px/frame (wrapping around), brightness flickering in ``broken``."""
    rng = np.random.default_rng(1)
    tile = cv2.resize(rng.integers(0, 256, (24, 24, 3), dtype=np.uint8), (192, 128), interpolation=cv2.INTER_CUBIC)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 24.0, (64, 48))
    for t in range(n):
        f = np.roll(tile, t, axis=1)[:48, :64].astype(np.float32)
        if t in broken:
            f *= 1.0 + 0.25 * (t % 2)
        writer.write(np.clip(f, 0, 255).astype(np.uint8))
    writer.release()
    return path


def _eval(files, store, tmp_path):
    spec, gen, cases = eval_spec_and_generator([Path(f) for f in files], metrics=METRICS)
    return execute(prepare(spec, generator=gen, cases=cases), store, cache_dir=tmp_path / "cache", progress=False)


def test_long_video_segments_name_the_broken_one(tmp_path, monkeypatch):
    monkeypatch.delenv("VBENCH_LITE_MAX_FRAMES", raising=False)  # the default budget: 2048 frames
    folder = tmp_path / "videos"
    folder.mkdir()
    _long_video(folder / "rollout.avi", 2600, range(1500, 1560))
    store = Store(tmp_path / "r.sqlite")
    summary = _eval([folder], store, tmp_path)
    assert summary.ok == 1, store.items(summary.run_id)
    segs = run_segments(store, summary.run_id, 240)
    assert set(segs["output"]) >= {"flicker", "warping_error", "identity_drift", "frame_difference"}
    assert len(segs[segs["output"] == "flicker"]) == 11  # 2599 pairs in segments of 240
    worst = worst_segments(segs).set_index("output")
    assert worst.loc["flicker", "frames"] == "1440-1679" and worst.loc["flicker", "ratio"] > 3
    assert "frame_difference" not in worst.index  # no direction: never "worst"
    report = build_report(store, [summary.run_id], previews=False, segment_frames=240)
    assert "segments_0" in report.figures
    caption = report.captions["segments_0"]
    assert "flicker: rollout" in caption and "frames 1440-1679" in caption
    # a shorter segment length is a report-time choice: no rescoring
    worst60 = worst_segments(run_segments(store, summary.run_id, 60)).set_index("output")
    assert worst60.loc["flicker", "frames"] in {"1500-1559"}


def test_short_clips_have_no_segment_view(tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    _long_video(folder / "short.avi", 40, range(10, 20))
    store = Store(tmp_path / "r.sqlite")
    summary = _eval([folder], store, tmp_path)
    assert summary.ok == 1
    assert run_segments(store, summary.run_id, 240).empty
    assert not any(k.startswith("segments") for k in build_report(store, [summary.run_id], previews=False).figures)


def test_report_cli_takes_a_segment_length(tmp_path):
    from helpers.common import run_cli

    folder = tmp_path / "videos"
    folder.mkdir()
    _long_video(folder / "rollout.avi", 800, range(400, 430))
    store = tmp_path / "r.sqlite"
    run = run_cli("eval", str(folder), "--metrics", "flicker", "--store", str(store), "--no-progress")
    assert run.returncode == 0, run.stderr[-2000:]
    html = tmp_path / "report.html"
    run = run_cli("report", "latest", "--store", str(store), "--segment-frames", "100", "--no-previews",
                  "--no-exports", "-o", str(html))
    assert run.returncode == 0, run.stderr[-2000:]
    assert "100-frame segments" in html.read_text() and "frames 400-499" in html.read_text()
    bad = run_cli("report", "latest", "--store", str(store), "--segment-frames", "0")
    assert bad.returncode == 2 and "--segment-frames 0" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
