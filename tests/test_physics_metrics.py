"""Physics metrics: the oracle scores at the floor on every scenario, and each score
moves monotonically with the strength of its matching perturbation."""

import numpy as np
import pytest

from vbench_lite.runners.scoring import score_video
from scipy.stats import spearmanr

from vbench_lite.case import Case
from vbench_lite.errors import VideoError
from vbench_lite.metrics import METRICS, MetricSkipped, VideoContext
from vbench_lite.probes.perturb import perturb
from vbench_lite.probes.world import SCENARIOS, make_truth
from vbench_lite.video import Video

NAMES = ["velocity_error", "position_error", "permanence", "conservation", "monotone_change", "shape_drift"]


def _case(truth):
    return Case(case_id=f"{truth.scenario}-{truth.split}-{truth.seed:03d}", suite="t", prompt=truth.prompt,
                num_frames=truth.num_frames, height=truth.height, width=truth.width, group=truth.scenario,
                split=truth.split, truth=truth)


def _scores(truth, kind="none", strength=0.0):
    """All applicable physics outputs for the simulator video with this perturbation."""
    case = _case(truth)
    video = Video(perturb(truth, kind, strength).render(), truth.fps)
    return score_video(video, case, [METRICS.get(name)() for name in NAMES]).values()


FLOOR = {  # (64x64 bound, 32x32 bound) on the oracle, in each output's units
    "velocity_error": (0.2, 0.6), "position_error": (0.01, 0.05), "detection_failure_rate": (0, 0),
    "reemergence_delay": (0.1, 0.2), "count_error": (0, 0.02), "area_error": (0.03, 0.25),
    "momentum_error": (0.05, 0.2), "energy_error": (0.08, 0.25), "level_error": (0.01, 0.03),
    "rate_error": (0.01, 0.03), "size_drift": (0.02, 0.1), "color_drift": (5, 10),
}


@pytest.mark.parametrize("size", [64, 32])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_oracle_scores_at_the_floor(scenario, size):
    col = 0 if size == 64 else 1
    for split in ("id", "ood"):
        s = _scores(make_truth(scenario, split, 0, size, size))
        assert s, "no physics metric applies"
        for key, bound in FLOOR.items():
            if key in s:
                assert s[key] <= bound[col], (split, key, s[key])
        if "permanence" in s:
            assert s["permanence"] >= (1.0 if size == 64 else 0.8), s
        if "monotone_fraction" in s:
            assert s["monotone_fraction"] == 1.0, s


def _curve(scenario, kind, key, levels, seeds=(0, 1), split="id"):
    truths = [make_truth(scenario, split, s) for s in seeds]
    return [float(np.nanmean([_scores(t, kind, lv)[key] for t in truths])) for lv in levels]


FULL = (0.0, 0.25, 0.5, 1.0)
# a faster candle burns out inside the clip (then stops, as physics says): keep it burning
SHORT = (0.0, 0.05, 0.1, 0.15)


@pytest.mark.parametrize("scenario, kind, key, rising, levels", [
    ("uniform_motion", "speed", "velocity_error", True, FULL),
    ("parabola", "speed", "velocity_error", True, FULL),
    ("bounce", "speed", "position_error", True, FULL),
    ("collision", "speed", "velocity_error", True, FULL),
    ("collision", "drop", "count_error", True, FULL),
    ("occlusion", "vanish", "permanence", False, FULL),
    ("occlusion", "vanish", "reemergence_delay", True, FULL),
    ("count", "recolor", "color_drift", True, FULL),
    ("parabola", "resize", "size_drift", True, FULL),
    ("count", "drop", "count_error", True, FULL),
    ("transfer", "drop", "level_error", True, FULL),
    ("candle", "vanish", "monotone_fraction", False, FULL),
    ("candle", "speed", "rate_error", True, SHORT),
])
def test_score_is_monotone_in_perturbation_strength(scenario, kind, key, rising, levels):
    curve = _curve(scenario, kind, key, levels)
    rho = spearmanr(levels, curve).statistic
    assert rho == pytest.approx(1.0 if rising else -1.0), curve
    floor, first = curve[0], curve[1]
    assert abs(first - floor) > 2 * max(abs(floor) if rising else 1 - floor, 1e-3), curve  # floor well apart


