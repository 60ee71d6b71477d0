"""``physics_iq``: equal to Physics-IQ's own pipeline on the same files, moving the right
way under controlled changes, and reachable from the command line.

The benchmark's steps are transcribed in ``helpers/physics_iq_reference.py`` (file
I/O through OpenCV as there, masks written to mp4v video files and read back; with
``mask_codec=lossless`` the transcription stores masks as lossless FFV1 instead).
Tolerances: per video, the numbers are computed from the same masks and frames with the
same operations, so they must be equal to 1e-12 (they are bit-identical); set-level
scores average over videos where the benchmark averages over scenarios first (same sum,
another order): 1e-12.
"""

from __future__ import annotations

import json
import math

import cv2
import numpy as np
import pytest

from helpers import physics_iq_reference as ref
from helpers.synthetic_clips import pan_video
from vbench_lite.case import Case
from vbench_lite.io import read_video
from vbench_lite.metrics import load_metrics, physics_iq as piq
from vbench_lite.metrics.base import MetricSkipped, VideoContext
from vbench_lite.metrics.physics_iq_metric import SET_OUTPUTS, PhysicsIQ

FPS = 8  # 5 s = 40 frames
SIZE = (96, 128)  # (H, W): analysed at 24x32
VIEWS = ref.VIEWS
SCENE = "trimmed-ball-drop"


@pytest.fixture(scope="module")
def photo():
    import skimage.data

    return skimage.data.astronaut()


def scene_clip(photo, path=((20, 30), (3.0, 1.0)), num_frames=5 * FPS, pan=(0.25, 0.1), shade=235):
    """A slow camera pan over a photograph with a bright ball moving along ``path``
    ((x0, y0), (vx, vy)) px per frame: camera-like texture plus one moving object."""
    frames = pan_video(photo, num_frames=num_frames, velocity=pan, size=SIZE).copy()
    (x0, y0), (vx, vy) = path
    for t in range(num_frames):
        cv2.circle(frames[t], (int(round(x0 + vx * t)), int(round(y0 + vy * t))), 7, (shade, shade, 40), -1)
    return frames


def write_mp4(frames, path, fps=FPS):
    path.parent.mkdir(parents=True, exist_ok=True)
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (frames.shape[2], frames.shape[1]))
    for f in frames:
        out.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    out.release()
    return path


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, photo):
    """One scenario, three perspectives: real takes 1 and 2 in Physics-IQ's naming, and a
    generated folder with a good (left), a displaced (center) and a frozen-ball (right) video."""
    root = tmp_path_factory.mktemp("piq")
    real, gen = root / "real", root / "gen"
    paths = {}
    for i, view in enumerate(VIEWS):
        take1 = scene_clip(photo, ((15 + 10 * i, 25), (2.5, 1.2)))
        take2 = scene_clip(photo, ((16 + 10 * i, 26), (2.4, 1.3)))  # the second real take varies a little
        generated = {0: take1, 1: scene_clip(photo, ((15, 70), (2.5, -0.8))),
                     2: scene_clip(photo, ((15 + 10 * i, 25), (0.0, 0.0)))}[i]
        paths[view] = {
            "real1": write_mp4(take1, real / f"{i + 1:04d}_testing-videos_{FPS}FPS_{view}_take-1_{SCENE}.mp4"),
            "real2": write_mp4(take2, real / f"{i + 4:04d}_testing-videos_{FPS}FPS_{view}_take-2_{SCENE}.mp4"),
            "gen": write_mp4(generated, gen / f"{i + 1:04d}_{view}_{SCENE}.mp4"),
        }
    return root, real, gen, paths


def run_benchmark(paths, root, fourcc="mp4v", fps=FPS):
    """The transcribed benchmark on ``paths``: per-view values and its results CSV."""
    masks = root / f"masks-{fourcc}"
    masks.mkdir()
    values = {}
    for view, p in paths.items():
        m = {k: masks / f"{view}_{k}.{'mp4' if fourcc == 'mp4v' else 'avi'}" for k in p}
        for k in p:
            ref.generate_mask(p[k], m[k], fourcc=fourcc)
        values[view] = ref.view_metrics(p["real1"], p["real2"], p["gen"], m["real1"], m["real2"], m["gen"], fps)
    return values, ref.write_results_csv({f"{SCENE}.mp4": values}, root / f"benchmark-{fourcc}.csv")


