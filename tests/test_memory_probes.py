"""World-model memory probes (issue 24): ``offscreen``, ``revisit``, ``long_rollout``.

Each world is checked against its own definition (the ball really leaves and comes
back, the camera really pans away and back, the rollout really spans >= 10 windows of
the reference DiT), the simulator oracle scores at the floor, and every new score
moves the right way under a controlled error and stays still under the others."""

import dataclasses

import numpy as np
import pytest

from vbench_lite.case import RenderSpec, resolve_suite
from vbench_lite.cli import main
from vbench_lite.generators.dit.windows import window_starts
from vbench_lite.metrics import METRICS
from vbench_lite.metrics.memory_scores import error_growth, revisit, revisit_frames
from vbench_lite.metrics.physics_scores import permanence, position_error
from vbench_lite.probes import scenarios
from vbench_lite.probes.parse import parse_video
from vbench_lite.probes.perturb import perturb
from vbench_lite.probes.truth import ProbeTruth
from vbench_lite.probes.world import make_truth
from vbench_lite.reports.rollout import rollout_windows, seam_ratio, window_means, window_spans

MEMORY = ("offscreen", "revisit", "long_rollout")
SEEDS = (0, 1, 2)


def _scores(scenario: str, truth: ProbeTruth, frames: np.ndarray) -> dict[str, float]:
    parse = parse_video(frames, truth)
    if scenario == "offscreen":
        return permanence(parse, truth)
    if scenario == "revisit":
        return revisit(parse, truth, frames, truth.render())
    value, timeline = position_error(parse, truth)
    return {"position_error": value, "position_error_growth": error_growth(timeline, truth)}


def _mean(scenario, kind="none", strength=0.0, split="id"):
    """Mean of each score over SEEDS for videos of the ``kind`` perturbation, against the truth."""
    rows = []
    for seed in SEEDS:
        truth = make_truth(scenario, split, seed)
        rows.append(_scores(scenario, truth, perturb(truth, kind, strength).render()))
    return {k: float(np.nanmean([r[k] for r in rows])) for k in rows[0]}


# ---- the worlds -------------------------------------------------------------------------

@pytest.mark.parametrize("split", ["id", "ood"])
def test_offscreen_ball_leaves_keeps_moving_unseen_and_comes_back(split):
    for seed in range(6):
        t = make_truth("offscreen", split, seed)
        vis, off = t.ball_visible[:, 0], t.ball_offscreen[:, 0]
        assert vis[:4].all()  # in view in the conditioning frames
        gone = np.nonzero(off)[0]
        assert gone.size >= 2 and np.all(np.diff(gone) == 1)  # out of view for >= 0.2 s, once
        assert vis[gone[-1] + 1:].sum() >= 3  # fully back for >= 0.3 s before the end
        # unseen, it still moves: it reaches the wall beyond the edge and turns round
        x, r, wall = t.traj.ball_pos[:, 0, 0], t.traj.ball_radius[0, 0], t.params["wall_x"]
        assert abs(np.max(x) + r - wall) < 0.6 or abs(np.min(x) - r - wall) < 0.6
        assert np.sign(t.traj.ball_vel[gone[0] - 1, 0, 0]) != np.sign(t.traj.ball_vel[gone[-1] + 1, 0, 0])
        assert t.in_view_fraction(0)[gone].max() == 0 and t.in_view_fraction(0)[:4].min() == 1


@pytest.mark.parametrize("split", ["id", "ood"])
def test_revisit_camera_pans_away_and_back_over_a_static_scene(split):
    for seed in range(4):
        t = make_truth("revisit", split, seed)
        view = t.traj.view[:, 0]
        assert view[0] == 0 and view.max() >= 6 and view[-1] == 0  # away >= 6 units, then exactly back
        first, back = revisit_frames(t)
        assert first[:4].all() and back.sum() >= 6
        assert (t.ball_visible & back[:, None]).any(1).sum() >= 3  # a ball to check on return
        # the static scene renders identically on both visits where no ball is
        frames = t.render()
        still = perturb(t, "vanish", 1.0)  # same camera, main ball gone ...
        still.traj.ball_hidden[:] = True  # ... and the other too: the static scene alone
        static = still.render()
        ref = static[np.nonzero(first)[0][0]]
        assert all(np.array_equal(static[i], ref) for i in np.nonzero(back)[0])
        assert not np.array_equal(static[np.argmax(view)], ref)  # away, the view shows other things
        assert frames.shape == (32, 64, 64, 3)


