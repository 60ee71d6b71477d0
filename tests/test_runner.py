"""The runner: store contents, resume without doubling, failures recorded, SIGKILL + resume."""

import os
import json
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest

from helpers.common import command_argv, moving_square, write_prompt_suite
from vbench_lite.case import Case
from vbench_lite.generators.base import Capabilities, Generator
from vbench_lite.metrics import METRICS, Metric, Output, Score
from vbench_lite.runners.execute import execute
from vbench_lite.runners.plan import RunSpec, expand, parse_seeds, parse_sweep
from vbench_lite.store import Store
from vbench_lite.video import Video


class MeanBrightness(Metric):
    name = "test_mean_brightness"
    outputs = (Output("test_mean_brightness", "[0,255]", True),)
    default = False

    def compute(self, video, case, ctx):
        per_frame = video.frames.reshape(video.num_frames, -1).mean(1)
        return {"test_mean_brightness": Score(float(per_frame.mean()), per_frame)}


@pytest.fixture
def mean_brightness():
    """``test_mean_brightness`` in the metric registry for one test, removed afterwards
    (importing this module changes no global state). Only in-process scoring sees it:
    spawned worker processes import a fresh registry, so worker tests use built-ins."""
    METRICS.register("test_mean_brightness", MeanBrightness)
    yield "test_mean_brightness"
    METRICS.unregister("test_mean_brightness")


class ToyGenerator(Generator):
    name = "toy"
    settings = {"gain": 1.0}

    def __init__(self):
        super().__init__()
        self.calls = []

    @property
    def capabilities(self):
        return Capabilities(max_batch=3)

    def generate(self, cases, settings):
        self.calls.append([c.case_id for c in cases])
        out = []
        for c in cases:
            if "boom" in c.case_id:
                out.append(RuntimeError("boom case"))
            elif "nan" in c.case_id:
                f = moving_square().astype(np.float32) / 255
                f[0, 0, 0, 0] = np.nan
                out.append(f)
            elif "short" in c.case_id:
                out.append(Video(moving_square(t=3), 10.0))
            else:
                out.append(Video(np.clip(moving_square(seed=c.seed) * settings["gain"], 0, 255).astype(np.uint8)))
        return out


def _cases(ids):
    return [Case(cid, suite="t") for cid in ids]


def test_run_writes_store_and_resume_does_not_double(tmp_path, mean_brightness):
    store = Store(tmp_path / "r.sqlite")
    spec = RunSpec("toy", seeds=[0, 1], metrics=["test_mean_brightness"], name="t1")
    gen = ToyGenerator()
    s1 = execute(spec, store, generator=gen, cases=_cases(["a", "b", "boom", "nan"]), progress=False)
    assert (s1.total, s1.ok, s1.failed) == (8, 4, 4)
    assert any("boom case" in r for r in s1.failure_reasons) and any("NaN" in r for r in s1.failure_reasons)
    rows = store.scores(s1.run_id, with_timelines=True)
    assert len(rows) == 4 and all(r["timeline"].shape == (8,) for r in rows)
    run = store.run(s1.run_id)
    assert run["status"] == "finished" and run["provenance"]["package_version"]
    assert run["metrics"]["test_mean_brightness"]["version"] == "1"
    gen2 = ToyGenerator()
    s2 = execute(spec, store, generator=gen2, cases=_cases(["a", "b", "boom", "nan"]), progress=False,
                 retry_failed=False)
    assert s2.run_id == s1.run_id and gen2.calls == [] and s2.resumed_items == 8
    assert len(store.scores(s1.run_id)) == 4 and len(store.items(s1.run_id)) == 8
    # by default a resume retries what failed (the user may have fixed the cause), and only that
    gen3 = ToyGenerator()
    s3 = execute(spec, store, generator=gen3, cases=_cases(["a", "b", "boom", "nan"]), progress=False)
    assert sorted(c for call in gen3.calls for c in call) == ["boom", "boom", "nan", "nan"]
    assert s3.failed == 4 and len(store.items(s1.run_id)) == 8
    # a different setting is a different run, same store
    s4 = execute(RunSpec("toy", settings={"gain": "0.5"}, metrics=["test_mean_brightness"], name="t1"), store,
                 generator=ToyGenerator(), cases=_cases(["a"]), progress=False)
    assert s4.run_id != s1.run_id
    v_full = [r["value"] for r in store.scores(s1.run_id) if r["case_id"] == "a" and r["seed"] == 0][0]
    v_half = store.scores(s4.run_id)[0]["value"]
    assert v_half < v_full