@pytest.fixture(scope="module")
def benchmark_values(dataset):
    root, _, _, paths = dataset
    return run_benchmark(paths, root, "mp4v")


def ours(real, gen_path, variance=True, mask_codec="mp4v"):
    metric = PhysicsIQ(reference_dir=real, variance_dir=real if variance else None, mask_codec=mask_codec)
    video = read_video(gen_path)
    case = Case(case_id=gen_path.stem.replace("_", "-"), suite="eval")
    ctx = VideoContext(video, case)
    return metric, metric.features(video, case, ctx), metric.item_scores(video, case, ctx)


def assert_per_video_equal(values, real, paths, mask_codec="mp4v"):
    for view in VIEWS:
        b = values[view]
        _, _, got = ours(real, paths[view]["gen"], mask_codec=mask_codec)
        for ours_name, key in (("piq_spatial_iou", "spatial_iou_v1"), ("piq_weighted_spatial_iou",
                               "weighted_spatial_iou_v1"), ("piq_variance_spatial_iou", "variance_spatial"),
                               ("piq_variance_weighted_spatial_iou", "variance_weighted_spatial")):
            assert got[ours_name] == pytest.approx(float(b[key]), abs=1e-12), (view, ours_name)
        for ours_name, key in (("piq_spatiotemporal_iou", "spatiotemporal_iou_v1"), ("piq_mse", "v1_mse"),
                               ("piq_variance_spatiotemporal_iou", "variance_spatiotemporal_iou"),
                               ("piq_variance_mse", "variance_mse")):
            assert got[ours_name].value == pytest.approx(float(np.mean(b[key])), abs=1e-12), (view, ours_name)
            assert np.array_equal(got[ours_name].timeline, ref.parse_list(b[key])), (view, ours_name)
        assert len(b["v1_mse"]) == 5 * FPS


def test_per_video_equals_the_benchmark(dataset, benchmark_values):
    _, real, _, paths = dataset
    assert_per_video_equal(benchmark_values[0], real, paths)


def test_lossless_masks_equal_the_benchmark_steps_with_lossless_mask_files(dataset, benchmark_values):
    root, real, _, paths = dataset
    values, _ = run_benchmark(paths, root, "FFV1")
    assert_per_video_equal(values, real, paths, "lossless")
    # the benchmark's lossy mask files move the numbers a little (see benchmarks/bench_physics_iq.py)
    lossy = benchmark_values[0][VIEWS[1]]["spatiotemporal_iou_v1"]
    assert np.abs(np.subtract(values[VIEWS[1]]["spatiotemporal_iou_v1"], lossy)).max() < 0.1


def test_only_the_first_five_seconds_count(tmp_path, photo):
    """Longer videos: the benchmark masks the whole file and keeps the first 5 s; we stop at 5 s."""
    n, real, gen = 6 * FPS, tmp_path / "real", tmp_path / "gen"
    paths = {}
    for i, view in enumerate(VIEWS):
        name = f"{i + 1:04d}_{view}_{SCENE}.mp4"
        paths[view] = {"real1": write_mp4(scene_clip(photo, ((20, 25), (2.5, 1.2)), n), real / name),
                       "real2": write_mp4(scene_clip(photo, ((21, 26), (2.4, 1.2)), n), tmp_path / "r2" / name),
                       "gen": write_mp4(scene_clip(photo, ((20, 45), (2.5, 0.2)), n), gen / name)}
    values, _ = run_benchmark(paths, tmp_path, "mp4v")
    for view in VIEWS:
        metric = PhysicsIQ(reference_dir=real, variance_dir=tmp_path / "r2")
        video = read_video(paths[view]["gen"])
        case = Case(case_id="g", suite="eval")
        got = metric.item_scores(video, case, VideoContext(video, case))
        assert got["piq_spatial_iou"] == values[view]["spatial_iou_v1"]
        assert np.array_equal(got["piq_mse"].timeline, ref.parse_list(values[view]["v1_mse"]))
        assert len(got["piq_mse"].timeline) == 5 * FPS