def test_long_rollout_spans_ten_dit_windows_and_conserves_energy():
    t = make_truth("long_rollout", "id", 0)
    assert t.num_frames == 125 and scenarios.length("long_rollout") == 4
    assert len(window_starts(t.num_frames, 16, 4)) >= 10  # the reference DiT's default windows
    # a DiT run asks for its 32 frames per protocol clip: 4 x 31 + 1 at 32x32; a 49-frame model (4k+1) gets
    # 193 = 4 x 48 + 1, still 4k+1
    assert make_truth("long_rollout", "id", 0, 32, 32, 49).num_frames == 193
    dit = make_truth("long_rollout", "id", 0, 32, 32, 32)
    assert dit.render().shape == (125, 32, 32, 3)
    v, m = t.traj.ball_vel, t.scene.masses
    energy = 0.5 * (m * (v ** 2).sum(-1)).sum(1)
    assert np.allclose(energy, energy[0], rtol=1e-9)  # elastic walls and collisions, exactly
    assert t.ball_visible.mean() > 0.8 and np.ptp(t.traj.ball_pos[:, 0, 0]) > 3


def test_memory_suite_is_its_own_and_leaves_the_others_unchanged():
    mem = resolve_suite("memory")
    assert mem.scenarios == MEMORY and mem.version == "3"
    for name in ("default", "probes-id", "probes-ood", "nightly"):
        suite = resolve_suite(name)
        assert suite.version == "2" and not set(MEMORY) & set(suite.scenarios)
    cases = mem.cases(RenderSpec(32, 32))
    assert len(cases) == 30
    assert {c.num_frames for c in cases if c.group == "long_rollout"} == {125}
    assert {c.num_frames for c in cases if c.group != "long_rollout"} == {32}


def test_list_suites_shows_memory(capsys):
    assert main(["list", "suites"]) == 0
    assert "memory" in capsys.readouterr().out.split()


# ---- the oracle at the floor ------------------------------------------------------------

@pytest.mark.parametrize("split", ["id", "ood"])
def test_oracle_scores_at_the_floor(split):
    off = _mean("offscreen", split=split)
    assert off["permanence"] == 1 and off["reemergence_identity"] == 1 and off["reemergence_delay"] == 0
    assert off["reemergence_position_error"] < 0.01
    rev = _mean("revisit", split=split)
    assert rev["revisit_static_error"] == 0 and rev["revisit_static_truth_error"] == 0
    assert rev["revisit_position_error"] < 0.01 and rev["revisit_balls_found"] == 1
    roll = _mean("long_rollout", split=split)
    assert roll["position_error"] < 0.02 and abs(roll["position_error_growth"]) < 0.002


# ---- controlled errors: each score moves the right way, and only it -----------------------

def test_offscreen_scores_under_controlled_errors():
    exact = _mean("offscreen")
    gone = _mean("offscreen", "vanish", 0.5)  # stays away for half of the time it should be back
    assert gone["permanence"] < 0.6 and gone["reemergence_identity"] < 0.6
    assert gone["reemergence_delay"] > 0.3
    fast = _mean("offscreen", "speed", 0.3)  # comes back too early, at the wrong place ...
    assert fast["permanence"] < 0.2 and fast["reemergence_position_error"] > 0.5 and fast["reemergence_delay"] > 0.5
    assert fast["reemergence_identity"] == exact["reemergence_identity"] == 1  # ... but as itself
    other = _mean("offscreen", "recolor", 1.0)  # comes back in time and place, in another colour
    assert other["reemergence_identity"] < 0.3
    assert other["reemergence_position_error"] < 0.01


def _relandmarked(truth: ProbeTruth) -> np.ndarray:
    """The true video with the landmarks recoloured (channels rotated) once the camera is back."""
    scene = dataclasses.replace(truth.scene, rect_color=np.roll(truth.scene.rect_color, 1, axis=1))
    changed = dataclasses.replace(truth, scene=scene, _traj=truth.traj).render()
    frames = truth.render()
    _, back = revisit_frames(truth)
    frames[back] = changed[back]
    return frames


