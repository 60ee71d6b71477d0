"""``vbench-lite export``: a suite's conditioning frames, prompts and manifest for an
outside pipeline, and the round trip back through ``run -g folder``."""

import csv
import json
import shlex

import cv2
import numpy as np
import pytest

from vbench_lite.case import RenderSpec, resolve_suite
from vbench_lite.cli import main
from vbench_lite.io import write_preview
from vbench_lite.store import FLOOR_ROLE, Store
from vbench_lite.video import Video

PHYSICS = "velocity_error,position_error,permanence,conservation,monotone_change,shape_drift"


def export(out, *args):
    return main(["export", "--out", str(out), *map(str, args)])


def read_png(path):
    return cv2.imread(str(path), cv2.IMREAD_COLOR)[..., ::-1]


def outside_pipeline(out, write):
    """What a pipeline outside vbench-lite does: read the manifest, take each row's
    conditioning frames and prompt, make a video and write it to the row's path. Here
    the "model" is the simulator continuing the given frames (so physics must score as
    the floor); ``write(video, path)`` picks the file type."""
    manifest = json.loads((out / "manifest.json").read_text())
    r = manifest["render"]
    spec = RenderSpec(r["height"], r["width"], r["frames"], r["fps"], r["cond_frames"])
    truth = {c.case_id: c.truth for s in manifest["suites"] for c in resolve_suite(s).cases(spec)}
    for row in manifest["items"]:
        assert (out / row["prompt_path"]).read_text(encoding="utf-8").strip() == row["prompt"]
        given = [read_png(out / p) for p in row["cond_paths"]]
        frames = truth[row["case_id"]].render()
        assert len(given) == row["cond_frames"] and all(np.array_equal(g, f) for g, f in zip(given, frames))
        write(Video(frames, row["fps"]), out / row["path"])
    return manifest


def read_back(manifest, store, *extra):
    """``manifest['read_back']`` (the command export printed), run in-process."""
    argv = shlex.split(manifest["read_back"])
    assert argv[:2] == ["vbench-lite", "run"]
    return main([*argv[1:], "--store", str(store), "--no-report", "--no-progress", "--metrics", PHYSICS, *extra])


def runs_by_role(store_path):
    with Store(store_path) as store:
        runs = store.runs()
        return {r["role"]: (r, store.items(r["run_id"]), store.scores(r["run_id"])) for r in runs}


def test_round_trip_non_square_one_cond_frame_scores_as_the_floor(tmp_path, capsys):
    out = tmp_path / "export"
    assert export(out, "-s", "default", "--seeds", "0,1", "--height", 72, "--width", 128, "--frames", 25,
                  "--fps", 7, "--cond-frames", 1, "--ext", "npz") == 0
    printed = capsys.readouterr().out
    assert "exported 16 cases x 2 seed(s)" in printed and "-g folder" in printed
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["render"] == {"height": 72, "width": 128, "frames": 25, "fps": 7.0, "cond_frames": 1}
    assert manifest["suites"] == {"default": "2"} and manifest["seeds"] == [0, 1]
    rows = manifest["items"]
    assert len(rows) == 32 and {(r["case_id"], r["seed"]) for r in rows} == {
        (c.case_id, s) for c in resolve_suite("default").cases(RenderSpec()) for s in (0, 1)}
    for r in rows:
        assert r["path"] == f"videos/{r['case_id']}__s{r['seed']}.npz"  # the folder generator's naming rule
        assert (r["frames"], r["height"], r["width"], r["fps"], r["cond_frames"]) == (25, 72, 128, 7.0, 1)
        assert read_png(out / r["cond_paths"][0]).shape == (72, 128, 3)
    with (out / "manifest.csv").open(newline="") as fh:
        csv_rows = list(csv.DictReader(fh))
    assert [(r["case_id"], int(r["seed"]), r["path"], r["prompt"]) for r in csv_rows] == [
        (r["case_id"], r["seed"], r["path"], r["prompt"]) for r in rows]

    outside_pipeline(out, lambda video, path: np.savez(path, frames=video.frames))
    store = tmp_path / "r.sqlite"
    assert read_back(manifest, store) == 0
    runs = runs_by_role(store)
    (run, items, scores), (_, floor_items, floor_scores) = runs["eval"], runs[FLOOR_ROLE]
    assert run["generator"] == "folder" and run["settings"]["height"] == 72 and run["settings"]["fps"] == 7.0
    # the same cases, seeds, prompts and groups as exported, every one read and scored
    assert all(i["status"] == "ok" for i in items) and len(items) == 32
    exported = {(r["case_id"], r["seed"]): (r["prompt"], r["group"], r["split"]) for r in rows}
    assert {(i["case_id"], i["seed"]): (i["prompt"], i["grp"], i["split"]) for i in items} == exported
    # ... and the physics is judged against the same worlds: the floor's numbers exactly
    key = lambda s: (s["case_id"], s["seed"], s["metric"])  # noqa: E731
    ours, floor = {key(s): s["value"] for s in scores}, {key(s): s["value"] for s in floor_scores}
    assert ours.keys() == floor.keys() and len(ours) > 100
    assert all(np.isclose(ours[k], floor[k], rtol=0, atol=1e-9, equal_nan=True) for k in ours)
    assert [v for (c, _, m), v in ours.items() if m == "permanence"] == [1.0] * 4