def test_set_scores_equal_the_benchmarks_scorer(dataset, benchmark_values):
    _, real, _, paths = dataset
    _, csv_path = benchmark_values
    theirs = ref.iqtable_output(csv_path)
    rows = np.stack([ours(real, paths[v]["gen"])[1] for v in VIEWS])
    mine = piq.set_scores(rows)
    assert set(mine) == set(theirs)
    for key, value in theirs.items():
        assert mine[key] == pytest.approx(float(value), abs=1e-12), key
    # the metric object reports them under our names, on our scales
    out = PhysicsIQ(reference_dir=real, variance_dir=real).compute_set(rows, np.empty((0, 9)))
    for name, (key, factor) in SET_OUTPUTS.items():
        assert out[name] == pytest.approx(float(theirs[key]) * factor, abs=1e-10), name
    assert 0 < out["physics_iq_score"] < 100 and 0 < out["physics_iq_verified_score"] < 100


def test_identical_continuation_is_perfect_and_a_displaced_object_is_not(dataset):
    _, real, _, paths = dataset
    _, _, good = ours(real, paths[VIEWS[0]]["gen"])  # the take 1 itself (re-encoded identically)
    assert good["piq_spatial_iou"] == 1.0 and good["piq_weighted_spatial_iou"] == 1.0
    assert good["piq_spatiotemporal_iou"].value == 1.0 and good["piq_mse"].value == 0.0
    assert good["piq_verified_score"] == pytest.approx(1.0, abs=1e-6)
    _, _, moved = ours(real, paths[VIEWS[1]]["gen"])  # the ball elsewhere
    _, _, frozen = ours(real, paths[VIEWS[2]]["gen"])  # the ball never moves
    for bad in (moved, frozen):
        assert bad["piq_spatial_iou"] < 0.8 and bad["piq_weighted_spatial_iou"] < 0.8
        assert bad["piq_spatiotemporal_iou"].value < 0.8 and bad["piq_mse"].value > 1e-4
        assert bad["piq_verified_score"] < good["piq_verified_score"]
    # the real second take sits between: it varies, but far less than a wrong continuation
    assert moved["piq_spatial_iou"] < good["piq_variance_spatial_iou"] < 1.0


def test_ladder_of_displacement_moves_iou_down_monotonically(photo, tmp_path):
    take1 = scene_clip(photo, ((20, 30), (2.5, 1.0)))
    real = tmp_path / "real"
    write_mp4(take1, real / "clip.mp4")
    ious = []
    for shift in (0, 2, 6, 14):
        write_mp4(scene_clip(photo, ((20 + shift, 30 + shift), (2.5, 1.0))), tmp_path / f"g{shift}" / "clip.mp4")
        _, _, got = ours(real, tmp_path / f"g{shift}" / "clip.mp4", variance=False)
        ious.append(got["piq_spatial_iou"])
        assert "piq_verified_score" not in got  # no second take, no variance-relative score
    assert ious[0] == 1.0 and all(a > b for a, b in zip(ious, ious[1:])), ious


def test_mismatched_inputs_are_one_line_skips(dataset, tmp_path, photo):
    _, real, _, paths = dataset
    metric = PhysicsIQ(reference_dir=real)
    video = read_video(write_mp4(scene_clip(photo), tmp_path / "unknown_clip.mp4"))
    case = Case(case_id="unknown_clip", suite="eval")
    with pytest.raises(MetricSkipped, match=r"no reference video named unknown_clip in .*real"):
        metric.features(video, case, VideoContext(video, case))
    name = paths[VIEWS[0]]["gen"].name
    for frames, fps, match in ((scene_clip(photo), 10, r"at 10 fps, .* at 8 fps; Physics-IQ compares at one frame"),
                               (scene_clip(photo, num_frames=30), FPS, r"has 30 frames in its first 5 s .* 40")):
        v = read_video(write_mp4(frames, tmp_path / str(fps) / name, fps=fps))
        with pytest.raises(MetricSkipped, match=match) as err:
            metric.features(v, case, VideoContext(v, case))
        assert "\n" not in str(err.value)
    # another size is the benchmark's own business: resized to a quarter of the reference
    big = np.stack([cv2.resize(f, (192, 144)) for f in scene_clip(photo, ((15, 25), (2.5, 1.2)))])
    v = read_video(write_mp4(big, tmp_path / "big" / name))
    assert metric.item_scores(v, case, VideoContext(v, case))["piq_spatial_iou"] > 0.5