def test_velocity_error_is_about_proportional_to_the_speed_error():
    tr = make_truth("uniform_motion", "id", 3)
    for strength in (0.2, 0.5):
        err = _scores(tr, "speed", strength)["velocity_error"]
        assert err == pytest.approx(strength * tr.params["speed"], rel=0.1)


def test_applies_to_names_the_reason():
    candle = _case(make_truth("candle", "id", 0))
    assert "does not apply to scenario 'candle'" in METRICS.get("velocity_error")().applies_to(candle)
    assert METRICS.get("monotone_change")().applies_to(candle) is None
    plain = Case(case_id="p", prompt="a cat")
    assert "ground truth" in METRICS.get("permanence")().applies_to(plain)
    occ = _case(make_truth("occlusion", "id", 0))
    assert METRICS.get("permanence")().applies_to(occ) is None
    with pytest.raises(MetricSkipped):
        METRICS.get("permanence")().compute(Video(candle.truth.render()), candle, VideoContext(None, candle))


def test_metrics_declare_outputs_and_share_one_parse(monkeypatch):
    import vbench_lite.probes.parse as parse_mod
    calls = []
    real = parse_mod.parse_video
    monkeypatch.setattr(parse_mod, "parse_video", lambda f, t: calls.append(1) or real(f, t))
    case = _case(make_truth("collision", "id", 0))
    video = Video(case.truth.render())
    ctx = VideoContext(video, case)
    for name in NAMES:
        metric = METRICS.get(name)()
        assert metric.group == "physics" and "truth" in metric.needs and metric.outputs
        if not metric.applies_to(case):
            declared = {o.name for o in metric.outputs}
            assert set(metric.compute(video, case, ctx)) <= declared
    assert len(calls) == 1


def test_vanished_object_counts_as_detection_failure():
    tr = make_truth("uniform_motion", "id", 1)
    s = _scores(tr, "vanish", 0.5)
    assert s["detection_failure_rate"] > 0.3 and np.isfinite(s["velocity_error"])
    s = _scores(tr, "vanish", 1.0)
    assert s["detection_failure_rate"] == 1.0 and np.isnan(s["velocity_error"])


def test_wrong_frame_count_is_a_clear_error():
    case = _case(make_truth("parabola", "id", 0))
    video = Video(case.truth.render()[:16])
    with pytest.raises(VideoError, match="16 frames but the probe has 32"):
        METRICS.get("position_error")().compute(video, case, VideoContext(video, case))


def test_published_floor_is_far_below_a_mildly_wrong_simulator(tmp_path):
    """The floor as ``probes floor`` computes it: an oracle run through the runner."""
    from vbench_lite.case import RenderSpec
    from vbench_lite.metrics.physics import PHYSICS_METRICS
    from vbench_lite.reports.data import load_run
    from vbench_lite.reports.tables import group_means
    from vbench_lite.runners.execute import execute, oracle_spec
    from vbench_lite.store import Store

    def table(**perturbation):
        with Store(tmp_path / "f.sqlite") as st:
            spec = oracle_spec(["default"], [0], RenderSpec(), list(PHYSICS_METRICS), **perturbation)
            t = group_means(load_run(st, execute(spec, st, progress=False).run_id))
        return t[t["split"] == "id"].set_index("scenario")

    floor, wrong = table(), table(perturb="speed", strength=0.25)  # 25 % too fast
    rows = floor["velocity_error"].dropna()
    assert len(rows) >= 4
    for scenario, v in rows.items():
        assert v < 0.1 * wrong.loc[scenario, "velocity_error"], scenario
        assert v < 0.1  # world units/s, vs ID speeds of 1-4
