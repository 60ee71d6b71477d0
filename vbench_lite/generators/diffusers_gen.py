"""``diffusers``: real open text/image-to-video models through Hugging Face diffusers.

``--generator diffusers --set model=/path/or/hub-id``. The model must already be on
disk (a local folder or the Hugging Face cache): weights are never downloaded at run
time (``local_files_only=True``). Text-to-video pipelines get the prompt; image-to-
video pipelines (those whose ``__call__`` takes ``image``) also get the case's first
conditioning frame. Install with ``pip install 'vbench-lite[diffusers]'``.
"""

from __future__ import annotations

import inspect

from vbench_lite.errors import UserError
from vbench_lite.generators.base import Capabilities, Generator
from vbench_lite.video import Video


class DiffusersGenerator(Generator):
    name = "diffusers"
    settings = {"model": "", "steps": 25, "guidance": 7.5, "height": 256, "width": 256, "frames": 16,
                "fps": 8.0, "device": "auto", "dtype": "auto"}

    def __init__(self):
        super().__init__()
        self._pipe = None
        self._pipe_key = None

    @classmethod
    def unavailable_reason(cls):
        import importlib.util

        missing = [m for m in ("diffusers", "transformers") if importlib.util.find_spec(m) is None]
        return f"needs {', '.join(missing)}: pip install 'vbench-lite[diffusers]'" if missing else None

    def resolve_settings(self, given):
        out = super().resolve_settings(given)
        if not out["model"]:
            raise UserError("generator 'diffusers' needs --set model=PATH_OR_ID (already downloaded)")
        if out["dtype"] not in ("auto", "fp16", "bf16", "fp32"):
            raise UserError(f"dtype {out['dtype']!r}: use auto, fp16, bf16 or fp32")
        for key in ("steps", "height", "width", "frames"):
            if out[key] < 1:
                raise UserError(f"diffusers {key} must be >= 1, got {out[key]}")
        return out

    def capabilities_for(self, settings):
        return Capabilities(text=True, cond_frames=1, resolution=(settings["height"], settings["width"]),
                            num_frames=settings["frames"], fps=settings["fps"], max_batch=1)

    def fingerprint(self, settings):
        return settings["model"]

    def pipeline(self, settings):
        import torch

        try:
            from diffusers import DiffusionPipeline
        except ImportError:
            raise UserError("generator 'diffusers' needs: pip install 'vbench-lite[diffusers]'") from None
        if not settings["model"]:
            raise UserError("generator 'diffusers' needs --set model=PATH_OR_ID (already downloaded)")
        device = settings["device"]
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = {"auto": torch.float16 if device == "cuda" else torch.float32, "fp16": torch.float16,
                 "bf16": torch.bfloat16, "fp32": torch.float32}.get(settings["dtype"])
        if dtype is None:
            raise UserError(f"dtype {settings['dtype']!r}: use auto, fp16, bf16 or fp32")
        key = (settings["model"], device, str(dtype))
        if self._pipe_key != key:
            try:
                pipe = DiffusionPipeline.from_pretrained(settings["model"], torch_dtype=dtype, local_files_only=True)
            except (OSError, ValueError) as exc:
                raise UserError(f"cannot load diffusers model {settings['model']!r} from disk: "
                                f"{str(exc).splitlines()[0]}") from None
            self._pipe, self._pipe_key = pipe.to(device), key
            self._device = device
        return self._pipe

    def generate(self, cases, settings):
        import torch

        pipe = self.pipeline(settings)
        params = inspect.signature(pipe.__call__).parameters
        out = []
        for case in cases:
            kwargs = {"num_inference_steps": settings["steps"], "guidance_scale": settings["guidance"],
                      "height": case.height, "width": case.width, "num_frames": case.num_frames,
                      "generator": torch.Generator(self._device).manual_seed(case.seed), "output_type": "np"}
            if "prompt" in params:
                kwargs["prompt"] = case.prompt
            if "image" in params:
                if case.cond_frames is None:
                    out.append(UserError(f"{settings['model']} is image-to-video; case {case.case_id} has no "
                                         "conditioning frame"))
                    continue
                from PIL import Image

                kwargs["image"] = Image.fromarray(case.cond_frames[0])
            kwargs = {k: v for k, v in kwargs.items() if k in params}
            frames = pipe(**kwargs).frames[0]  # float (T, H, W, 3) in [0, 1] with output_type="np"
            out.append(Video.from_array(frames, case.fps, {"model": settings["model"]},
                                        source=f"diffusers output for {case.case_id}"))
        return out