def test_not_default_unless_named_or_configured(dataset):
    _, real, _, _ = dataset
    assert "physics_iq" not in [m.name for m in load_metrics()[0]]
    assert "physics_iq" in [m.name for m in load_metrics(None, {"physics_iq": {"reference_dir": str(real)}})[0]]
    with pytest.raises(Exception, match="variance_dir needs physics_iq.reference_dir"):
        PhysicsIQ(variance_dir=str(real))


def test_eval_cli_per_video_and_verified_export(dataset, benchmark_values, tmp_path):
    from helpers.common import run_cli

    _, real, gen, _ = dataset
    store = tmp_path / "s.sqlite"
    out = run_cli("eval", gen, "--metrics", "physics_iq", "--metric-set", f"physics_iq.reference_dir={real}",
                  "--metric-set", f"physics_iq.variance_dir={real}", "--store", store, "--format", "json",
                  "--no-progress", "--name", "piq-test")
    assert out.returncode == 0, out.stderr
    run = json.loads(out.stdout)["runs"][0]
    assert run["ok"] == 3
    for v in run["videos"]:
        s = v["scores"]
        assert {"piq_spatial_iou", "piq_spatiotemporal_iou", "piq_weighted_spatial_iou", "piq_mse"} <= set(s)
        assert s["piq_spatial_iou"]["higher_is_better"] is True and s["piq_mse"]["higher_is_better"] is False
    values, csv_path = benchmark_values
    theirs = ref.iqtable_output(csv_path)
    assert run["set_scores"]["physics_iq_score"]["value"] == pytest.approx(100 * theirs["final_score_orig"], abs=1e-9)
    # the export: the benchmark's own scorer reads our CSV back to our JSON
    exp = run_cli("report", "piq-test", "--store", store, "--format", "physics_iq", "-o", tmp_path / "piq")
    assert exp.returncode == 0, exp.stderr
    written = json.loads((tmp_path / "piq" / "piq-test_metrics.json").read_text())
    again = ref.iqtable_output(tmp_path / "piq" / "piq-test.csv")
    for key, value in theirs.items():
        assert written[key] == pytest.approx(float(value), abs=1e-12), key
        assert again[key] == pytest.approx(float(value), abs=1e-12), key


def test_probe_runs_compare_with_the_simulator_truth(tmp_path):
    from vbench_lite.case import PROTOCOL
    from vbench_lite.errors import UserError
    from vbench_lite.reports.physics_iq_export import write_physics_iq
    from vbench_lite.runners.execute import execute, oracle_spec
    from vbench_lite.store import Store

    with Store(tmp_path / "s.sqlite") as store:
        rows = {}
        for perturb, strength in (("none", 0.0), ("speed", 0.5)):
            spec = oracle_spec(["default"], [0], PROTOCOL, ["physics_iq"], perturb=perturb, strength=strength)
            summary = execute(spec, store, progress=False)
            scores = [s for s in store.scores(summary.run_id) if s["metric"].startswith("piq_")]
            rows[perturb] = {}
            for s in scores:
                rows[perturb].setdefault(s["metric"], []).append(s["value"])
            skips = {r["reason"] for r in store.item_skips(summary.run_id) if r["case_id"] == "__set__"}
            assert any("simulator truth has none" in r for r in skips)
            with pytest.raises(UserError, match=r"no set-level Physics-IQ score: .* \(the simulator truth has none\)"):
                write_physics_iq(store, store.run(summary.run_id), tmp_path / "export")
    oracle, fast = rows["none"], rows["speed"]
    assert set(oracle) == {"piq_spatial_iou", "piq_spatiotemporal_iou", "piq_weighted_spatial_iou", "piq_mse"}
    assert all(v == 1.0 for k in ("piq_spatial_iou", "piq_spatiotemporal_iou") for v in oracle[k])
    assert all(v == 0.0 for v in oracle["piq_mse"])
    assert np.mean(fast["piq_spatiotemporal_iou"]) < 1.0 and np.mean(fast["piq_mse"]) > 0.0
    assert math.isfinite(np.mean(fast["piq_weighted_spatial_iou"]))


