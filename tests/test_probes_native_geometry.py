"""Probe suites at an image-to-video model's native geometry: non-square frames, one
conditioning frame, a different clip length and frame rate (576x1024, 25 frames at
7 fps, as Stable Video Diffusion declares). The world is letterboxed into the wide
frame; a video that continues the first frame is parsed and scored against the same
world, through ``runners.scoring.score_video``, the one place a video is scored."""

import math

import numpy as np
import pytest

from vbench_lite.case import RenderSpec, resolve_suite
from vbench_lite.generators import create_generator
from vbench_lite.metrics import METRICS
from vbench_lite.runners.scoring import score_video
from vbench_lite.video import Video

PHYSICS = ["velocity_error", "position_error", "permanence", "conservation", "monotone_change", "shape_drift"]
SVD_LIKE = RenderSpec(height=576, width=1024, num_frames=25, fps=7.0, cond_frames=1)


@pytest.fixture(scope="module")
def cases_and_videos():
    cases = [c for c in resolve_suite("probes-id").cases(SVD_LIKE) if c.case_id.endswith("-000")]
    gen = create_generator("simulator")
    return cases, gen.generate(cases, gen.resolve_settings({}))


@pytest.mark.slow  # ~4 s: 8 probe videos of 25 frames at 576x1024
def test_simulator_continuation_at_576x1024_1_cond_frame_7fps_scores_perfectly(cases_and_videos):
    cases, videos = cases_and_videos
    metrics = [METRICS.get(n)() for n in PHYSICS]
    assert len(cases) == 8  # one per scenario
    for case, video in zip(cases, videos):
        assert (case.height, case.width, case.num_frames, case.fps) == (576, 1024, 25, 7.0)
        assert case.cond_frames.shape == (1, 576, 1024, 3)
        assert video.frames.shape == (25, 576, 1024, 3) and video.fps == 7.0
        assert np.array_equal(video.frames[:1], case.cond_frames)  # the video continues the given frame
        scored = score_video(video, case, metrics)
        assert not any(r.startswith("error") for r in scored.skips.values()), scored.skips
        values = scored.values()
        assert values and all(math.isfinite(v) for v in values.values()), (case.case_id, values)
        for name, v in values.items():
            if name in ("permanence", "monotone_fraction"):
                assert v == 1.0, (case.case_id, name, v)
            elif name.endswith(("_error", "_drift", "_rate", "_delay")):
                assert v < 0.02, (case.case_id, name, v)
        if case.group == "occlusion":
            assert values["permanence"] == 1.0
        if case.group == "count":
            assert values["count_error"] == 0.0


@pytest.mark.slow
def test_a_physical_error_at_that_geometry_is_scored_as_one(cases_and_videos):
    cases, _ = cases_and_videos
    occlusion = next(c for c in cases if c.group == "occlusion")
    gen = create_generator("simulator")
    vanished = gen.generate([occlusion], gen.resolve_settings({"perturb": "vanish", "strength": "1"}))[0]
    values = score_video(vanished, occlusion, [METRICS.get("permanence")()]).values()
    assert values["permanence"] < 0.5
