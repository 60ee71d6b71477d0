"""VBench's aggregates, board arithmetic and ``report --format vbench``.

The reference is VBench's own reading of the files: ``scripts/cal_final_score.py`` of
Vchitect/VBench (commit 45e79ec), transcribed below with its lines cited, and run
as it is when a snapshot of that repository is on this machine (it needs only the
standard library and its ``constant.py``).
"""

import ast
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from helpers.synthetic_store import write_vbench_run
from vbench_lite.cli import main
from vbench_lite.reports.vbench_board import DIM_WEIGHT, NORMALIZE, QUALITY_LIST, SEMANTIC_LIST, aggregate, board
from vbench_lite.store import Store

VBENCH_REPO = Path(os.environ.get("VBENCH_REPO", "/work/.mirror/Vchitect+VBench/repo"))
TASK_INFO = ["subject consistency", "background consistency", "temporal flickering", "motion smoothness",
             "dynamic degree", "aesthetic quality", "imaging quality", "object class", "multiple objects",
             "human action", "color", "spatial relationship", "scene", "appearance style", "temporal style",
             "overall consistency"]  # scripts/constant.py lines 1-18


def submission(folder: Path, zip_file: Path) -> dict:
    """cal_final_score.py lines 11-40: unzip; every top-level ``*.json`` (and ``*.json``
    one folder down) that holds an object gives ``key.replace('_', ' ') -> value[0]``;
    dimensions not found count as 0."""
    with zipfile.ZipFile(zip_file) as z:
        z.extractall(folder)
    upload = {}
    for name in os.listdir(folder):
        if name.startswith(".") or name.startswith("__"):
            continue
        path = folder / name
        files = [path / f for f in os.listdir(path) if f.endswith(".json")] if path.is_dir() else \
            [path] if name.endswith("json") else []
        for f in files:
            obj = json.loads(f.read_text())
            if isinstance(obj, dict):
                upload.update({k.replace("_", " "): v[0] for k, v in obj.items()})
        for key in TASK_INFO:
            upload.setdefault(key, 0)
    return upload


def normalized_scores(upload: dict) -> dict:
    """cal_final_score.py lines 42-50 with constant.py's NORMALIZE_DIC and DIM_WEIGHT."""
    return {k: (upload[k] - NORMALIZE[k][0]) / (NORMALIZE[k][1] - NORMALIZE[k][0]) * DIM_WEIGHT[k] for k in TASK_INFO}


@pytest.fixture
def store_with_runs(tmp_path):
    path = tmp_path / "results.sqlite"
    with Store(path) as store:
        full = write_vbench_run(store, "all-five", nan_item="vbench_motion_smoothness")
        part = write_vbench_run(store, "two-only", ("vbench_subject_consistency", "vbench_background_consistency"),
                                seed=1)
    return path, full, part


def expected_aggregates(store_path: Path, run_id: str) -> dict:
    """VBench's dimension values from the stored rows, computed the way VBench does:
    consistency = every frame score summed / how many (subject_consistency.py line 68,
    background_consistency.py line 64), the others np.mean over videos."""
    with Store(store_path, readonly=True) as store:
        rows = [r for r in store.scores(run_id, with_timelines=True) if r["value"] is not None]
    out = {}
    for name in {r["metric"] for r in rows}:
        mine = [r for r in rows if r["metric"] == name]
        if name in ("vbench_subject_consistency", "vbench_background_consistency"):
            out[name] = sum(float(np.sum(r["timeline"], dtype=np.float64)) for r in mine) / \
                sum(len(r["timeline"]) for r in mine)
        else:
            out[name] = float(np.mean([r["value"] for r in mine]))
    return out


def test_board_constants_and_scores():
    assert set(NORMALIZE) == set(TASK_INFO) == set(QUALITY_LIST) | set(SEMANTIC_LIST)
    assert NORMALIZE["motion smoothness"] == (0.706, 0.9975) and DIM_WEIGHT["dynamic degree"] == 0.5
    b = board({"subject consistency": 0.1462, "dynamic degree": 0.6})
    assert b["dimensions"]["subject consistency"]["normalized"] == 0.0
    assert b["dimensions"]["dynamic degree"]["weighted"] == pytest.approx(0.3)
    assert b["quality_score"] is None and "imaging quality" in b["missing_quality"]
    full = board({k: NORMALIZE[k][1] for k in TASK_INFO})  # every dimension at its max: 1 everywhere
    assert full["quality_score"] == pytest.approx(1.0) and full["total_score"] == pytest.approx(1.0)
    half = board({k: (0.0 if k in SEMANTIC_LIST else NORMALIZE[k][1]) for k in TASK_INFO})
    assert half["semantic_score"] < 0.01 and half["total_score"] == pytest.approx(0.8, abs=0.01)  # 4:1 weights
    with pytest.raises(ValueError, match="not VBench dimensions"):
        board({"flicker": 0.9})