def test_export_needs_physics_iq_names_and_three_perspectives(dataset, tmp_path):
    """Videos named otherwise score per video and per run, but have no place in the Verified CSV."""
    import shutil

    from helpers.common import run_cli

    _, real, _, paths = dataset
    for folder, key in (("gen", "gen"), ("take1", "real1"), ("take2", "real2")):
        (tmp_path / folder).mkdir()
        for name, view in zip("abc", VIEWS):
            shutil.copy(paths[view][key], tmp_path / folder / f"{name}.mp4")
    store = tmp_path / "s.sqlite"
    out = run_cli("eval", tmp_path / "gen", "--metrics", "physics_iq", "--metric-set",
                  f"physics_iq.reference_dir={tmp_path / 'take1'}", "--metric-set",
                  f"physics_iq.variance_dir={tmp_path / 'take2'}", "--store", store, "--format", "json",
                  "--no-progress", "--name", "odd")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["runs"][0]["set_scores"]["physics_iq_verified_score"]["value"] > 0
    exp = run_cli("report", "odd", "--store", store, "--format", "physics_iq", "-o", tmp_path / "x")
    assert exp.returncode == 2 and "3 video(s) are not named as Physics-IQ's generated videos" in exp.stderr
    assert len(exp.stderr.strip().splitlines()) == 1


def test_shipped_real_masks_are_read_as_the_benchmark_reads_them(dataset, tmp_path):
    """``mask_dir``: the dataset's own real masks (here made with another threshold, so they
    differ from computed ones) replace the computed masks of both takes, as in its scorer."""
    _, real, _, paths = dataset
    shipped = tmp_path / "video-masks"
    shipped.mkdir()
    differs = False
    for view, p in paths.items():
        masks = {}
        for key in ("real1", "real2"):
            masks[key] = shipped / p[key].name.replace("_testing-videos_", "_video-masks_")
            ref.generate_mask(p[key], masks[key], fourcc="mp4v", threshold=20)
        ref.generate_mask(p["gen"], tmp_path / f"{view}_gen.mp4", fourcc="mp4v")
        b = ref.view_metrics(p["real1"], p["real2"], p["gen"], masks["real1"], masks["real2"],
                             tmp_path / f"{view}_gen.mp4", FPS)
        video = read_video(p["gen"])
        case = Case(case_id="g", suite="eval")
        got = PhysicsIQ(reference_dir=real, variance_dir=real, mask_dir=shipped).item_scores(
            video, case, VideoContext(video, case))
        assert got["piq_spatial_iou"] == b["spatial_iou_v1"]
        assert got["piq_variance_weighted_spatial_iou"] == b["variance_weighted_spatial"]
        assert np.array_equal(got["piq_spatiotemporal_iou"].timeline, ref.parse_list(b["spatiotemporal_iou_v1"]))
        computed = ours(real, p["gen"])[2]
        differs |= computed["piq_variance_spatial_iou"] != got["piq_variance_spatial_iou"]
    assert differs
    for q in shipped.glob("0001_*"):
        q.unlink()
    video, case = read_video(paths[VIEWS[0]]["gen"]), Case(case_id="g", suite="eval")
    with pytest.raises(MetricSkipped, match=r"no mask video for 0001_testing-videos_8FPS_perspective-left"):
        PhysicsIQ(reference_dir=real, mask_dir=shipped).item_scores(video, case, VideoContext(video, case))
