"""Streaming scoring (issue 24): a video file scored window by window gives the numbers of
the same file decoded whole, bit for bit, at any window size; metrics without an
accumulator are scored on the held frames, within the frame budget; bad files fail as
before; a long video is scored in bounded memory."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import skimage.data

from helpers.streaming import assert_identical, score_whole, write_avi
from helpers.synthetic_clips import pan_video
from vbench_lite.case import Case
from vbench_lite.io import VideoFile
from vbench_lite.metrics import load_metrics
from vbench_lite.metrics.base import LOWER, Metric, Output
from vbench_lite.runners import streaming
from vbench_lite.runners.scoring import score_item

WEIGHT_FREE = ["warping_error", "motion", "flicker", "motion_smoothness", "identity_drift"]
CASE = Case("clip")


def _clips(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(3)
    shake = rng.normal(0, 1.5, (23, 2))
    flicker = pan_video(skimage.data.chelsea(), 23, (0.6, 0.4), size=(72, 120)).astype(np.float32)
    flicker *= (1 + 0.08 * np.sin(np.arange(23) * 2.1))[:, None, None, None]
    return {
        "pan": write_avi(pan_video(skimage.data.astronaut(), 23, size=(72, 120)), tmp_path / "pan.avi"),
        "shake": write_avi(pan_video(skimage.data.coffee(), 23, (2.0, 0.5), size=(64, 96), offsets=shake),
                            tmp_path / "shake.avi"),
        "flicker": write_avi(np.clip(flicker, 0, 255).astype(np.uint8), tmp_path / "flicker.avi"),
        # longest side 800: analysis frames downsampled by 2, as a 480x832 video's are
        "wide": write_avi(pan_video(skimage.data.astronaut(), 9, (3.1, 0.2), size=(96, 800)), tmp_path / "wide.avi"),
    }


def test_streamed_scores_equal_whole_video_at_any_window(tmp_path):
    metrics, skipped = load_metrics(WEIGHT_FREE)
    assert not skipped
    for name, path in _clips(tmp_path).items():
        whole = score_whole(path, CASE, metrics)
        assert len(whole.scores) == 12, name
        for window in (2, 3, 5, 16, 64):
            out = streaming.score_stream(VideoFile(path), CASE, metrics, window=window)
            assert out.error is None and out.read_seconds > 0, (name, out.error)
            assert_identical(whole, out.result)
        # the default path of score_item streams video files
        assert_identical(whole, score_item(VideoFile(path), CASE, metrics).result)


def test_streamed_video_kd_features_equal_whole(tmp_path):
    ref = tmp_path / "ref"
    ref.mkdir()
    for i, img in enumerate((skimage.data.coffee(), skimage.data.chelsea())):
        np.save(ref / f"r{i}.npy", pan_video(img, 12, size=(64, 96)))
    opts = {"video_kd": {"reference_dir": str(ref)}, "video_fd": {"reference_dir": str(ref)}}
    metrics, _ = load_metrics(["video_kd", "video_fd"], opts)
    path = _clips(tmp_path)["shake"]
    whole = score_whole(path, CASE, metrics)
    assert set(whole.features) == {"video_kd", "video_fd"}
    for window in (2, 7, 16):
        out = streaming.score_stream(VideoFile(path), CASE, metrics, window=window)
        assert_identical(whole, out.result)


class _HoldsFrames(Metric):
    """A metric without an accumulator: the streaming runner keeps the frames for it."""

    name = "holds_frames"
    outputs = (Output("mean_level", "[0,255]", LOWER),)

    def compute(self, video, case, ctx):
        return {"mean_level": float(video.frames.mean()) + 1000 * video.num_frames}


def test_metric_without_accumulator_gets_the_whole_video_within_the_budget(tmp_path, monkeypatch):
    metrics, _ = load_metrics(["flicker", "motion"])
    metrics.insert(1, _HoldsFrames())
    path = _clips(tmp_path)["pan"]  # 23 frames
    whole = score_whole(path, CASE, metrics)
    assert [s.metric for s in whole.scores][2] == "mean_level"
    assert_identical(whole, streaming.score_stream(VideoFile(path), CASE, metrics, window=4).result)
    # over the budget: that metric is skipped with the reason, the streamed ones are scored
    monkeypatch.setenv("VBENCH_LITE_MAX_FRAMES", "20")
    out = score_item(VideoFile(path), CASE, metrics)
    assert out.error is None
    assert "holds_frames" in out.result.skips and "more than 20 frames" in out.result.skips["holds_frames"]
    assert "VBENCH_LITE_MAX_FRAMES" in out.result.skips["holds_frames"]
    assert {s.metric for s in out.result.scores} == {s.metric for s in whole.scores} - {"mean_level"}
    # a video read whole (an array) still meets the budget before it is decoded
    np.save(tmp_path / "clip.npy", pan_video(skimage.data.astronaut(), 23, size=(32, 48)))
    refused = score_item(VideoFile(tmp_path / "clip.npy"), CASE, metrics)
    assert refused.result is None and "over the budget of 20" in refused.error


def test_bad_files_fail_as_a_whole_read_does(tmp_path, monkeypatch):
    metrics, _ = load_metrics(["flicker"])
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"not a video at all" * 100)
    tiny = write_avi(np.zeros((6, 4, 16, 3), np.uint8), tmp_path / "tiny.avi")  # under 8 px
    one = write_avi(pan_video(skimage.data.astronaut(), 1, size=(32, 48)), tmp_path / "one.avi")
    cut = write_avi(pan_video(skimage.data.astronaut(), 40, size=(48, 64)), tmp_path / "cut.avi")
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])  # declares 40 frames, holds ~20
    for path in (garbage, tiny, one, cut):
        monkeypatch.setenv(streaming.STREAM_ENV, "0")
        expected = score_item(VideoFile(path), CASE, metrics)
        monkeypatch.delenv(streaming.STREAM_ENV)
        got = score_item(VideoFile(path), CASE, metrics)
        assert expected.result is None and got.result is None and got.error == expected.error, path.name
        assert path.name in got.error
    assert "decoded" in got.error and "of 40 frames" in got.error  # the cut file, named as a whole read names it
    monkeypatch.setenv("VBENCH_LITE_ALLOW_PARTIAL", "1")  # --allow-partial: what decodes is scored, equally
    assert_identical(score_whole(cut, CASE, metrics), score_item(VideoFile(cut), CASE, metrics).result)


MEMORY_SCRIPT = textwrap.dedent("""
    import json, resource, sys, time
    import cv2, numpy as np
    from vbench_lite.case import Case
    from vbench_lite.io import VideoFile
    from vbench_lite.metrics import load_metrics
    from vbench_lite.runners.scoring import score_item

    path, n = sys.argv[1], int(sys.argv[2])
    rng = np.random.default_rng(0)
    tile = cv2.resize(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8), (256, 256), interpolation=cv2.INTER_CUBIC)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 24.0, (64, 64))
    for t in range(n):  # a texture panning 1.3 px/frame, wrapping around: any length
        x, y = int(1.3 * t) % 192, int(0.4 * t) % 192
        writer.write(np.ascontiguousarray(tile[y:y + 64, x:x + 64]))
    writer.release()
    metrics, _ = load_metrics({metrics!r})
    score_item(VideoFile(path), Case("warm"), metrics)  # imports and first-use allocations
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open("/proc/self/clear_refs", "w") as fh:  # reset the peak (VmHWM) to the current RSS
        fh.write("5")
    base = int(dict(line.split(":", 1) for line in open("/proc/self/status"))["VmRSS"].split()[0]) / 1024
    t0 = time.perf_counter()
    out = score_item(VideoFile(path), Case("long"), metrics)
    seconds = time.perf_counter() - t0
    status = dict(line.split(":", 1) for line in open("/proc/self/status"))
    peak = int(status["VmHWM"].split()[0]) / 1024
    rss = int(status["VmRSS"].split()[0]) / 1024
    print(json.dumps({{"error": out.error, "skips": out.result and out.result.skips, "peak_mb": peak,
                      "before_mb": before, "base_mb": base, "rss_mb": rss, "seconds": seconds,
                      "scores": out.result and {{s.metric: [s.value, len(s.timeline) if s.timeline is not None else 0]
                                                for s in out.result.scores}}}}))
""")


def test_3000_frame_video_scored_in_bounded_memory(tmp_path):
    """3,000 frames of 64x64 (a file the frame budget refused before): every weight-free
    metric scores it, and scoring raises the process's peak RSS by < 40 MB over what it
    held after scoring a short clip (whole-video scoring needed ~0.19 MB a frame: 570 MB)."""
    script = tmp_path / "mem.py"
    script.write_text(MEMORY_SCRIPT.format(metrics=WEIGHT_FREE))
    env = {**os.environ, "VBENCH_LITE_MAX_FRAMES": ""}  # the default budget, 2048 frames
    run = subprocess.run([sys.executable, str(script), str(tmp_path / "long.avi"), "3000"], capture_output=True,
                         text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    res = json.loads(run.stdout.strip().splitlines()[-1])
    assert res["error"] is None and res["skips"] == {}
    assert res["scores"]["warping_error"][1] == 2999 and res["scores"]["identity_drift"][1] == 3000
    assert res["scores"]["motion_px"][0] == pytest.approx(np.hypot(1.3, 0.4), rel=0.25)
    assert res["peak_mb"] - res["base_mb"] < 40, res