def test_aggregate_rules():
    assert aggregate("vbench_subject_consistency", [1.0, 0.5], [1, 3]) == pytest.approx(0.625)
    assert aggregate("vbench_subject_consistency", [1.0, 0.5]) == pytest.approx(0.75)  # no frame counts
    assert aggregate("vbench_motion_smoothness", [1.0, 0.5], [1, 3]) == pytest.approx(0.75)  # video mean
    assert np.isnan(aggregate("vbench_dynamic_degree", []))
    with pytest.raises(ValueError, match="frame count"):
        aggregate("vbench_background_consistency", [1.0], [0])


def test_report_vbench_layout_and_cal_final_score(store_with_runs, tmp_path, capsys):
    path, full, part = store_with_runs
    out = tmp_path / "vb"
    assert main(["report", full, part, "--format", "vbench", "--store", str(path), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    res = json.loads((out / "all-five_eval_results.json").read_text())
    want = expected_aggregates(path, full)
    assert set(res) == {"subject_consistency", "background_consistency", "temporal_flickering",
                        "motion_smoothness", "dynamic_degree"}
    for key, (value, videos) in res.items():
        assert value == pytest.approx(want[f"vbench_{key}"], abs=1e-9), key
        assert len(videos) == (5 if key == "motion_smoothness" else 6)  # failed item out; NaN item left out
        assert all(v["video_path"].startswith("/videos/clip_") for v in videos)
    assert all(isinstance(v["video_results"], bool) for v in res["dynamic_degree"][1])
    bg = res["background_consistency"][1][2]  # clip_2: 7 frames, 6 scored
    assert bg["cnt_per_video"] == 6 and bg["video_sim"] == pytest.approx(6 * bg["video_results"])
    # VBench's final-score script reads these numbers (transcription)
    zip_file = tmp_path / "evaluation_results.zip"
    with zipfile.ZipFile(zip_file, "w") as z:
        z.write(out / "all-five_eval_results.json", "all-five_eval_results.json")
    upload = submission(tmp_path / "model", zip_file)
    norm = normalized_scores(upload)
    for key, (value, _) in res.items():
        label = key.replace("_", " ")
        assert upload[label] == value
        assert f"{key:<24}" in printed and f"{norm[label] / DIM_WEIGHT[label]:.6f}" in printed
    assert "left out (non-finite value): motion_smoothness 1" in printed
    # the partial run: two dimensions, the summary names the other three
    part_res = json.loads((out / "two-only_eval_results.json").read_text())
    assert set(part_res) == {"subject_consistency", "background_consistency"}
    assert "not in this run: temporal_flickering (metric vbench_temporal_flickering), motion_smoothness" in printed
    assert "quality/total score not computed" in printed and "aesthetic quality" in printed


def test_without_timelines_consistency_falls_back_to_the_video_mean(tmp_path):
    from vbench_lite.reports.vbench_export import summary_lines, vbench_results

    with Store(tmp_path / "r.sqlite") as store:
        run = write_vbench_run(store, "old", ("vbench_subject_consistency",), timelines=False)
        export = vbench_results(store, run)
        values = [r["value"] for r in store.scores(run)]
    assert export.results["subject_consistency"][0] == pytest.approx(np.mean(values), abs=1e-12)
    assert "video_mean (no timelines stored)" in "\n".join(summary_lines(export))


def test_report_vbench_unknown_run_is_one_line(store_with_runs, capsys):
    path, _, _ = store_with_runs
    assert main(["report", "nope", "--format", "vbench", "--store", str(path)]) == 2
    assert "nope" in capsys.readouterr().err


@pytest.mark.skipif(not (VBENCH_REPO / "HEAD").exists() and not (VBENCH_REPO / ".git").exists(),
                    reason="no snapshot of Vchitect/VBench (set VBENCH_REPO)")
def test_vbench_own_final_score_script_reads_export(store_with_runs, tmp_path):
    """Run scripts/cal_final_score.py itself on a zip of our file."""
    path, full, _ = store_with_runs
    out = tmp_path / "vb"
    assert main(["report", full, "--format", "vbench", "--store", str(path), "-o", str(out)]) == 0
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for name in ("cal_final_score.py", "constant.py"):
        text = subprocess.run(["git", f"--git-dir={VBENCH_REPO}", "show", f"HEAD:scripts/{name}"],
                              capture_output=True, text=True, check=True).stdout
        (scripts / name).write_text(text)
    zip_file = tmp_path / "evaluation_results.zip"
    with zipfile.ZipFile(zip_file, "w") as z:
        z.write(out / "all-five_eval_results.json", "all-five_eval_results.json")
    r = subprocess.run([sys.executable, str(scripts / "cal_final_score.py"), "--zip_file", str(zip_file),
                        "--model_name", str(tmp_path / "m")], capture_output=True, text=True, cwd=tmp_path,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    upload = ast.literal_eval(lines[lines.index("your submission info: ") + 1].strip())
    res = json.loads((out / "all-five_eval_results.json").read_text())
    for key, (value, _) in res.items():
        assert upload[key.replace("_", " ")] == value
    quality = [ln for ln in lines if "quality score" in ln][0]
    mine = sum(normalized_scores(upload)[k] for k in QUALITY_LIST) / sum(DIM_WEIGHT[k] for k in QUALITY_LIST)
    assert float(quality.split("|")[2]) == pytest.approx(mine)  # VBench's arithmetic = our transcription
