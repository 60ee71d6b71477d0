"""Same case, same world: a probe case's world (scene, parameters, prompt, trajectory)
and the time from which it is scored depend only on (suite, case id, seed), never on
the RenderSpec a generator declares -- that only decides how the world is observed."""

import dataclasses

import numpy as np
import pytest

from vbench_lite.runners.scoring import score_video

from vbench_lite.case import Case, RenderSpec, resolve_suite
from vbench_lite.errors import VideoError
from vbench_lite.generators import create_generator
from vbench_lite.metrics import METRICS, VideoContext
from vbench_lite.probes.scene import Scene, Trajectory
from vbench_lite.probes.suites import protocol_spec
from vbench_lite.probes.truth import BAR_COLOR
from vbench_lite.probes.world import (
    PROBE_COND_FRAMES, PROBE_FPS, PROBE_FRAMES, PROBE_SIZE, SCORE_FROM_S, make_truth,
)
from vbench_lite.video import Video

PHYSICS = ["velocity_error", "position_error", "permanence", "conservation", "monotone_change", "shape_drift"]
CANONICAL_TIMES = np.arange(PROBE_FRAMES) / PROBE_FPS  # (32,) s


def _declared(name: str, settings: dict) -> RenderSpec:
    gen = create_generator(name)
    return gen.capabilities_for(gen.resolve_settings(settings)).render_spec()


@pytest.fixture(scope="module")
def specs(tmp_path_factory) -> dict[str, RenderSpec]:
    """The render specs the built-in generators declare, plus a long 8 fps clip."""
    root = str(tmp_path_factory.mktemp("videos"))
    out = {
        "simulator": _declared("simulator", {}),
        "folder": _declared("folder", {"root": root}),
        "folder 48x80x20": _declared("folder", {"root": root, "height": 48, "width": 80, "frames": 20}),
        "command cond 1": _declared("command", {"argv": "true", "cond_frames": 1}),
        "diffusers": _declared("diffusers", {"model": "unused-here"}),
        "49 frames at 8 fps": RenderSpec(num_frames=49, fps=8.0, cond_frames=4),
    }
    try:
        out["reference-dit"] = _declared("reference-dit", {"device": "cpu"})
    except ImportError:  # no torch here: its declared geometry, as tests/test_dit_generator.py checks it
        out["reference-dit"] = RenderSpec(32, 32, 32, 10.0, 4)
    # the specs differ in every property that used to leak into the world
    assert out["simulator"].cond_frames == 4 and out["folder"].cond_frames == 0
    assert out["command cond 1"].cond_frames == 1 and out["diffusers"].cond_frames == 1
    assert (out["reference-dit"].height, out["reference-dit"].num_frames) == (32, 32)
    assert out["folder 48x80x20"].height != out["folder 48x80x20"].width
    return out


def _assert_same_fields(a, b, cls, what):
    for f in dataclasses.fields(cls):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.shape == y.shape and np.array_equal(x, y), (what, f.name)
        else:
            assert x == y, (what, f.name, x, y)


def _at_protocol(truth):
    """The same world observed at the protocol geometry."""
    return dataclasses.replace(truth, height=PROBE_SIZE, width=PROBE_SIZE, num_frames=PROBE_FRAMES, fps=PROBE_FPS,
                               cond_frames=PROBE_COND_FRAMES, _traj=None)


@pytest.mark.parametrize("suite", ["default", "probes-id", "probes-ood"])
def test_every_declared_spec_sees_the_same_worlds(suite, specs):
    s = resolve_suite(suite)
    reference = s.cases(protocol_spec())
    for label, spec in specs.items():
        cases = s.cases(spec)
        assert [c.case_id for c in cases] == [c.case_id for c in reference], label
        for case, ref in zip(cases, reference):
            what = (label, case.case_id)
            tr, rt = case.truth, ref.truth
            assert case.prompt == ref.prompt and case.params == ref.params, what
            assert tr.params == rt.params and tr.prompt == rt.prompt, what
            _assert_same_fields(tr.scene, rt.scene, Scene, what)
            _assert_same_fields(tr.scene.trajectory(CANONICAL_TIMES), rt.traj, Trajectory, what)
            # scored from the same time (0.4 s), whatever the generator was given
            assert np.all(tr.times[tr.scored] >= SCORE_FROM_S - 1e-9), what
            assert np.all(tr.times[~tr.scored] < SCORE_FROM_S - 1e-9), what
            # ... while the truth still records what it was given, at its own geometry
            assert tr.cond_frames == spec.cond_frames, what
            assert (tr.height, tr.width, tr.num_frames, tr.fps) == (spec.height, spec.width, spec.num_frames,
                                                                     spec.fps), what
            k = min(spec.cond_frames, spec.num_frames)
            assert (case.cond_frames is None) if k == 0 else case.cond_frames.shape == (k, spec.height,
                                                                                       spec.width, 3), what


