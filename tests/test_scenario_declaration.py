"""A probe scenario is one declaration (issue 26): a new one, declared here and
registered, is sampled, rendered, put in the suites it names (bumping their version),
scored by exactly the physics metrics its features call for, perturbed, parsed and
run through the runner and the CLI -- with no other file touched."""

import math

import numpy as np
import pytest

from vbench_lite.case import resolve_suite
from vbench_lite.cli import main
from vbench_lite.metrics import METRICS
from vbench_lite.probes import scenarios
from vbench_lite.probes.scenarios import BALLS, RADIUS, SPEED, Scenario, colors
from vbench_lite.probes.scene import WORLD_WIDTH, Scene
from vbench_lite.probes.world import make_truth
from vbench_lite.runners.execute import execute
from vbench_lite.runners.plan import RunSpec
from vbench_lite.store import Store


def _build(rng, p, hw, duration, cond_time):
    r, v = p["radius"], p["speed"]
    ang = math.radians(rng.uniform(20, 40))
    names, col = colors(rng, 1)
    s = Scene(WORLD_WIDTH, hw, ball_pos=np.array([[r + 0.3, r + 0.5]]),
              ball_vel=np.array([[v * math.cos(ang), v * math.sin(ang)]]), ball_radius=np.array([r]),
              ball_color=col)
    p.update(color=names[0])
    return s, p, f"A {names[0]} ball drifts up and to the right at {v:.1f} units per second."


DRIFT = Scenario(name="drift", order=900, tests="a diagonal drift (a demonstration declaration)",
                 ranges={"speed": SPEED, "radius": RADIUS}, builder=_build, features=frozenset({BALLS}),
                 suites=("default",), since="3")


@pytest.fixture
def drift():
    scenarios.register(DRIFT)
    yield DRIFT
    scenarios.unregister("drift")


def test_one_declaration_is_a_whole_scenario(drift, tmp_path, capsys):
    truth = make_truth("drift", "ood", 2)
    assert truth.render().shape == (32, 64, 64, 3) and "drifts up" in truth.prompt
    default = resolve_suite("default")
    assert "drift" in default.scenarios and default.version == "3"  # joining bumps the suite
    assert resolve_suite("probes-id").version == "2" and "drift" not in resolve_suite("probes-id").scenarios
    # the metrics its features call for apply; the others say where they do apply
    from vbench_lite.case import Case
    case = Case("drift-id-000", prompt="", num_frames=32, height=64, width=64, truth=make_truth("drift", "id", 0))
    assert METRICS.get("velocity_error")().applies_to(case) is None
    assert "(only occlusion, offscreen, revisit)" in METRICS.get("permanence")().applies_to(case)
    # the runner: the simulator renders it in the default suite, the oracle scores at the floor
    with Store(tmp_path / "r.sqlite") as st:
        summary = execute(RunSpec("simulator", metrics=["velocity_error", "permanence"]), st, progress=False)
        assert summary.failed == 0 and summary.total == 18
        rows = [r for r in st.scores(summary.run_id) if r["case_id"].startswith("drift-")]
    assert {r["metric"] for r in rows} >= {"velocity_error", "detection_failure_rate"}
    assert all(r["value"] < 0.2 for r in rows if r["metric"] == "velocity_error")
    # a controlled error moves it
    from vbench_lite.metrics.physics_scores import velocity_error
    from vbench_lite.probes.parse import parse_video
    from vbench_lite.probes.perturb import perturb
    truth = make_truth("drift", "id", 1)
    fast = perturb(truth, "speed", 0.5).render()  # the video of a 50 % too fast world, scored against the truth
    assert velocity_error(parse_video(fast, truth), truth)[0] > \
        velocity_error(parse_video(truth.render(), truth), truth)[0] + 0.3
    # the CLI renders it by name
    assert main(["probes", "render", "drift", "--out", str(tmp_path / "prev")]) == 0
    assert any((tmp_path / "prev").iterdir())


def test_a_bad_declaration_is_refused_where_it_is_written():
    with pytest.raises(ValueError, match="unknown features \\['wobble'\\]"):
        Scenario(name="x", order=1, tests="", ranges={}, builder=_build, features=frozenset({"wobble"}))
    with pytest.raises(ValueError, match="needs ranges for"):
        Scenario(name="x", order=1, tests="", ranges={"speed": {"id": [(1, 2)]}}, builder=_build,
                 features=frozenset({BALLS}))
    with pytest.raises(ValueError, match="already registered"):
        scenarios.register(scenarios.get("parabola"))


def test_unknown_scenario_is_one_line():
    from vbench_lite.errors import UserError
    with pytest.raises(UserError, match="unknown probe scenario 'parabolla'; choose one of uniform_motion"):
        make_truth("parabolla", "id", 0)
