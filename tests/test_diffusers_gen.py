"""The generic ``diffusers`` generator (the shared pipeline adapter over whatever class
``model_index.json`` names): clear errors, and argument mapping on tiny real pipelines."""

import sys

import numpy as np
import pytest

from helpers.common import moving_square
from helpers.diffusers_testing import record_calls, require_diffusers
from vbench_lite.case import Case
from vbench_lite.errors import UserError
from vbench_lite.generators import create_generator
from vbench_lite.video import Video


def test_missing_model_setting_is_a_clear_error():
    gen = create_generator("diffusers")
    with pytest.raises(UserError, match="model="):  # checked when settings are resolved
        gen.resolve_settings({})


def test_missing_package_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "diffusers", None)  # import fails
    gen = create_generator("diffusers")
    assert "vbench-lite[diffusers]" in gen.unavailable_reason()
    with pytest.raises(UserError, match=r"vbench-lite\[diffusers\]"):
        gen.generate([Case("a")], gen.resolve_settings({"model": "m"}))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    require_diffusers()
    from helpers.tiny_pipelines import tiny_cogvideox_folder, tiny_svd_folder

    root = tmp_path_factory.mktemp("tiny-generic")
    return {"svd": tiny_svd_folder(root / "svd"), "cog": tiny_cogvideox_folder(root / "cog")}


def test_image_to_video_pipeline_gets_first_frame_and_seed(tiny, monkeypatch, torch_one_thread):
    from diffusers import StableVideoDiffusionPipeline

    calls = record_calls(monkeypatch, StableVideoDiffusionPipeline)
    gen = create_generator("diffusers")
    st = gen.resolve_settings({"model": str(tiny["svd"]), "height": "32", "width": "32", "frames": "6",
                               "steps": "2", "device": "cpu"})
    caps = gen.capabilities_for(st)
    assert (caps.text, caps.cond_frames) == (False, 1)  # the declared class takes image, not prompt
    case = Case("a", num_frames=6, height=32, width=32, seed=7, cond_frames=moving_square(t=1))
    (v,) = gen.generate([case], st)
    assert isinstance(v, Video) and v.frames.shape == (6, 32, 32, 3) and v.frames.dtype == np.uint8
    (kw,) = calls
    assert np.array_equal(np.asarray(kw["image"]), case.cond_frames[0]) and kw["generator"].initial_seed() == 7
    assert "prompt" not in kw and "guidance_scale" not in kw  # what the call does not take is left out
    (err,) = gen.generate([Case("b", num_frames=6, height=32, width=32)], st)
    assert isinstance(err, UserError) and "conditioning frame" in str(err)


def test_text_to_video_pipeline_gets_the_prompt_and_checks_its_output(tiny, monkeypatch, torch_one_thread):
    from diffusers import CogVideoXPipeline

    calls = record_calls(monkeypatch, CogVideoXPipeline)
    gen = create_generator("diffusers")
    given = {"model": str(tiny["cog"]), "height": "32", "width": "32", "frames": "9", "steps": "2",
             "device": "cpu", "pipe.max_sequence_length": "16"}
    st = gen.resolve_settings(given)
    assert gen.capabilities_for(st).cond_frames == 0
    (v,) = gen.generate([Case("a", prompt="a red ball", num_frames=9, height=32, width=32)], st)
    assert isinstance(v, Video) and calls[0]["prompt"] == "a red ball" and calls[0]["max_sequence_length"] == 16
    # CogVideoX gives 8 frames for 5: the generic adapter cannot know the rule, but never mislabels a video
    st = gen.resolve_settings(dict(given, frames="5"))
    (err,) = gen.generate([Case("b", prompt="a ball", num_frames=5, height=32, width=32)], st)
    assert isinstance(err, UserError) and "returned (8, 32, 32)" in str(err)


def test_pass_through_is_checked_against_the_declared_class(tiny):
    with pytest.raises(UserError, match="did you mean pipe.max_sequence_length"):
        create_generator("diffusers").resolve_settings({"model": str(tiny["cog"]), "pipe.max_sequence_lenght": "8"})


def test_missing_or_bad_model_is_a_clear_error_before_a_run(tmp_path, tiny):
    gen = create_generator("diffusers")
    with pytest.raises(UserError, match="no model_index.json"):  # runners.prepare asks for the fingerprint
        gen.fingerprint(gen.resolve_settings({"model": str(tmp_path)}))
    with pytest.raises(UserError, match="model folder .*nope' does not exist"):
        gen.fingerprint(gen.resolve_settings({"model": str(tmp_path / "nope")}))