def test_revisit_scores_under_controlled_errors():
    exact = _mean("revisit")
    fast = _mean("revisit", "speed", 0.3)  # the balls are elsewhere on return; the place is unchanged
    assert fast["revisit_position_error"] > exact["revisit_position_error"] + 0.3
    assert fast["revisit_static_error"] == 0 and fast["revisit_static_truth_error"] == 0
    recolor = _mean("revisit", "recolor", 1.0)  # the balls change, the place does not
    assert recolor["revisit_static_error"] == 0
    rows = []
    for seed in SEEDS:
        t = make_truth("revisit", "id", seed)
        rows.append(_scores("revisit", t, _relandmarked(t)))
    changed = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    assert changed["revisit_static_error"] > 2 and changed["revisit_static_truth_error"] > 2  # RGB 0-255; floor: 0
    assert changed["revisit_position_error"] < 0.01 and changed["revisit_balls_found"] == 1
    gone = []  # a ball forgotten while the camera was away
    for seed in range(8):
        t = make_truth("revisit", "id", seed)
        video = perturb(t, "vanish", 1.0).render()  # the main ball is gone after conditioning
        s = _scores("revisit", t, video)
        if (t.ball_visible[:, 0] & revisit_frames(t)[1]).any():
            gone.append(s["revisit_balls_found"])
    assert gone and max(gone) < 1


def test_long_rollout_error_growth_under_controlled_errors():
    exact = _mean("long_rollout")
    fast = _mean("long_rollout", "speed", 0.2)  # drifts further from the truth every frame
    assert fast["position_error_growth"] > 0.1 and fast["position_error"] > 0.5
    big = _mean("long_rollout", "resize", 1.0)  # the balls grow, but stay on their paths
    assert abs(big["position_error_growth"] - exact["position_error_growth"]) < 0.01


def test_permanence_metric_applies_by_feature_and_reports_the_memory_outputs():
    from vbench_lite.case import Case
    from vbench_lite.metrics.base import VideoContext
    from vbench_lite.video import Video

    metric = METRICS.get("permanence")()
    for scenario, want in (("offscreen", {"permanence", "reemergence_identity", "reemergence_delay"}),
                           ("revisit", {"revisit_static_error", "revisit_position_error", "revisit_balls_found"})):
        truth = make_truth(scenario, "id", 0, 64, 48)  # a non-square frame: scored in the world's square
        case = Case(f"{scenario}-id-000", num_frames=truth.num_frames, height=64, width=48, truth=truth)
        video = Video(truth.render(), fps=truth.fps)
        out = metric.compute(video, case, VideoContext(video, case))
        assert want <= set(out) and "revisit_static_error" not in set(out) - want
    roll = make_truth("long_rollout", "id", 0)
    case = Case("long_rollout-id-000", num_frames=roll.num_frames, truth=roll)
    assert "(only occlusion, offscreen, revisit)" in metric.applies_to(case)
    video = Video(roll.render(), fps=roll.fps)
    out = METRICS.get("position_error")().compute(video, case, VideoContext(video, case))
    assert set(out) == {"position_error", "position_error_growth"} and len(out["position_error"].timeline) == 125


# ---- generators: the reference DiT chains its windows; the runner records every seam ----

@pytest.mark.usefixtures("torch_one_thread")
def test_reference_dit_rolls_out_a_long_case_over_eleven_windows():
    from vbench_lite.generators.dit.generator import ReferenceDiTGenerator

    gen = ReferenceDiTGenerator()
    spec = gen.capabilities.render_spec()
    case = next(c for c in resolve_suite("memory").cases(spec) if c.group == "long_rollout")
    settings = gen.resolve_settings({"steps": 1})
    video = gen.generate([case], settings)[0]
    assert video.frames.shape == (125, 32, 32, 3) and np.array_equal(video.frames[:4], case.cond_frames)
    assert gen.seams(settings, case.num_frames) == [15 + 12 * k for k in range(10)]  # 11 windows


