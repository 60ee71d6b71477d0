"""Throughput contracts (issue 12): videos that are files are never copied into the cache
and travel to workers as paths; a killed eval resumes from the files; generated videos
are still cached losslessly; the benchmark's building blocks work at tiny size."""

import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from helpers.common import moving_square
from vbench_lite.io import VideoFile, read_video, write_cache, write_preview
from vbench_lite.runners import workers as W
from vbench_lite.runners.evaluate import eval_spec_and_generator
from vbench_lite.runners.execute import execute, prepare
from vbench_lite.runners.plan import RunSpec
from vbench_lite.store import Store
from vbench_lite.video import Video

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

METRICS = ["flicker", "motion"]


def _folder(tmp_path: Path, n: int = 3) -> Path:
    folder = tmp_path / "vids"
    for i in range(n):  # one lossy mp4 (what eval usually meets), the rest lossless arrays
        v = Video(moving_square(t=8, size=40, seed=i))
        if i == 0:
            write_preview(v, folder / f"v{i}.mp4")
        else:
            write_cache(v, folder / f"v{i}.npz")
    return folder


def _eval(folder: Path, store: Store, cache: Path, **kw):
    spec, gen, cases = eval_spec_and_generator([folder], metrics=METRICS)
    return execute(prepare(spec, generator=gen, cases=cases), store, cache_dir=cache, progress=False, **kw)


def _cached_files(cache: Path) -> list[Path]:
    return [p for p in cache.rglob("*") if p.is_file()]


@pytest.mark.parametrize("workers", [0, 1])
def test_eval_of_files_writes_no_cache_copy(tmp_path, workers):
    folder, cache = _folder(tmp_path), tmp_path / "cache"
    store = Store(tmp_path / "r.sqlite")
    s = _eval(folder, store, cache, workers=workers)
    assert s.ok == 3
    assert _cached_files(cache) == []  # the files are the source: nothing copied
    items = store.items(s.run_id)
    assert sorted(Path(i["video_path"]).name for i in items) == ["v0.mp4", "v1.npz", "v2.npz"]
    assert all(Path(i["video_path"]).parent == folder for i in items)
    assert all(i["gen_seconds"] is not None and i["gen_seconds"] >= 0 for i in items)  # the read time


def test_folder_generator_writes_no_cache_copy(tmp_path):
    folder, cache = _folder(tmp_path), tmp_path / "cache"
    from vbench_lite.case import Case

    cases = [Case(case_id=f"v{i}", suite="adhoc", prompt="") for i in range(3)] + \
        [Case(case_id="missing", suite="adhoc", prompt="")]
    store = Store(tmp_path / "r.sqlite")
    s = execute(RunSpec("folder", settings={"root": str(folder)}, metrics=METRICS), store, cases=cases,
                cache_dir=cache, progress=False)
    assert (s.ok, s.failed) == (3, 1)
    assert "no video for case missing" in next(iter(s.failure_reasons))
    assert _cached_files(cache) == []


def test_workers_get_paths_not_frames(tmp_path, monkeypatch):
    sent = []
    real = W.Scorer.submit

    def spy(self, source, case, done):
        sent.append(type(source))
        return real(self, source, case, done)

    monkeypatch.setattr(W.Scorer, "submit", spy)
    folder = _folder(tmp_path)
    s = _eval(folder, Store(tmp_path / "r.sqlite"), tmp_path / "cache", workers=1)
    assert s.ok == 3 and sent == [VideoFile] * 3


def test_eval_resumes_after_interruption_by_reading_the_files_again(tmp_path):
    folder, cache = _folder(tmp_path), tmp_path / "cache"
    clean = Store(tmp_path / "clean.sqlite")
    ref = _eval(folder, clean, cache)
    want = {(r["case_id"], r["metric"]): r["value"] for r in clean.scores(ref.run_id)}

    store = Store(tmp_path / "r.sqlite")
    seen = []

    def kill_after_first(case_id, seed):
        seen.append(case_id)
        if len(seen) == 1:
            raise KeyboardInterrupt  # as a Ctrl-C or a kill between items

    with pytest.raises(KeyboardInterrupt):
        _eval(folder, store, cache, on_item=kill_after_first)
    assert len(store.items(store.run("latest")["run_id"])) == 1
    s = _eval(folder, store, cache)
    assert (s.resumed_items, s.ok) == (1, 3)
    got = {(r["case_id"], r["metric"]): r["value"] for r in store.scores(s.run_id)}
    assert got == want  # same numbers as an uninterrupted run, nothing doubled
    assert _cached_files(cache) == []


def test_unreadable_file_fails_its_item_alone_in_a_worker(tmp_path):
    folder = _folder(tmp_path, 2)
    (folder / "broken.mp4").write_bytes(b"not a video " * 100)
    s = _eval(folder, Store(tmp_path / "r.sqlite"), tmp_path / "cache", workers=1)
    assert (s.ok, s.failed) == (2, 1)
    assert "broken.mp4" in next(iter(s.failure_reasons))