def test_run_records_the_generators_seams(tmp_path, mean_brightness):
    class Windowed(ToyGenerator):
        def seams(self, settings, num_frames):
            return [num_frames // 2 - 1]

    store = Store(tmp_path / "r.sqlite")
    s = execute(RunSpec("toy", metrics=["test_mean_brightness"]), store, generator=Windowed(),
                cases=_cases(["a"]), progress=False)
    assert store.run(s.run_id)["provenance"]["seams"] == [15]  # the default render: 32 frames
    s = execute(RunSpec("toy", metrics=["test_mean_brightness"], name="plain"), store, generator=ToyGenerator(),
                cases=_cases(["a"]), progress=False)
    assert store.run(s.run_id)["provenance"]["seams"] == []


def test_cached_videos_are_reused_after_losing_store_rows(tmp_path, mean_brightness):
    store = Store(tmp_path / "r.sqlite")
    spec = RunSpec("toy", metrics=["test_mean_brightness"])
    execute(spec, store, generator=ToyGenerator(), cases=_cases(["a", "b"]), progress=False)
    # simulate a crash between caching a video and writing its item
    store.conn.execute("DELETE FROM items WHERE case_id='b'")
    gen = ToyGenerator()
    s = execute(spec, store, generator=gen, cases=_cases(["a", "b"]), progress=False)
    assert gen.calls == [] and s.ok == 2


def test_probe_cases_with_wrong_shape_fail_clearly(tmp_path, mean_brightness):
    store = Store(tmp_path / "r.sqlite")
    case = Case("short-probe", num_frames=8, height=32, width=32, truth=object())
    s = execute(RunSpec("toy", metrics=["test_mean_brightness"]), store, generator=ToyGenerator(),
                cases=[case], progress=False)
    assert s.failed == 1 and "needs (8, 32, 32)" in next(iter(s.failure_reasons))


def test_plan_parsing():
    assert parse_seeds("0-2,5") == [0, 1, 2, 5]
    grid = parse_sweep(["steps=4,8", "guidance=1,2"])
    specs = expand(RunSpec("toy", settings={"x": "1"}), grid)
    assert len(specs) == 4 and len({s.sweep for s in specs}) == 1
    assert {s.settings["steps"] for s in specs} == {"4", "8"}


def test_sigkill_mid_run_then_resume(tmp_path):
    """Kill a real CLI run with SIGKILL part-way; the same command finishes the rest,
    with nothing doubled and nothing generated twice that was already stored."""
    n = 8
    suite = write_prompt_suite(tmp_path / "suite.toml", {f"c{i}": f"prompt {i}" for i in range(n)})
    log = tmp_path / "calls.log"
    store = tmp_path / "store.sqlite"
    argv = ["-m", "vbench_lite", "run", "--generator", "command", "--suite", str(suite), "--store", str(store),
            "--set", "argv=" + command_argv("--sleep", "0.4", "--log", str(log), "--frames", "8"),
            "--set", "ext=.npz", "--metrics", "flicker", "--no-progress", "--no-report", "--no-floor"]
    proc = subprocess.Popen([sys.executable, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    done = 0
    while time.time() < deadline:
        time.sleep(0.2)
        if store.exists():
            try:
                with sqlite3.connect(store) as c:
                    done = c.execute("SELECT COUNT(*) FROM items").fetchone()[0]
            except sqlite3.OperationalError:
                continue
            if done >= 3:
                break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 3 <= done < n, f"run finished or stalled before the kill ({done} items)"
    with sqlite3.connect(store) as c:
        before = c.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    calls_before = len(log.read_text().splitlines())
    out = subprocess.run([sys.executable, *argv, "--format", "json"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    run = data["runs"][0]
    assert run["ok"] == n and run["failed"] == 0
    with sqlite3.connect(store) as c:
        assert c.execute("SELECT COUNT(*) FROM items").fetchone()[0] == n
        assert c.execute("SELECT COUNT(*), COUNT(DISTINCT case_id) FROM scores WHERE metric='flicker'").fetchone() == (n, n)
        assert c.execute("SELECT status FROM runs").fetchone()[0] == "finished"
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    calls_after = len(log.read_text().splitlines()) - calls_before
    # items stored before the kill are never regenerated; at most one in-flight item is redone
    assert calls_after <= n - before + 1


@pytest.mark.slow
def test_torchrun_shards_items_across_ranks_into_one_store(tmp_path):
    """Two ranks under torchrun split the items; one store holds each item once."""
    suite = write_prompt_suite(tmp_path / "suite.toml", {f"c{i}": f"prompt {i}" for i in range(6)})
    log = tmp_path / "calls.log"
    store = tmp_path / "store.sqlite"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "vbench_lite", "run", "--generator", "command", "--suite", str(suite), "--store", str(store),
           "--set", "argv=" + command_argv("--log", str(log)), "--set", "ext=.npz", "--metrics", "flicker",
           "--no-progress", "--no-report", "--no-floor", "--seeds", "0,1", "--format", "json"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    with sqlite3.connect(store) as c:
        assert c.execute("SELECT COUNT(*), COUNT(DISTINCT case_id || '#' || seed) FROM items").fetchone() == (12, 12)
        assert c.execute("SELECT status FROM runs").fetchone()[0] == "finished"
    assert len(log.read_text().splitlines()) == 12  # every item generated exactly once, across both ranks


def test_worker_processes_give_the_same_scores(tmp_path):
    folder = tmp_path / "vids"
    from vbench_lite.io import write_cache

    for i in range(4):
        write_cache(Video(moving_square(seed=i)), folder / f"v{i}.npz")
    cases = _cases([f"v{i}" for i in range(4)])
    results = []
    for workers in (0, 2):
        store = Store(tmp_path / f"w{workers}.sqlite")
        spec = RunSpec("folder", settings={"root": str(folder)}, metrics=["flicker", "motion"])
        s = execute(spec, store, cases=cases, progress=False, workers=workers)
        assert s.ok == 4
        results.append({(r["case_id"], r["metric"]): r["value"] for r in store.scores(s.run_id)})
    assert results[0] == results[1] and len(results[0]) >= 8


def test_a_relative_store_records_absolute_video_paths(tmp_path, monkeypatch, mean_brightness):
    """Reports made from another folder still find the cached videos (previews)."""
    (tmp_path / "a").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    store = Store("r.sqlite")
    s = execute(RunSpec("toy", metrics=["test_mean_brightness"]), store, generator=ToyGenerator(),
                cases=_cases(["a"]), progress=False)
    (item,) = [i for i in store.items(s.run_id)]
    path = item["video_path"] if isinstance(item, dict) else item.video_path
    monkeypatch.chdir(tmp_path)
    assert os.path.isabs(path) and os.path.exists(path)
