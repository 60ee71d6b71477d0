"""What identifies a run, settings checked before anything is recorded, and floors
wherever physics is scored (the CLI, in process)."""

import json
import sqlite3

import numpy as np
import pytest

from helpers.common import moving_square
from vbench_lite.cli import main
from vbench_lite.io import write_cache
from vbench_lite.store import FLOOR_ROLE
from vbench_lite.video import Video

QUIET = ["--no-progress", "--no-report", "--format", "json"]


def _runs(store):
    con = sqlite3.connect(store)
    try:
        return con.execute("SELECT run_id, name, role, status FROM runs ORDER BY created").fetchall()
    except sqlite3.OperationalError:  # no tables: nothing was ever recorded
        return []
    finally:
        con.close()


def _json(capsys):
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("args, match", [
    (["-g", "reference-dit", "--set", "steps=0"], "steps must be >= 1"),
    (["-g", "reference-dit", "--sweep", "steps=4,0"], "steps must be >= 1"),
    (["-g", "simulator", "--set", "perturb=sped"], "perturb"),
    (["-g", "degraded", "--set", "strength=2"], "strength"),
    (["-g", "simulator", "--metrics", "warping_eror"], "did you mean"),
])
def test_bad_settings_are_one_line_before_any_run_exists(tmp_path, capsys, args, match):
    store = tmp_path / "s.sqlite"
    assert main(["run", *args, "--store", str(store), *QUIET]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and match in err[0]
    assert _runs(store) == []


def test_unavailable_generator_is_listed_and_refused(monkeypatch, tmp_path, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "diffusers" else real(n, *a))
    assert main(["list", "generators", "--format", "json"]) == 0
    rows = {r["name"]: r for r in _json(capsys)["generators"]}
    assert rows["diffusers"]["available"] is False and "pip install" in rows["diffusers"]["reason"]
    assert rows["simulator"]["available"] is True
    assert main(["run", "-g", "diffusers", "--set", "model=x", "--store", str(tmp_path / "s.sqlite"), *QUIET]) == 2
    assert "not available" in capsys.readouterr().err


def test_thresholds_naming_an_unknown_output_say_did_you_mean(tmp_path, capsys):
    store = tmp_path / "s.sqlite"
    for name in ("a", "b"):
        assert main(["run", "-g", "simulator", "--name", name, "--metrics", "velocity_error",
                     "--store", str(store), *QUIET]) == 0
    th = tmp_path / "gate.toml"
    th.write_text("[metrics.velocity_eror]\nrel = 0.1\n")
    capsys.readouterr()
    assert main(["check", "b", "--baseline", "a", "--thresholds", str(th), "--store", str(store)]) == 2
    assert "did you mean 'velocity_error'" in capsys.readouterr().err


def test_folder_with_replaced_videos_is_a_new_run(tmp_path, capsys):
    """Same command, new video content (same names, same size): new scores, not a resume."""
    root, store = tmp_path / "videos", tmp_path / "s.sqlite"
    root.mkdir()
    write_cache(Video(moving_square(t=8)), root / "clip.npz")
    suite = tmp_path / "suite.toml"
    suite.write_text('name = "one"\n[[case]]\nid = "clip"\nprompt = "a red square"\n')
    cmd = ["run", "-g", "folder", "--set", f"root={root}", "-s", str(suite), "--metrics", "motion",
           "--store", str(store), *QUIET]
    assert main(cmd) == 0
    first = _json(capsys)["runs"][0]
    frames = moving_square(t=8)
    frames[:, :, :] = np.roll(frames, 3, axis=2)  # the square moves elsewhere: same shape and size
    write_cache(Video(np.ascontiguousarray(frames[:, ::-1])), root / "clip.npz")
    assert main(cmd) == 0
    second = _json(capsys)["runs"][0]
    assert second["run_id"] != first["run_id"]


def test_eval_prompts_are_part_of_the_run_and_columns_are_checked(tmp_path, capsys):
    clip, store = tmp_path / "clip.npz", tmp_path / "s.sqlite"
    write_cache(Video(moving_square(t=8)), clip)
    prompts = tmp_path / "prompts.csv"
    prompts.write_text("file,prompt\nclip.npz,a red square\n")
    cmd = ["eval", str(clip), "--prompts", str(prompts), "--metrics", "motion", "--store", str(store),
           "--no-progress", "--format", "json"]
    assert main(cmd) == 0
    first = _json(capsys)["runs"][0]["run_id"]
    prompts.write_text("file,prompt\nclip.npz,a red square moving right\n")  # corrected prompt
    assert main(cmd) == 0
    assert _json(capsys)["runs"][0]["run_id"] != first
    con = sqlite3.connect(store)
    assert {r[0] for r in con.execute("SELECT prompt FROM items")} == {"a red square",
                                                                       "a red square moving right"}
    con.close()
    prompts.write_text("video,text\nclip.npz,a red square\n")
    assert main(cmd) == 2
    err = capsys.readouterr().err
    assert "file" in err and "prompt" in err and len(err.strip().splitlines()) == 1


def test_perturbed_simulator_gets_a_floor(tmp_path, capsys):
    store = tmp_path / "s.sqlite"
    assert main(["run", "-g", "simulator", "--set", "perturb=speed", "--set", "strength=0.3",
                 "--metrics", "velocity_error", "--store", str(store), *QUIET]) == 0
    roles = [r[2] for r in _runs(store)]
    assert roles.count(FLOOR_ROLE) == 1 and roles.count("eval") == 1
    assert main(["run", "-g", "simulator", "--metrics", "velocity_error", "--store", str(store), *QUIET]) == 0
    assert [r[2] for r in _runs(store)].count(FLOOR_ROLE) == 1  # the oracle itself needs none
    from vbench_lite.reports.build import build_report
    from vbench_lite.reports.data import open_store
    from vbench_lite.reports.tables import physics_heading

    with open_store(store) as st:
        rep = build_report(st, [_runs(store)[0][0]], previews=False)
    phys = rep.sections[0].physics
    assert phys["floor_n"].gt(0).all() and "with simulator floor" in physics_heading(phys)
