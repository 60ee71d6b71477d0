"""`eval --reference DIR`: a folder of real or baseline videos scored beside the run is
the scorecard's reference point (unpaired bootstrap over cases), and video_kd's
reference set; it never becomes `latest`."""

import json

import numpy as np
from helpers.common import moving_square

from vbench_lite.cli import main
from vbench_lite.io import write_cache
from vbench_lite.store import REFERENCE_ROLE, Store
from vbench_lite.video import Video

N = 6  # clips per folder: above the 5 cases a verdict needs


def _folder(path, *, flicker: float = 0.0):
    """``N`` moving squares; ``flicker`` > 0 scales every other frame's brightness."""
    for i in range(N):
        frames = moving_square(t=10, seed=i).astype(np.float64) + 40.0  # (T, H, W, 3), grey background
        frames[1::2] *= 1.0 - flicker
        write_cache(Video(np.clip(frames, 0, 255).astype(np.uint8)), path / f"clip{i}.npz")
    return path


def test_reference_folder_is_the_reading_and_never_latest(tmp_path, capsys):
    ref, flick = _folder(tmp_path / "real"), _folder(tmp_path / "gen", flicker=0.3)
    store = tmp_path / "s.sqlite"
    argv = ["eval", str(flick), "--reference", str(ref), "--metrics", "flicker,motion", "--store", str(store),
            "--no-progress"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(ln.startswith("reference: the reference set reference-real (6 videos") for ln in lines), out
    flicker, = [ln for ln in lines if ln.startswith("flicker ")]
    assert "worse: " in flicker and "the reference set" in flicker, flicker
    motion, = [ln for ln in lines if ln.startswith("motion ")]
    assert "no better side" in motion and "worse" not in motion
    assert any(ln.startswith("== reference-real") and ln.endswith("the reference above") for ln in lines)
    assert max(map(len, lines)) <= 100
    with Store(store, readonly=True) as st:
        latest = st.run("latest")
        assert latest["role"] == "eval" and latest["provenance"]["reference_run"]
        assert st.run(latest["provenance"]["reference_run"])["role"] == REFERENCE_ROLE
    assert main([*argv, "--format", "json"]) == 0  # resumed: the same runs, the link kept
    card = json.loads(capsys.readouterr().out)["runs"][0]["scorecard"]
    row, = [r for r in card["lines"] if r["dimension"] == "flicker"]
    assert row["verdict"] == "worse" and row["ref"] < row["mean"]


def test_the_same_videos_read_like_the_reference(tmp_path, capsys):
    ref, same = _folder(tmp_path / "real"), _folder(tmp_path / "copy")
    assert main(["eval", str(same), "--reference", str(ref), "--metrics", "flicker", "--store",
                 str(tmp_path / "s.sqlite"), "--no-progress"]) == 0
    flicker, = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("flicker ")]
    assert "like the reference set" in flicker, flicker
