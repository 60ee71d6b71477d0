"""The diffusers adapter: clear errors, and argument mapping against a fake pipeline."""

import sys
import types

import numpy as np
import pytest

from conftest import moving_square
from vbench_lite.case import Case
from vbench_lite.errors import UserError
from vbench_lite.generators import create_generator
from vbench_lite.video import Video


def test_missing_model_setting_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "diffusers", types.SimpleNamespace(DiffusionPipeline=object))
    gen = create_generator("diffusers")
    with pytest.raises(UserError, match="model="):  # checked when settings are resolved
        gen.resolve_settings({})


def test_missing_package_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "diffusers", None)  # import fails
    gen = create_generator("diffusers")
    with pytest.raises(UserError, match=r"vbench-lite\[diffusers\]"):
        gen.generate([Case("a")], gen.resolve_settings({"model": "m"}))


def test_image_to_video_pipeline_gets_first_frame_and_seed(monkeypatch):
    seen = {}

    class FakePipe:
        @classmethod
        def from_pretrained(cls, model, torch_dtype=None, local_files_only=False):
            seen["local_only"] = local_files_only
            return cls()

        def to(self, device):
            return self

        def __call__(self, image, num_frames, height, width, num_inference_steps, generator, output_type):
            seen["image_size"] = image.size
            seen["seed"] = generator.initial_seed()
            return types.SimpleNamespace(frames=[np.full((num_frames, height, width, 3), 0.5, np.float32)])

    monkeypatch.setitem(sys.modules, "diffusers", types.SimpleNamespace(DiffusionPipeline=FakePipe))
    gen = create_generator("diffusers")
    st = gen.resolve_settings({"model": "fake", "height": "32", "width": "32", "frames": "6"})
    case = Case("a", num_frames=6, height=32, width=32, seed=7, cond_frames=moving_square(t=1))
    (v,) = gen.generate([case], st)
    assert isinstance(v, Video) and v.frames.shape == (6, 32, 32, 3)
    assert seen == {"local_only": True, "image_size": (32, 32), "seed": 7}
    (err,) = gen.generate([Case("b", num_frames=6, height=32, width=32)], st)
    assert isinstance(err, UserError) and "conditioning frame" in str(err)