def test_the_runner_records_the_seams_of_the_longest_clip(tmp_path):
    from vbench_lite.generators.base import Capabilities, Generator
    from vbench_lite.generators.dit.windows import seam_pairs
    from vbench_lite.runners.execute import execute
    from vbench_lite.runners.plan import RunSpec
    from vbench_lite.store import Store
    from vbench_lite.video import Video

    class WindowedOracle(Generator):  # the truth, declared as made in 16-frame windows
        name = "windowed-oracle"

        @property
        def capabilities(self):
            return Capabilities(text=True, cond_frames=4, max_batch=8)

        def seams(self, settings, num_frames):
            return seam_pairs(num_frames, 16, 4)

        def generate(self, cases, settings):
            return [Video(c.truth.render(), fps=c.fps) for c in cases]

    cases = resolve_suite("memory").cases(RenderSpec(32, 32))
    pick = [cases[0], next(c for c in cases if c.group == "long_rollout")]  # 32 and 125 frames
    with Store(tmp_path / "r.sqlite") as st:
        summary = execute(RunSpec("windowed-oracle", metrics=["position_error"]), st, generator=WindowedOracle(),
                          cases=pick, progress=False)
        assert summary.failed == 0
        assert st.run(summary.run_id)["provenance"]["seams"] == seam_pairs(125, 16, 4)
        growth = [r for r in st.scores(summary.run_id) if r["metric"] == "position_error_growth"]
        windows = rollout_windows(st, summary.run_id, "position_error", case_prefix="long_rollout-")
    assert len(growth) == 1 and abs(growth[0]["value"]) < 0.002  # the long clip only, at the floor
    assert list(windows["frames"])[:3] == ["0-15", "16-27", "28-39"] and list(windows["frames"])[-1] == "124-124"
    assert len(windows) == 11 and (windows["n"] == 1).all() and (windows["mean"] < 0.05).all()


def test_window_means_and_seam_ratio():
    seams = [15, 27]
    assert window_spans(32, seams) == [(0, 16), (16, 28), (28, 32)] and window_spans(8, []) == [(0, 8)]
    t = np.arange(32, dtype=float)  # an error growing by 1 a frame
    assert np.allclose(window_means(t, seams), [7.5, 21.5, 29.5])
    flat = np.ones(32)
    assert seam_ratio(flat, seams) == 1  # seams no worse than anywhere else ...
    flat[[16, 28]] = 4
    assert seam_ratio(flat, seams) == 4  # ... or a jump at each window's first new frame
    assert np.isnan(seam_ratio(flat, []))


@pytest.mark.usefixtures("torch_one_thread")
def test_a_diffusers_adapter_gets_the_memory_probes_through_the_normal_probe_path(tmp_path):
    """CogVideoX (tiny random weights, real pipeline): frames=9 (4k+1) asks a long rollout for
    4 x 8 + 1 = 33 frames, still 4k+1; made, parsed and scored like any probe -- no special code."""
    from helpers.diffusers_testing import require_diffusers

    require_diffusers()
    from helpers.tiny_pipelines import tiny_cogvideox_folder
    from vbench_lite.generators import create_generator
    from vbench_lite.runners.execute import execute
    from vbench_lite.runners.plan import RunSpec
    from vbench_lite.store import Store

    settings = {"model": str(tiny_cogvideox_folder(tmp_path / "cog")), "frames": "9", "height": "32",
                "width": "32", "steps": "2", "device": "cpu"}
    gen = create_generator("cogvideox")
    spec = gen.capabilities_for(gen.resolve_settings(settings)).render_spec()
    cases = resolve_suite("memory").cases(spec)
    pick = [next(c for c in cases if c.group == g) for g in MEMORY]
    assert [c.num_frames for c in pick] == [9, 9, 33]
    with Store(tmp_path / "r.sqlite") as st:
        summary = execute(RunSpec("cogvideox", settings=settings, metrics=["position_error"]), st,
                          cases=pick[2:], progress=False)  # the long one (the others are ordinary 9-frame probes)
        assert summary.failed == 0, summary.failure_reasons
        scored = {(r["case_id"].split("-")[0], r["metric"]) for r in st.scores(summary.run_id)}
    assert ("long_rollout", "position_error") in scored


def test_dit_training_data_holds_the_memory_probes_out_by_default(monkeypatch):
    from vbench_lite.generators.dit import data
    from vbench_lite.generators.dit.model import DiTConfig

    drawn = []
    monkeypatch.setattr(data, "world_clip", lambda sc, *a: drawn.append(sc) or (np.zeros((8, 16, 16, 3), np.uint8), "", 0.0))
    next(data.clip_batches(DiTConfig(frames=8, height=16, width=16), 64, seed=1, source="world"))
    assert set(drawn) == set(scenarios.in_suite("default"))  # the shipped recipe: the eight standard scenarios