def test_generated_videos_are_cached_losslessly(tmp_path):
    cache = tmp_path / "cache"
    store = Store(tmp_path / "r.sqlite")
    from dataclasses import replace

    run = prepare(RunSpec("simulator", suites=["default"], seeds=[0], metrics=["motion"]))
    run = replace(run, cases=run.cases[:2])
    case = run.cases[0]
    s = execute(run, store, cache_dir=cache, progress=False)
    assert s.ok == len(run.cases)
    files = sorted(p for p in _cached_files(cache) if p.suffix == ".npz")
    assert len(files) == len(run.cases)
    fresh = run.generator.generate([case.with_seed(0)], run.settings)[0]
    cached = next(p for p in files if p.name.startswith(case.case_id + "__s0"))
    assert np.array_equal(read_video(cached).frames, fresh.frames)  # bit-exact


@pytest.mark.parametrize("kind", ["flat", "noise"])
def test_cache_round_trip_is_bit_exact_and_compresses_only_when_it_pays(tmp_path, kind):
    rng = np.random.default_rng(0)
    if kind == "flat":
        frames = moving_square(t=6, size=64)
    else:
        frames = rng.integers(0, 256, (6, 64, 64, 3), dtype=np.uint8)
    v = Video(frames, fps=12.5, meta={"note": "x"})
    path = write_cache(v, tmp_path / "c.npz")
    back = read_video(path)
    assert np.array_equal(back.frames, v.frames) and back.fps == 12.5 and back.meta["note"] == "x"
    with zipfile.ZipFile(path) as z:
        kind_of = z.getinfo("frames.npy").compress_type
    assert kind_of == (zipfile.ZIP_DEFLATED if kind == "flat" else zipfile.ZIP_STORED)
    # forced either way, still lossless
    for compress in (True, False):
        p = write_cache(v, tmp_path / f"f{compress}.npz", compress=compress)
        assert np.array_equal(read_video(p).frames, v.frames)


def test_worker_cv2_threads_share_the_cores(monkeypatch):
    monkeypatch.setattr(W.os, "cpu_count", lambda: 2)
    assert [W.worker_cv2_threads(n) for n in (1, 2, 3)] == [2, 1, 1]


def test_benchmark_core_at_tiny_size(tmp_path):
    import bench_eval as B

    size = (6, 48, 64)
    a, b = B.synth_frames(3, *size), B.synth_frames(3, *size)
    assert a.shape == (6, 48, 64, 3) and np.array_equal(a, b)  # deterministic
    assert not np.array_equal(a[0], a[-1])  # it moves
    folder = B.make_folder(tmp_path, 3, distinct=2, size=size)
    assert len(list(folder.glob("*.mp4"))) == 3
    assert B.bundle_seconds(folder, 1, limit=1) > 0
    res = B.run_eval(folder, tmp_path, 1)
    assert res["wall"] > 0 and res["max_rss_mb"] > 10


def test_flow_is_the_same_in_one_thread_or_two(monkeypatch):
    import cv2

    from vbench_lite.metrics import flow as F

    frames = np.random.default_rng(0).integers(0, 255, (5, 64, 80, 3), dtype=np.uint8)
    frames = np.stack([cv2.GaussianBlur(f, (0, 0), 2) for f in frames])  # texture DIS can follow
    before = cv2.getNumThreads()
    try:
        out = []
        for threads in (1, 2):
            cv2.setNumThreads(threads)
            out.append(F.pair_flows(frames, 1.0))
    finally:
        cv2.setNumThreads(before)
    for key in ("fw", "bw", "valid_fw", "valid_bw", "frames"):
        assert np.array_equal(getattr(out[0], key), getattr(out[1], key)), key


def test_non_finite_flow_is_masked_and_zeroed(monkeypatch):
    from vbench_lite.metrics import flow as F

    real = F.dis_flow_pairs

    def broken(gray, *a):
        fw, bw = real(gray, *a)
        fw[1, 3:7, 5:9] = np.nan
        bw[0, 0, 0] = np.inf
        return fw, bw

    monkeypatch.setattr(F, "dis_flow_pairs", broken)
    frames = np.random.default_rng(1).integers(0, 255, (4, 40, 48, 3), dtype=np.uint8)
    with np.errstate(all="ignore"):
        f = F.pair_flows(frames, 1.0)
    assert np.isfinite(f.fw).all() and np.isfinite(f.bw).all()
    assert not f.valid_fw[1, 3:7, 5:9].any() and not f.valid_bw[1, 3:7, 5:9].any()
    assert not f.valid_fw[0, 0, 0] and not f.valid_bw[0, 0, 0]
