"""`vbench-lite pick`: the rule (``reports.pick.pick_setting``) as a pure function,
the image fitting, one-line errors, and end to end -- a built-in generator with a
knob (``degraded`` jitter strength over the reference DiT) and the tiny real SVD
pipeline sweeping ``motion_bucket_id`` (skipped without diffusers, except under CI=true)."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from vbench_lite.cli import main
from vbench_lite.cli.pick import make_case
from vbench_lite.case import RenderSpec
from vbench_lite.errors import UserError
from vbench_lite.reports.pick import Candidate, pick_figure, pick_setting, rule_text

NAN = math.nan


def cands(*points):
    return [Candidate(f"k={i}", m, w) for i, (m, w) in enumerate(points)]


# ---------------------------------------------------------------- the rule


def test_tolerance_keeps_the_most_motion_within_the_limit_and_says_why():
    c = cands((0.5, 0.010), (1.0, 0.012), (2.0, 0.020))  # limit 0.010 x 1.25 = 0.0125
    p = pick_setting(c)
    assert (p.index, p.reference, p.within) == (1, 0, (0, 1))
    assert p.limit == pytest.approx(0.0125)
    text = p.reason
    assert "within 25% of the stillest" in text and "stillest: k=0" in text and "0.0125" in text
    assert "k=2 moves more (2) but its warping error 0.02 (+100%) is over it" in text
    assert pick_setting(c, tolerance=1.0).index == 2  # limit 0.020: everything within
    assert pick_setting(c, tolerance=0.0).index == 0  # nothing but the stillest itself
    assert "the stillest itself" in pick_setting(c, tolerance=0.0).reason


def test_a_warping_error_exactly_at_the_limit_is_within():
    # 0.011 x 1.25 is 0.013749999999999998 in floating point; 0.01375 is "at the limit"
    assert pick_setting(cands((1.0, 0.011), (2.0, 0.01375))).index == 1
    assert pick_setting(cands((1.0, 0.011), (2.0, 0.0137501))).index == 0
    assert pick_setting(cands((1.0, 0.01), (2.0, 0.0125))).index == 1


def test_order_of_the_sweep_does_not_matter_and_ties_are_broken_as_documented():
    c = cands((0.5, 0.010), (2.0, 0.020), (1.0, 0.012))
    assert c[pick_setting(c).index].motion == 1.0
    # equal motion within the limit: the lower warping error wins, wherever it is
    c = cands((0.5, 0.010), (1.0, 0.0124), (1.0, 0.0110))
    assert pick_setting(c).index == 2
    # identical points: the first in sweep order
    c = cands((0.5, 0.010), (1.0, 0.011), (1.0, 0.011))
    assert pick_setting(c).index == 1
    # two equally still settings: the one with less warping error is "the stillest"
    c = cands((0.5, 0.020), (0.5, 0.010), (1.0, 0.0124))
    p = pick_setting(c)
    assert p.reference == 1 and p.index == 2
    # least-warping ties go to more motion; most-motion ties to less warping
    c = cands((0.5, 0.010), (1.0, 0.010), (1.0, 0.009))
    assert pick_setting(c, "least-warping").index == 2
    assert pick_setting(cands((0.5, 0.010), (1.0, 0.010)), "least-warping").index == 1
    assert pick_setting(cands((1.0, 0.02), (1.0, 0.01)), "most-motion").index == 1


def test_every_setting_moving_the_same_keeps_the_lowest_warping_error():
    p = pick_setting(cands((1.0, 0.012), (1.0, 0.010), (1.0, 0.011)))
    assert p.index == 1 and "every setting gave the same motion" in p.reason


def test_other_rules():
    c = cands((0.5, 0.010), (1.0, 0.008), (2.0, 0.030))
    assert pick_setting(c, "stillest").index == 0
    assert pick_setting(c, "most-motion").index == 2
    assert pick_setting(c, "least-warping").index == 1
    for rule in ("stillest", "most-motion", "least-warping"):
        p = pick_setting(c, rule)
        assert p.limit is None and p.tolerance is None and f"--rule {rule})" in p.reason
    assert rule_text("tolerance", 0.125).endswith("within 12.5% of the stillest setting's")


def test_missing_scores_are_left_out_by_name_and_none_at_all_is_one_clear_error():
    c = [Candidate("k=0", 0.5, 0.010), Candidate("k=1", 9.0, NAN, "the clip failed: CUDA out of memory"),
         Candidate("k=2", NAN, NAN), Candidate("k=3", 1.0, 0.011)]
    p = pick_setting(c)
    assert p.index == 3 and p.excluded == (1, 2)
    assert "left out (no score): k=1 (the clip failed: CUDA out of memory); k=2 (no motion_px and no " \
           "warping_error)" in p.reason
    with pytest.raises(UserError, match=r"no setting has both .*k=0: the clip failed: boom; k=1: no warping_error"):
        pick_setting([Candidate("k=0", NAN, NAN, "the clip failed: boom"), Candidate("k=1", 1.0, math.inf)])
    with pytest.raises(UserError, match="no settings"):
        pick_setting([])


def test_bad_rule_or_tolerance_is_a_user_error():
    c = cands((1.0, 0.01))
    for kw in ({"rule": "best"}, {"tolerance": -0.1}, {"tolerance": NAN}, {"tolerance": math.inf}):
        with pytest.raises(UserError):
            pick_setting(c, **kw)


def test_a_stillest_setting_without_warping_error_allows_only_zero():
    assert pick_setting(cands((0.5, 0.0), (1.0, 1e-9))).index == 0
    assert pick_setting(cands((0.5, 0.0), (1.0, 0.0))).index == 1


def _summary(motion, warping, flicker):
    return pd.DataFrame({"metric": ["motion_px", "warping_error", "flicker"], "mean": [motion, warping, flicker],
                         "ci_low": [NAN] * 3, "ci_high": [NAN] * 3, "units": ["px/frame", "mse", "abs"],
                         "direction": ["-", "lower", "lower"]})


def test_the_plot_rings_the_chosen_setting_and_draws_the_limit():
    c = cands((0.5, 0.010), (1.0, 0.012), (2.0, 0.020))
    p = pick_setting(c)
    fig = pick_figure([_summary(x.motion, x.warping, 0.01) for x in c], [x.label for x in c], p)
    assert fig.vbench_data["pick"] == {"index": 1, "label": "k=1", "limit": p.limit, "rule": "tolerance"}
    texts = [t.get_text() for t in fig.legends[0].texts]
    assert len(fig.legends) == 1 and "chosen: k=1" in texts and "warping limit: stillest x 1.25" in texts
    warp_ax = fig.axes[0]
    assert any(np.allclose(line.get_ydata(), p.limit) for line in warp_ax.lines)


# ---------------------------------------------------------------- the case


def test_the_image_is_centre_cropped_to_the_aspect_ratio_then_resized():
    wide = np.zeros((90, 160, 3), np.uint8)
    wide[:, :35] = (255, 0, 0)  # cut off: only the central 90x90 survives for a square
    wide[:, 125:] = (0, 0, 255)
    wide[:, 35:125] = (0, 200, 0)
    case = make_case(RenderSpec(height=32, width=32, num_frames=9, fps=7.0), image=wide, image_digest="ab" * 32,
                     prompt="a ball")
    out = case.cond_frames[0]
    assert case.cond_frames.shape == (1, 32, 32, 3) and case.cond_frames.dtype == np.uint8
    assert (out[..., 1] > 190).all() and out[..., 0].max() < 10 and out[..., 2].max() < 10
    assert case.num_frames == 9 and case.fps == 7.0 and case.prompt == "a ball"
    assert case.case_id == "pick-img-" + "ab" * 6  # the image's content names the case (and so the run)
    tall = np.zeros((200, 100, 3), np.uint8)
    tall[:50] = 255  # the top quarter is cut for 16:9
    cond = make_case(RenderSpec(height=18, width=32), image=tall, image_digest="cd" * 32).cond_frames
    assert cond.shape == (1, 18, 32, 3) and cond.max() == 0
    assert make_case(RenderSpec(), prompt="x").cond_frames is None


# ---------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    from PIL import Image

    path = tmp_path_factory.mktemp("img") / "product.png"
    a = np.zeros((90, 160, 4), np.uint8)
    a[..., :3] = (40, 60, 90)
    a[..., 3] = 255
    a[30:60, 60:100] = (230, 80, 40, 255)
    a[:5] = 0  # a transparent strip: composited over white
    Image.fromarray(a, "RGBA").save(path)
    return path


@pytest.mark.parametrize("argv, message", [
    (["--sweep", "strength=0,1"], "pick needs something to generate from: --image FILE"),
    (["--prompt", "a ball"], "pick needs the knob to sweep: --sweep KEY=V1,V2"),
    (["--prompt", "a ball", "--sweep", "strength=0,1", "--out", "x.gif"], "--out x.gif: give a file ending in .mp4"),
    (["--prompt", "a", "--sweep", "strength=0,1", "--rule", "tolerance", "--tolerance", "-1"], "--tolerance -1"),
    (["--image", "nothere.png", "--sweep", "strength=0,1"], "--image nothere.png: no such file"),
    (["-g", "command", "--set", 'argv=["x", "{out}"]', "--image", "IMG", "--sweep", "timeout=1,2"],
     "generator 'command' takes no conditioning image; drop --image"),
    (["-g", "reference-dit", "--prompt", "a", "--sweep", "motion=0,x"], "setting motion='x': expected float"),
])
def test_bad_input_is_one_line_and_exit_2(argv, message, image, tmp_path, capsys):
    argv = [str(image) if a == "IMG" else a for a in argv]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "out.mp4")]
    code = main(["pick", *argv, "--store", str(tmp_path / "s.sqlite"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "s.sqlite").exists()  # nothing recorded


def test_an_unreadable_image_says_so(tmp_path, capsys):
    bad = tmp_path / "broken.png"
    bad.write_text("not an image")
    assert main(["pick", "--image", str(bad), "--sweep", "motion=0,1", "--out", str(tmp_path / "o.mp4"),
                 "--store", str(tmp_path / "s.sqlite")]) == 2
    assert "cannot be read as an image" in capsys.readouterr().err


def _rows(out: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#"))
    return lines[start + 1:start + 1 + sum(1 for x in lines[start + 1:] if x[:1].isdigit())]


def test_pick_end_to_end_with_a_built_in_knob(image, tmp_path, capsys):
    """`degraded` jitter over the reference DiT: strength shakes the clip, so motion and
    warping error grow with it. The table, the choice by the stated rule, the clip,
    the plot, the stored runs, resume, and another rule on the same runs."""
    from vbench_lite.io import read_video
    from vbench_lite.store import Store

    store, out = tmp_path / "s.sqlite", tmp_path / "chosen" / "clip.mp4"
    knob = ["pick", "--seed", "0", "-g", "degraded", "--set", "base=reference-dit", "--set", "kind=jitter",
            "--image", str(image), "--prompt", "a red ball rolls", "--sweep", "strength=0,0.3,1", "--store", str(store),
            "--no-progress"]
    argv = [*knob, "--out", str(out)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert max(len(line) for line in text.splitlines() if str(tmp_path) not in line) <= 100
    rows = _rows(text)
    assert [r.split()[1] for r in rows] == ["0", "0.3", "1"] and sum("<- chosen" in r for r in rows) == 1
    assert "rule: the most motion whose warping error stays within 25% of the stillest" in text
    assert f"wrote: {out}" in text and f"plot: {tmp_path / 'chosen' / 'clip_tradeoff.png'}" in text
    video = read_video(out)
    assert video.num_frames == 32 and (video.height, video.width) == (32, 32)
    assert (tmp_path / "chosen" / "clip_tradeoff.png").stat().st_size > 10_000

    assert main([*argv, "--format", "json"]) == 0  # resumes: nothing regenerated
    data = json.loads(capsys.readouterr().out)
    pts = data["settings"]
    motion = [p["motion_px"] for p in pts]
    warping = [p["warping_error"] for p in pts]
    assert motion[2] > motion[0] and warping[2] > warping[0]  # the knob reached the generator
    again = pick_setting([Candidate(p["label"], p["motion_px"], p["warping_error"]) for p in pts])
    assert data["chosen"] == pts[again.index]["label"] and data["reason"] == list(again.lines)
    assert [p["chosen"] for p in pts].count(True) == 1
    with Store(store) as st:
        runs = [st.run(p["run_id"]) for p in pts]
        assert all(len(st.items(r["run_id"])) == 1 for r in runs)
        assert [r["settings"]["strength"] for r in runs] == [0.0, 0.3, 1.0]
        assert len({r["sweep"] for r in runs}) == 1 and runs[0]["sweep"].startswith("pick-")

    assert main([*argv, "--rule", "most-motion", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["chosen"] == "strength=1"
    npz = tmp_path / "lossless.npz"
    assert main([*knob, "--out", str(npz), "--rule", "stillest", "--plot", str(tmp_path / "p.svg")]) == 0
    chosen = next(r for r in _rows(capsys.readouterr().out) if "<- chosen" in r)
    assert chosen.split()[1] == pts[int(np.argmin(motion))]["label"].split("=")[1]
    assert read_video(npz).num_frames == 32 and (tmp_path / "p.svg").exists()


@pytest.fixture(scope="module")
def tiny_svd(tmp_path_factory):
    from helpers.diffusers_testing import require_diffusers
    from helpers.tiny_pipelines import tiny_svd_folder

    require_diffusers()

    return tiny_svd_folder(tmp_path_factory.mktemp("svd") / "tiny-svd")


def test_pick_motion_bucket_of_a_real_svd_pipeline(tiny_svd, image, tmp_path, capsys):
    """The command of the README on the tiny randomly initialised StableVideoDiffusionPipeline:
    the image is the conditioning frame, each motion_bucket_id is its own stored run."""
    from vbench_lite.io import read_video

    out = tmp_path / "out.mp4"
    assert main(["pick", "--seed", "0", "-g", "svd", "--set", f"model={tiny_svd}", "--set", "height=32",
                 "--set", "width=32",
                 "--set", "frames=8", "--set", "steps=2", "--image", str(image),
                 "--sweep", "motion_bucket_id=50,127,200", "--out", str(out), "--store", str(tmp_path / "s.sqlite"),
                 "--no-progress"]) == 0
    text = capsys.readouterr().out
    rows = _rows(text)
    assert [r.split()[1] for r in rows] == ["50", "127", "200"] and sum("<- chosen" in r for r in rows) == 1
    assert "pick: svd, 3 settings of motion_bucket_id, seed 0, image product.png -> 8 frames 32x32" in text
    video = read_video(out)
    assert (video.num_frames, video.height, video.width) == (8, 32, 32)
    assert (tmp_path / "out_tradeoff.png").exists()
    # svd takes no prompt: a prompt alone is refused before anything is generated
    assert main(["pick", "-g", "svd", "--set", f"model={tiny_svd}", "--prompt", "a ball", "--sweep",
                 "motion_bucket_id=50,127", "--out", str(out), "--store", str(tmp_path / "t.sqlite")]) == 2
    assert "generates from an image, not text: give --image FILE" in capsys.readouterr().err


def test_help_names_the_rules(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["pick", "--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0 and "least-warping" in out and "--tolerance" in out and "centre-cropped" in out


def test_a_value_whose_clip_fails_is_left_out_by_name_and_all_failing_is_one_line(tmp_path, capsys):
    """A text-only generator (the command generator, a prompt and no image): the value
    that times out is named with its reason and the rule picks among the others; when
    every clip fails, one line says why for each and the runs stay stored."""
    from helpers.common import command_argv

    store = tmp_path / "s.sqlite"
    base = ["pick", "--seed", "0", "-g", "command", "--set", f"argv={command_argv('--sleep', '0.5')}", "--set", "ext=.npz",
            "--prompt", "a red square", "--store", str(store), "--no-progress", "--out", str(tmp_path / "o.mp4")]
    assert main([*base, "--sweep", "timeout=0.05,30"]) == 0
    out = capsys.readouterr().out
    rows = _rows(out)
    assert "no score" in rows[0] and "<- chosen" in rows[1]
    assert "left out (no score): timeout=0.05 (the clip failed: command timed out after 0.05 s" in " ".join(out.split())
    assert main([*base, "--sweep", "timeout=0.05,0.06"]) == 2
    err = capsys.readouterr().err
    assert "no setting has both a motion_px and a warping_error score" in err and "timeout=0.06: the clip" in err
    from vbench_lite.store import Store

    with Store(store) as st:
        assert len(st.runs()) == 3  # every value is a stored run (timeout=0.05 was retried, not doubled)