def test_mp4_videos_through_the_csv_manifest_keep_permanence(tmp_path):
    """A lossy mp4 per row, mapped by manifest.csv (``--set manifest=``), geometry from -g."""
    out = tmp_path / "e"
    assert export(out, "-s", "default", "-g", "folder", "--set", "root=unused", "--set", "height=72",
                  "--set", "width=128", "--set", "frames=20", "--set", "fps=8") == 0
    manifest = outside_pipeline(out, write_preview)
    assert manifest["render"] == {"height": 72, "width": 128, "frames": 20, "fps": 8.0, "cond_frames": 0}
    assert all(r["cond_paths"] == [] for r in manifest["items"])  # the folder takes no frames
    store = tmp_path / "r.sqlite"
    argv = ["run", "-g", "folder", "--set", f"manifest={out / 'manifest.csv'}", "--set", "height=72",
            "--set", "width=128", "--set", "frames=20", "--set", "fps=8", "-s", "default", "--store", str(store),
            "--no-report", "--no-progress", "--no-floor", "--metrics", "permanence"]
    assert main(argv) == 0
    _, items, scores = runs_by_role(store)["eval"]
    assert len(items) == 16 and all(i["status"] == "ok" for i in items)
    assert sorted(s["value"] for s in scores if s["metric"] == "permanence") == [1.0, 1.0]


def test_image_and_prompt_suites_export_their_photos_and_prompts(tmp_path):
    out = tmp_path / "e"
    assert export(out, "-s", "images", "-s", "prompts-basic", "-g", "command", "--set", "argv=true",
                  "--set", "cond_frames=1", "--set", "height=256", "--set", "width=256", "--set", "frames=16",
                  "--width", 448, "--fps", 8, "--format", "json") == 0  # flags win over the declaration
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["render"] == {"height": 256, "width": 448, "frames": 16, "fps": 8.0, "cond_frames": 1}
    rows = {r["case_id"]: r for r in manifest["items"]}
    images = resolve_suite("images").cases(RenderSpec(256, 448, 16, 8.0, 1))
    for case in images:
        row = rows[case.case_id]
        assert row["cond_frames"] == 1 and np.array_equal(read_png(out / row["cond_paths"][0]), case.cond_frames[0])
        assert row["tests"] == case.params["tests"] and row["group"] == case.group
    assert rows["static-vase"]["cond_paths"] == [] and rows["static-vase"]["prompt"].startswith("a blue")
    assert (out / "videos").is_dir() and not any((out / "videos").iterdir())


@pytest.mark.parametrize("args, message", [
    (["-s", "nope"], "unknown suite 'nope'"),
    (["-s", "default", "--height", "0"], "--height 0: give 1..8192"),
    (["-s", "default", "--width", "99999"], "--width 99999"),
    (["-s", "default", "--frames", "0"], "--frames 0"),
    (["-s", "default", "--fps", "nan"], "--fps nan"),
    (["-s", "default", "--fps", "0"], "--fps 0"),
    (["-s", "default", "--frames", "8", "--cond-frames", "9"], "--cond-frames 9: give 0..8"),
    (["-s", "default", "--set", "height=8"], "--set needs -g"),
    (["-s", "default", "-g", "nosuchgen"], "nosuchgen"),
    (["-s", "default", "-g", "folder", "--set", "colour=red"], "no setting 'colour'"),
    (["-s", "default", "--seeds", "x"], "--seeds"),
    (["-s", "default", "-s", "default"], "in both suite"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    out = tmp_path / "e"
    assert export(out, *args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not out.exists()  # nothing written


def test_a_non_empty_folder_needs_force_and_a_file_is_refused(tmp_path, capsys):
    out = tmp_path / "e"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert export(out, "-s", "prompts-basic") == 2
    assert "is not empty" in capsys.readouterr().err and not (out / "manifest.json").exists()
    assert export(out, "-s", "prompts-basic", "--force") == 0
    assert (out / "manifest.json").exists() and (out / "keep.txt").read_text() == "mine"
    f = tmp_path / "file"
    f.write_text("x")
    assert export(f, "-s", "prompts-basic") == 2
    assert "is a file" in capsys.readouterr().err