def test_every_declared_spec_renders_the_same_frames_at_a_common_spec(specs):
    s = resolve_suite("default")
    reference = [c.truth.render() for c in s.cases(protocol_spec())]
    for label, spec in specs.items():
        for case, ref in zip(s.cases(spec), reference):
            assert np.array_equal(_at_protocol(case.truth).render(), ref), (label, case.case_id)


def _case(truth):
    return Case(case_id=f"{truth.scenario}-{truth.split}-{truth.seed:03d}", prompt=truth.prompt,
                num_frames=truth.num_frames, height=truth.height, width=truth.width, fps=truth.fps,
                group=truth.scenario, split=truth.split, truth=truth)


def _scores(case, frames):
    return score_video(Video(frames, case.fps), case, [METRICS.get(name)() for name in PHYSICS]).values()


def _assert_same_scores(a, b):
    assert a and a.keys() == b.keys(), (a, b)
    assert all(np.isclose(a[k], b[k], rtol=0, atol=1e-12, equal_nan=True) for k in a), (a, b)


@pytest.mark.parametrize("suite", ["default", "probes-id", "probes-ood"])
def test_simulator_videos_scored_as_given_no_conditioning_keep_permanence(suite, specs):
    """Regression: ground-truth occlusion videos read through ``-g folder`` (0 conditioning
    frames) were judged against a world with a moved occluder and scored permanence 0."""
    s = resolve_suite(suite)
    sim = [c for c in s.cases(specs["simulator"]) if c.group == "occlusion"]
    folder = [c for c in s.cases(specs["folder"]) if c.group == "occlusion"]
    assert sim and [c.case_id for c in sim] == [c.case_id for c in folder]
    permanence = METRICS.get("permanence")()
    for given4, given0 in zip(sim, folder):
        frames = given4.truth.render()
        video = Video(frames, given0.fps)
        assert permanence.compute(video, given0, VideoContext(video, given0))["permanence"] == 1.0, given0.case_id
        if suite == "default":  # every physics output means the same, whatever was given
            _assert_same_scores(_scores(given4, frames), _scores(given0, frames))


@pytest.mark.parametrize("fps, first", [(10.0, 4), (8.0, 4), (24.0, 10), (5.0, 2)])
def test_scoring_starts_at_the_protocols_first_generated_frame(fps, first):
    for cond in (0, 1, 4):
        tr = make_truth("uniform_motion", "id", 0, num_frames=40, fps=fps, cond_frames=cond)
        assert tr.first_scored == first and not tr.scored[:first].any() and tr.scored[first:].all()
    assert make_truth("candle", "id", 0, num_frames=3, fps=10.0).first_scored == 3  # ends before 0.4 s


@pytest.mark.parametrize("height, width", [(36, 64), (64, 40), (33, 48)])
def test_non_square_frames_letterbox_the_square_world(height, width):
    for scenario in ("occlusion", "transfer", "count"):
        wide = make_truth(scenario, "id", 1, height, width)
        side = min(height, width)
        square = make_truth(scenario, "id", 1, side, side)
        frames = wide.render()
        assert frames.shape == (wide.num_frames, height, width, 3)
        rows, cols = wide.window
        assert (rows.start, cols.start) == ((height - side) // 2, (width - side) // 2)
        assert (rows.stop - rows.start, cols.stop - cols.start) == (side, side)
        assert np.array_equal(frames[:, rows, cols], square.render())  # the whole world, centred
        bars = np.ones((height, width), bool)
        bars[rows, cols] = False
        assert np.all(frames[:, bars] == np.asarray(BAR_COLOR, np.uint8))
        assert wide.scale == square.scale and np.array_equal(wide.ball_visible, square.ball_visible)
        # scores read the world's square, so they equal the square observation's
        _assert_same_scores(_scores(_case(wide), frames), _scores(_case(square), square.render()))


def test_a_video_of_the_wrong_size_is_one_clear_error():
    tr = make_truth("occlusion", "id", 0, 36, 64)
    with pytest.raises(VideoError, match="rendered at 36x64"):
        tr.world_window(np.zeros((tr.num_frames, 64, 64, 3), np.uint8))
