"""``diffusers``: any diffusers video pipeline, loaded by ``DiffusionPipeline``.

``--generator diffusers --set model=/path/or/hub-id``. The class is the one the
model's ``model_index.json`` names; text-to-video pipelines get the prompt, and
image-to-video pipelines (those whose ``__call__`` takes ``image``) also get the
case's first conditioning frame. Any frame count, sides multiples of 8; arguments
the pipeline's ``__call__`` does not take are left out. A model with its own family
adapter (``-g svd``, ``-g cogvideox``, ``-g ltx-video``, ...) is better served there:
its frame and size rules are checked before a run and its knobs are named.

Loading, memory options, ``pipe.KEY=VALUE`` and the model fingerprint are the shared
adapter's (``vbench_lite.generators.pipelines.base``). Install with
``pip install 'vbench-lite[diffusers]'``.
"""

from __future__ import annotations

import inspect

from vbench_lite.errors import UserError
from vbench_lite.generators.base import Capabilities
from vbench_lite.generators.pipelines.base import Family, PipelineGenerator, model_folder, read_config

FAMILY = Family(
    name="diffusers",
    title="diffusers pipeline",
    pipelines={"auto": "DiffusionPipeline"},
    native=(256, 256),
    frames=16,
    fps=8.0,
    frame_step=1,
    multiple=8,
    guidance="classifier-free guidance scale (guidance_scale), where the pipeline takes one",
    guidance_default=7.5,
    steps_default=25,
    prompt_modes=("auto",),
    examples={"auto": "a diffusers video pipeline folder"},
)


class DiffusersGenerator(PipelineGenerator):
    family = FAMILY

    def __init__(self):
        super().__init__()
        self._declared = None  # the pipeline class model_index.json names, when diffusers has it

    def resolve_settings(self, given):
        self._declared = None
        if given.get("model") and not self.unavailable_reason():
            self._declared = declared_class(str(given["model"]))
        return super().resolve_settings(given)

    def _call_params(self, mode):
        cls = type(self._pipe) if self._pipe is not None else self._declared
        return None if cls is None else [p for p in inspect.signature(cls.__call__).parameters if p != "self"]

    def takes_image(self, settings):
        params = self._call_params(settings["mode"])
        return params is None or "image" in params

    def capabilities_for(self, settings):
        params = self._call_params(settings["mode"])
        return Capabilities(text=params is None or "prompt" in params,
                            cond_frames=1 if self.takes_image(settings) else 0,
                            resolution=(settings["height"], settings["width"]), num_frames=settings["frames"],
                            fps=settings["fps"], max_batch=1)

    def call_kwargs(self, case, settings):
        kw = super().call_kwargs(case, settings)
        params = self._call_params(settings["mode"])
        return kw if params is None else {k: v for k, v in kw.items() if k in params}


DiffusersGenerator.settings_help["mode"] = ("auto: the pipeline class named in the model's model_index.json "
                                            "(image-to-video when its __call__ takes image)")


def declared_class(model: str):
    """The diffusers class ``model_index.json`` names, or None: a community pipeline,
    or a model not found here (``fingerprint`` then says so in one line)."""
    import diffusers

    try:
        name = read_config(model_folder(model), "model_index.json").get("_class_name", "")
    except UserError:
        return None
    cls = getattr(diffusers, str(name), None)
    return cls if isinstance(cls, type) else None
