"""The command line: help, one-line errors, eval over bad inputs, JSON output."""

import json
import sqlite3

import pytest

from helpers.common import moving_square, run_cli
from helpers.bad_videos import bad_inputs
from vbench_lite.io import write_cache
from vbench_lite.video import Video


@pytest.mark.parametrize("sub", ["run", "eval", "list"])
def test_help(sub):
    out = run_cli(sub, "--help")
    assert out.returncode == 0 and "usage" in out.stdout


def test_user_errors_are_one_line(tmp_path):
    out = run_cli("run", "--generator", "simulater", "--store", tmp_path / "s.sqlite")
    assert out.returncode == 2 and "did you mean 'simulator'" in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    out = run_cli("--debug", "run", "--generator", "simulater", "--store", tmp_path / "s.sqlite")
    assert "Traceback" in out.stderr
    out = run_cli("run", "--seeds", "x", "--store", tmp_path / "s.sqlite")
    assert out.returncode == 2 and "--seeds" in out.stderr


def test_eval_bad_inputs_go_on_and_keep_the_store_sound(tmp_path):
    bad = bad_inputs(tmp_path / "bad")
    good = tmp_path / "good.npz"
    write_cache(Video(moving_square(t=10, size=40)), good)
    store = tmp_path / "s.sqlite"
    paths = [good, *[p for k, p in bad.items() if k not in ("missing path",)]]
    out = run_cli("eval", *paths, "--store", store, "--metrics", "flicker", "--format", "json", "--no-progress")
    assert out.returncode == 0, out.stderr
    run = json.loads(out.stdout)["runs"][0]
    assert run["ok"] >= 1 and run["failed"] >= 11
    by_id = {v["case_id"]: v for v in run["videos"]}
    assert by_id["good"]["status"] == "ok" and "flicker" in by_id["good"]["scores"]
    assert by_id["good"]["scores"]["flicker"]["higher_is_better"] is False
    for v in run["videos"]:
        if v["status"] == "failed":
            assert v["error"] and "\n" not in v["error"]
    with sqlite3.connect(store) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # the same command again resumes: nothing doubled
    again = run_cli("eval", *paths, "--store", store, "--metrics", "flicker", "--format", "json", "--no-progress")
    with sqlite3.connect(store) as c:
        assert c.execute("SELECT COUNT(*) FROM items").fetchone()[0] == len(paths)
    assert again.returncode == 0
    # --fail-on-error makes failures an exit code
    assert run_cli("eval", *paths, "--store", store, "--metrics", "flicker", "--fail-on-error",
                   "--no-progress").returncode == 1


def test_eval_missing_path_is_a_user_error(tmp_path):
    out = run_cli("eval", tmp_path / "nope.mp4", "--store", tmp_path / "s.sqlite")
    assert out.returncode == 2 and "no such file" in out.stderr


def test_eval_folder_of_videos_with_prompts_prints_table(tmp_path):
    vids = tmp_path / "vids"
    for i in range(3):
        write_cache(Video(moving_square(seed=i)), vids / f"clip {i}.npz")
    prompts = tmp_path / "p.json"
    prompts.write_text(json.dumps({"clip 0.npz": "a red square moves right"}))
    out = run_cli("eval", vids, "--prompts", prompts, "--store", tmp_path / "s.sqlite", "--metrics", "flicker",
                  "--no-progress")
    assert out.returncode == 0, out.stderr
    assert "flicker " in out.stdout and "(3 cases)" in out.stdout and "results store:" in out.stdout
    assert "reference: none (give --reference DIR" in out.stdout  # the scorecard says how to get one
    detail = run_cli("eval", vids, "--prompts", prompts, "--store", tmp_path / "s.sqlite", "--metrics", "flicker",
                     "--no-progress", "--detail")  # every video's value: one flag away
    assert "clip_0" in detail.stdout and "better" in detail.stdout


def test_list_backbones_says_corrupt_missing_and_pinned(tmp_path):
    from vbench_lite.weights import BACKBONES

    home = tmp_path / "home"
    (home / "weights").mkdir(parents=True)
    (home / "weights" / BACKBONES["clip-vit-b-32"].filename).write_bytes(b"\x00\x01 not weights")
    (home / "weights" / BACKBONES["raft-small"].filename).write_bytes(b"<html>quota exceeded</html>")
    env = {"VBENCH_LITE_HOME": str(home), "VBENCH_LITE_ALLOW_DOWNLOAD": ""}
    out = run_cli("list", "backbones", env=env)
    assert out.returncode == 0, out.stderr
    lines = {ln.split(":")[0].strip(): ln for ln in out.stdout.splitlines()[1:]}
    assert "corrupt (not pinned)" in lines["clip-vit-b-32"] and "not a safetensors file" in lines["clip-vit-b-32"]
    assert "corrupt (pinned sha256)" in lines["raft-small"] and "HTML" in lines["raft-small"]
    assert "missing (not pinned)" in lines["dino-vits16"]
    rows = {r["name"]: r for r in json.loads(run_cli("list", "backbones", "--format", "json", env=env).stdout)["backbones"]}
    assert rows["clip-vit-b-32"]["status"] == "corrupt" and rows["clip-vit-b-32"]["available"] is False
    assert rows["raft-small"]["pinned"] is True and rows["i3d-k400"]["status"] == "missing"


def test_reader_leaving_the_pipe_is_not_an_error(monkeypatch, tmp_path, capsys):
    """`vbench-lite list metrics | head -1`: the closed pipe ends the command quietly."""
    import io

    from vbench_lite.cli import main

    sink = open(tmp_path / "sink", "w")

    class ClosedPipe(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self):
            return sink.fileno()

    monkeypatch.setattr("sys.stdout", ClosedPipe())
    assert main(["list", "metrics"]) == 0
    assert "Broken pipe" not in capsys.readouterr().err
