"""Every metric that gives no number says why: in the terminal, in JSON and in the store.

The weights files here are broken on purpose (random bytes under the real name, or a
loadable checkpoint of the wrong model); nothing is downloaded."""

import json

import numpy as np
import pytest
import torch

from helpers.common import moving_square, run_cli
from vbench_lite.cli.output import _item_skip_lines, collect, group_item_skips
from vbench_lite.errors import UserError
from vbench_lite.io import write_cache
from vbench_lite.runners.execute import RunSummary
from vbench_lite.store import ItemRecord, Store
from vbench_lite.video import Video
from vbench_lite.weights import BACKBONES


@pytest.fixture
def home(tmp_path):
    (tmp_path / "home" / "weights").mkdir(parents=True)
    return tmp_path / "home"


def _env(home):
    return {"VBENCH_LITE_HOME": str(home), "VBENCH_LITE_ALLOW_DOWNLOAD": ""}


def _videos(folder, n=1):
    paths = []
    for i in range(n):
        paths.append(folder / f"clip{i}.npz")
        write_cache(Video(moving_square(t=10, size=40, seed=i)), paths[-1])
    return paths


def test_corrupt_backbone_skips_the_metric_for_the_run_with_the_reason(tmp_path, home):
    (home / "weights" / BACKBONES["clip-vit-b-32"].filename).write_bytes(np.random.bytes(64))
    video, = _videos(tmp_path)
    args = ("eval", video, "--store", tmp_path / "s.sqlite", "--metrics", "clip_consistency,flicker", "--no-progress")
    out = run_cli(*args, env=_env(home))
    assert out.returncode == 0, out.stderr
    line, = [ln for ln in out.stdout.splitlines() if ln.startswith("skipped")]
    assert "clip_consistency" in line and "corrupt" in line and len(line) <= 100  # one terminal line
    assert "1 metric skipped" in out.stdout
    assert "not a safetensors file" in run_cli(*args, "--detail", env=_env(home)).stdout  # the whole reason
    run = json.loads(run_cli(*args, "--format", "json", env=_env(home)).stdout)["runs"][0]
    assert "corrupt" in run["skipped_metrics"]["clip_consistency"]
    assert "not a safetensors file" in run["skipped_metrics"]["clip_consistency"]
    assert run["item_skips"] == [] and "flicker" in run["videos"][0]["scores"]


@pytest.mark.slow  # builds a tiny DINO ViT per video in a subprocess (a few seconds)
def test_metric_failing_per_video_is_shown_grouped(tmp_path, home):
    # a loadable checkpoint that is not DINO passes the header check and fails on each video
    torch.save({"w": torch.zeros(1)}, home / "weights" / BACKBONES["dino-vits16"].filename)
    videos = _videos(tmp_path, 2)
    args = ("eval", *videos, "--store", tmp_path / "s.sqlite", "--metrics", "identity_drift_dino,flicker",
            "--no-progress")
    out = run_cli(*args, env=_env(home))
    assert out.returncode == 0, out.stderr
    line, = [ln for ln in out.stdout.splitlines() if ln.startswith("skipped")]
    assert line.startswith("skipped identity_drift_dino on 2/2 videos: error:") and "DINO" in line
    run = json.loads(run_cli(*args, "--format", "json", env=_env(home)).stdout)["runs"][0]
    assert run["skipped_metrics"] == {}
    group, = run["item_skips"]
    assert group["metric"] == "identity_drift_dino" and group["count"] == 2 and group["scope"] == "video"
    assert "not a DINO ViT checkpoint" in group["reason"] and sorted(group["examples"]) == ["clip0", "clip1"]


def test_failed_download_is_shown_grouped(tmp_path, home, monkeypatch, capsys):
    """Downloads on but the network down: the metric runs, each video fails to get the
    weights, and the one remembered reason is shown once with its count."""
    import urllib.request

    from vbench_lite import weights
    from vbench_lite.cli import main

    calls = []

    def refused(url, timeout):
        calls.append(url)
        raise OSError("connection refused")

    monkeypatch.setenv("VBENCH_LITE_HOME", str(home))
    monkeypatch.setenv("VBENCH_LITE_ALLOW_DOWNLOAD", "1")
    for k in ("HF_HUB_OFFLINE", "VBENCH_LITE_OFFLINE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setattr(urllib.request, "urlopen", refused)
    weights._reset_memo()
    try:
        videos = _videos(tmp_path, 3)
        code = main(["eval", *map(str, videos), "--store", str(tmp_path / "s.sqlite"),
                     "--metrics", "identity_drift_dino,flicker", "--no-progress", "--format", "json"])
    finally:
        weights._reset_memo()
    assert code == 0 and len(calls) == 1  # tried once, not once per video
    group, = json.loads(capsys.readouterr().out)["runs"][0]["item_skips"]
    assert group["metric"] == "identity_drift_dino" and group["count"] == 3
    assert "download of dino_deitsmall16_pretrain.pth failed (connection refused)" in group["reason"]


def test_grouping_and_terminal_lines():
    rows = [{"case_id": f"c{i}", "seed": i % 2, "metric": "motion", "reason": "error: ValueError: boom"}
            for i in range(5)]
    rows += [{"case_id": f"c{i}", "seed": 0, "metric": m, "reason": "needs simulator ground truth"}
             for i in range(2) for m in ("velocity_error", "permanence")]
    rows += [{"case_id": "__set__", "seed": -1, "metric": "fvd", "reason": "needs at least 2 videos, got 1"}]
    groups = group_item_skips(rows)
    assert [(g["metric"], g["count"]) for g in groups] == [("motion", 5), ("fvd", 1), ("permanence", 2),
                                                           ("velocity_error", 2)]
    assert groups[0]["examples"] == ["c0", "c1#1", "c2"] and groups[1]["scope"] == "set"
    lines = _item_skip_lines(groups, n_ok=5)
    assert lines == ["skipped motion on 5/5 videos: error: ValueError: boom",
                     "skipped fvd (whole set): needs at least 2 videos, got 1",
                     "skipped permanence, velocity_error on 2/5 videos: needs simulator ground truth"]
    long = _item_skip_lines([{**groups[0], "reason": "x" * 1000}], n_ok=5)[0]
    assert len(long) < 220 and long.endswith("...")


def test_collect_reads_item_skips_from_the_store(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        store.begin_run("r1", name="n", generator="g", settings={}, suites=[], seeds=[0], metrics={},
                        skipped_metrics={"fvd": "backbone i3d-k400: missing"}, provenance={})
        for cid in ("a", "b"):
            store.write_item("r1", ItemRecord(cid, 0, "ok"), skips={"motion": "error: boom"})
        summary = RunSummary("r1", "n", store.path, total=2, ok=2, skipped_metrics={"fvd": "backbone i3d-k400: missing"})
        data = collect(store, summary)
    assert data["skipped_metrics"] == {"fvd": "backbone i3d-k400: missing"}
    assert data["item_skips"] == [{"metric": "motion", "reason": "error: boom", "count": 2, "examples": ["a", "b"],
                                   "scope": "video"}]


def test_corrupt_raft_file_is_a_one_line_user_error(tmp_path):
    from vbench_lite.metrics._raft import load_raft_file

    bad = tmp_path / "raft.pth"
    bad.write_bytes(b"\x80\x02 truncated")
    with pytest.raises(UserError, match="cannot read weights file"):
        load_raft_file(bad, "raft-small")
