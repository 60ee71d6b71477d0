"""Probe suites, the simulator (oracle) generator, perturbations and the probes CLI."""

import os
import time

import numpy as np
import pytest

from vbench_lite.case import RenderSpec, resolve_suite
from vbench_lite.cli import main
from vbench_lite.errors import UserError
from vbench_lite.generators import create_generator
from vbench_lite.generators.base import Generator
from vbench_lite.probes.perturb import PERTURBATIONS, perturb
from vbench_lite.probes.suites import SUITE_VERSION, protocol_spec
from vbench_lite.probes.truth import ProbeTruth
from vbench_lite.probes.scenarios import in_suite
from vbench_lite.probes.world import make_truth

SCENARIOS = in_suite("default")  # the eight standard scenarios (the memory probes are a suite of their own)


def test_default_suite_has_one_id_and_one_ood_case_per_scenario():
    suite = resolve_suite("default")
    assert suite.name == "default" and suite.version
    cases = suite.cases(RenderSpec())
    assert len(cases) == 16 and len({c.case_id for c in cases}) == 16
    assert {(c.group, c.split) for c in cases} == {(s, p) for s in SCENARIOS for p in ("id", "ood")}
    c = cases[0]
    assert c.case_id == "uniform_motion-id-000" and c.suite == "default" and c.prompt
    assert c.cond_frames.shape == (4, 64, 64, 3) and c.cond_frames.dtype == np.uint8
    assert isinstance(c.truth, ProbeTruth) and c.params["scenario"] == "uniform_motion"
    assert np.array_equal(c.truth.render()[:4], c.cond_frames)


def test_probe_suites_follow_the_render_spec():
    spec = RenderSpec(height=32, width=48, num_frames=20, fps=8.0, cond_frames=0)
    for name, split in (("probes-id", "id"), ("probes-ood", "ood")):
        cases = resolve_suite(name).cases(spec)
        assert len(cases) == 8 * len(SCENARIOS) and {c.split for c in cases} == {split}
        c = cases[5]
        assert (c.height, c.width, c.num_frames, c.fps) == (32, 48, 20, 8.0) and c.cond_frames is None
        assert c.truth.render().shape == (20, 32, 48, 3)
        assert c.truth.cond_frames == 0  # what the generator is given is recorded ...
    # ... but the same case id is the same physics whatever the spec (tests/test_probes_same_world.py)
    a = resolve_suite("probes-id").cases(RenderSpec(64, 64))[9]
    b = resolve_suite("probes-id").cases(spec)[9]
    assert a.case_id == b.case_id and a.params == b.params and a.prompt == b.prompt
    assert np.array_equal(a.truth.scene.ball_pos, b.truth.scene.ball_pos)


def test_probe_suites_carry_the_suite_version_and_the_protocol_spec():
    assert {resolve_suite(n).version for n in ("default", "probes-id", "probes-ood")} == {SUITE_VERSION}
    assert protocol_spec() == RenderSpec(64, 64, 32, 10.0, 4)  # Kang et al. 2024: 32 frames at 10 fps, 4 given


def test_simulator_generator_returns_the_truth_and_perturbs_on_request():
    gen = create_generator("simulator")
    assert isinstance(gen, Generator) and gen.name == "simulator"
    caps = gen.capabilities
    assert caps.text and caps.cond_frames == 4 and caps.resolution is None and caps.max_batch >= 16
    cases = resolve_suite("default").cases(RenderSpec())
    t0 = time.perf_counter()
    videos = gen.generate(cases, gen.resolve_settings({}))
    assert time.perf_counter() - t0 < 10
    for case, video in zip(cases, videos):
        assert np.array_equal(video.frames, case.truth.render()) and video.fps == case.fps
    fast = gen.generate(cases[:1], gen.resolve_settings({"perturb": "speed", "strength": "0.5"}))[0]
    assert fast.meta == {"perturb": "speed", "strength": 0.5}
    assert np.array_equal(fast.frames[:4], videos[0].frames[:4])  # conditioning frames untouched
    assert not np.array_equal(fast.frames, videos[0].frames)
    with pytest.raises(UserError, match="unknown perturbation"):
        gen.generate(cases[:1], {"perturb": "explode", "strength": 1.0})
    with pytest.raises(UserError, match="choose one of"):
        gen.resolve_settings({"perturb": "explode"})
    with pytest.raises(UserError, match="0..1 for vanish"):
        gen.resolve_settings({"perturb": "vanish", "strength": "3"})


def test_simulator_fails_one_item_for_a_non_probe_case():
    from vbench_lite.case import Case

    gen = create_generator("simulator")
    out = gen.generate([Case(case_id="cat", prompt="a cat")], gen.resolve_settings({}))
    assert isinstance(out[0], UserError) and "physics probes" in str(out[0])


@pytest.mark.parametrize("kind", PERTURBATIONS)
def test_every_perturbation_keeps_conditioning_and_zero_is_identity(kind):
    for scenario in SCENARIOS:
        tr = make_truth(scenario, "id", 0)
        exact = tr.render()
        assert np.array_equal(perturb(tr, kind, 0.0).render(), exact)
        strong = perturb(tr, kind, 1.0).render()
        assert np.array_equal(strong[:4], exact[:4])


def test_bad_strength_is_a_clear_error():
    tr = make_truth("count", "id", 0)
    with pytest.raises(UserError, match="use 0..1"):
        perturb(tr, "drop", 2.0)
    with pytest.raises(UserError, match=">= 0"):
        perturb(tr, "speed", -1.0)


def test_cli_render_writes_previews(tmp_path, capsys):
    assert main(["probes", "render", "collision", "--seed", "3", "--size", "32", "--frames", "12",
                 "--out", str(tmp_path)]) == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert "collision-id-003.png" in names and "collision-id-003.mp4" in names
    assert "prompt:" in capsys.readouterr().out


def test_cli_render_into_a_non_utf8_folder(tmp_path):
    """File names that are not UTF-8 reach the writers intact (OpenCV's own cannot take them)."""
    out = tmp_path / os.fsdecode(b"probes-\xff")
    assert main(["probes", "render", "bounce", "--size", "32", "--frames", "8", "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} >= {"bounce-id-000.png", "bounce-id-000.mp4"}
    from vbench_lite.io import read_video

    assert read_video(out / "bounce-id-000.mp4").num_frames == 8


def test_cli_floor_prints_a_table(capsys):
    assert main(["probes", "floor", "--size", "32", "--frames", "16"]) == 0
    out = capsys.readouterr().out
    assert "velocity_error" in out and "transfer" in out and "occlusion" in out


def test_cli_bad_scenario_is_one_line(capsys):
    assert main(["probes", "render", "rocket"]) == 2
    assert "unknown probe scenario 'rocket'" in capsys.readouterr().err
