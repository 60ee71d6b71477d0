"""One adapter over diffusers video pipelines, specialised per model family.

A ``Family`` declares what a model family accepts -- its pipelines (text-to-video,
image-to-video), valid frame counts (``frame_step * k + 1``), the multiple its height
and width must be, native size/length/fps, what its guidance knob means, and its
own knobs (``Knob``). ``PipelineGenerator`` turns a family into a generator:
settings with types, defaults and meanings; checks made once before a run is
recorded; loading from a local folder or the Hugging Face cache (downloads only with
``VBENCH_LITE_ALLOW_DOWNLOAD=1``, the rule backbones follow); memory options; and a
``pipe.KEY=VALUE`` pass-through for any other argument the pipeline's ``__call__``
takes (a misspelt key gets "did you mean").

diffusers is imported lazily: ``pip install 'vbench-lite[diffusers]'``.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import importlib.util
import inspect
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from vbench_lite.errors import UserError
from vbench_lite.generators.base import Capabilities, Generator
from vbench_lite.video import Video

PASS_PREFIX = "pipe."
MODES = ("t2v", "i2v")
MODE_MEANING = {"t2v": "text-to-video", "i2v": "image-to-video from the case's first frame",
                "auto": "whatever the pipeline in model_index.json takes"}
DTYPES = ("auto", "fp16", "bf16", "fp32")
OFFLOAD = ("none", "model", "sequential")
# call arguments the adapter sets itself from the case and the common settings
MANAGED = frozenset({"prompt", "image", "num_frames", "height", "width", "num_inference_steps",
                     "generator", "output_type", "return_dict", "negative_prompt"})
# where a managed argument comes from instead: the setting that sets it, or what does
MANAGED_SOURCE = {"num_frames": "the frames setting (--set frames=N)", "height": "the height setting",
                  "width": "the width setting", "num_inference_steps": "the steps setting",
                  "negative_prompt": "the negative_prompt setting", "prompt": "the suite's prompts",
                  "image": "the case's first frame (mode=i2v)", "generator": "the seeds (--seeds)",
                  "output_type": "vbench-lite (frames as arrays)", "return_dict": "vbench-lite"}


@dataclass(frozen=True)
class Knob:
    """A family-specific setting passed to the pipeline's ``__call__`` as ``kwarg``
    (default: the setting's own name), in the modes listed."""

    name: str
    default: Any
    meaning: str
    kwarg: str = ""
    modes: tuple[str, ...] = MODES

    @property
    def call_name(self) -> str:
        return self.kwarg or self.name


@dataclass(frozen=True)
class Family:
    name: str  # the generator's name: ``-g svd``
    title: str
    pipelines: dict[str, str]  # mode -> diffusers pipeline class name
    native: tuple[int, int]  # (height, width)
    frames: int  # native clip length
    fps: float  # native frame rate
    frame_step: int  # valid frame counts: frame_step * k + frame_offset
    multiple: int  # height and width must be multiples of this
    guidance: str  # what the ``guidance`` setting means for this family
    guidance_default: float
    steps_default: int
    frame_offset: int = 1
    max_frames: int | None = None
    guidance_kwarg: str = "guidance_scale"  # where ``guidance`` goes
    fps_kwarg: str = ""  # where ``fps`` goes too, for a family that conditions on the frame rate
    prompt_modes: tuple[str, ...] = MODES  # modes whose pipeline takes a prompt
    knobs: tuple[Knob, ...] = ()
    examples: dict[str, str] = field(default_factory=dict)  # mode -> a Hub id, for docs
    # VAE memory options the family's VAE has (diffusers' use_tiling / use_slicing); only these are offered
    vae_options: tuple[str, ...] = ("vae_tiling", "vae_slicing")
    vae_note: str = ""  # what to use instead, for a family without them

    def frames_ok(self, n: int) -> bool:
        return n >= self.frame_offset and (n - self.frame_offset) % self.frame_step == 0 \
            and (self.max_frames is None or n <= self.max_frames)

    def frame_rule(self) -> str:
        rule = "any count" if self.frame_step == 1 else f"{self.frame_step}k+{self.frame_offset}"
        return rule + (f", at most {self.max_frames}" if self.max_frames else "")

    def nearest_frames(self, n: int) -> int:
        k = max(0, round((n - self.frame_offset) / self.frame_step))
        best = self.frame_step * k + self.frame_offset
        return min(best, self.max_frames) if self.max_frames else best


def common_settings(fam: Family) -> dict[str, tuple[Any, str]]:
    """name -> (default, meaning) shared by every family."""
    h, w = fam.native
    return {
        "model": ("", "local folder or Hugging Face id already in the HF cache (e.g. "
                      f"{next(iter(fam.examples.values()), 'org/model')})"),
        "mode": (next(iter(fam.pipelines)), "which pipeline: " + ", ".join(
            f"{m} ({MODE_MEANING.get(m, fam.pipelines[m])})" for m in fam.pipelines)),
        "steps": (fam.steps_default, "denoising steps (num_inference_steps)"),
        "guidance": (fam.guidance_default, fam.guidance),
        "height": (h, f"frame height in pixels, a multiple of {fam.multiple}"),
        "width": (w, f"frame width in pixels, a multiple of {fam.multiple}"),
        "frames": (fam.frames, f"frames per clip ({fam.frame_rule()})"),
        "fps": (fam.fps, "frame rate the clip is played and scored at"
                + (f"; the model is also conditioned on it ({fam.fps_kwarg})" if fam.fps_kwarg else "")),
        "negative_prompt": ("", "negative prompt, where the pipeline takes one"),
        "device": ("auto", "auto (cuda if available, else cpu), cpu, cuda, cuda:1, ..."),
        "dtype": ("auto", "weights dtype: auto (bf16 on cuda, fp32 on cpu), fp16, bf16, fp32"),
        "offload": ("none", "CPU offload to save GPU memory: none, model (per component), sequential "
                            "(per layer, slowest)"),
        **{k: v for k, v in VAE_OPTIONS.items() if k in fam.vae_options},
    }


VAE_OPTIONS = {
    "vae_tiling": (False, "decode frames in spatial tiles (less memory for large frames)"),
    "vae_slicing": (False, "decode one clip of the batch at a time"),
}


class PipelineGenerator(Generator):
    """Base class; a subclass sets ``family`` and gets its settings built."""

    family: ClassVar[Family]
    settings_help: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        fam = getattr(cls, "family", None)
        if fam is None:
            return
        decl = common_settings(fam)
        decl.update({k.name: (k.default, k.meaning) for k in fam.knobs})
        cls.name = fam.name
        cls.settings = {k: v[0] for k, v in decl.items()}
        cls.settings_help = {k: v[1] for k, v in decl.items()}
        cls.settings_help[PASS_PREFIX + "KEY"] = "any other argument of the pipeline's __call__, passed as is"

    def __init__(self):
        super().__init__()
        self._pipe = None
        self._pipe_key = None

    # ---------------------------------------------------------------- checks

    @classmethod
    def unavailable_reason(cls) -> str | None:
        missing = [m for m in ("diffusers", "transformers") if importlib.util.find_spec(m) is None]
        return f"needs {', '.join(missing)}: pip install 'vbench-lite[diffusers]'" if missing else None

    def pipeline_class(self, mode: str):
        reason = self.unavailable_reason()
        if reason:
            raise UserError(f"generator {self.name!r} {reason}")
        import diffusers

        name = self.family.pipelines[mode]
        cls = getattr(diffusers, name, None)
        if cls is None:
            raise UserError(f"this diffusers ({diffusers.__version__}) has no {name}; upgrade: "
                            "pip install -U 'vbench-lite[diffusers]'")
        return cls

    def resolve_settings(self, given: dict[str, Any]) -> dict[str, Any]:
        fam = self.family
        for option in VAE_OPTIONS:
            if option in given and option not in fam.vae_options:
                raise UserError(f"{self.name} has no {option} setting ({fam.title}'s VAE has no {option[4:]})"
                                + (f"; {fam.vae_note}" if fam.vae_note else ""))
        passed = {k: v for k, v in given.items() if k.startswith(PASS_PREFIX)}
        out = super().resolve_settings({k: v for k, v in given.items() if k not in passed})
        fam = self.family
        if not out["model"]:
            raise UserError(f"generator {self.name!r} needs --set model=PATH_OR_HF_ID (already downloaded)")
        if out["mode"] not in fam.pipelines:
            raise UserError(f"{self.name} mode {out['mode']!r}: use {' or '.join(fam.pipelines)}")
        for key, choices in (("dtype", DTYPES), ("offload", OFFLOAD)):
            if out[key] not in choices:
                raise UserError(f"{self.name} {key} {out[key]!r}: use {', '.join(choices)}")
        if out["steps"] < 1:
            raise UserError(f"{self.name} steps must be >= 1, got {out['steps']}")
        if out["fps"] <= 0:
            raise UserError(f"{self.name} fps must be > 0, got {out['fps']}")
        if not fam.frames_ok(out["frames"]):
            raise UserError(f"{self.name} frames={out['frames']}: {fam.title} takes {fam.frame_rule()} frames; "
                            f"try frames={fam.nearest_frames(out['frames'])}")
        for key in ("height", "width"):
            v = out[key]
            if v < fam.multiple or v % fam.multiple:
                near = max(fam.multiple, round(v / fam.multiple) * fam.multiple)
                raise UserError(f"{self.name} {key}={v}: {fam.title} needs a multiple of {fam.multiple}; "
                                f"try {key}={near}")
        params = self._call_params(out["mode"])
        for key, raw in sorted(passed.items()):
            arg = key[len(PASS_PREFIX):]
            if params is not None and arg not in params:
                hint = difflib.get_close_matches(arg, params, n=1)
                raise UserError(f"{self.name} ({fam.pipelines[out['mode']]}) takes no argument {arg!r}"
                                + (f"; did you mean {PASS_PREFIX}{hint[0]}?" if hint else ""))
            if arg in MANAGED:
                raise UserError(f"{key} is set by vbench-lite from the case; use {MANAGED_SOURCE[arg]}")
            owner = {fam.guidance_kwarg: "guidance", fam.fps_kwarg: "fps"}.get(arg) or next(
                (k.name for k in fam.knobs if k.call_name == arg), None)
            if owner:
                raise UserError(f"{key} is the {self.name} setting {owner!r}; use --set {owner}=...")
            out[key] = parse_value(raw)
        for knob in fam.knobs:  # a knob whose default is None takes a literal (a number) or none
            if knob.default is None and isinstance(out[knob.name], str):
                out[knob.name] = parse_value(out[knob.name])
        if out["negative_prompt"] and params is not None and "negative_prompt" not in params:
            raise UserError(f"{self.name} ({fam.pipelines[out['mode']]}) takes no negative prompt; "
                            "drop negative_prompt")
        return out

    def _call_params(self, mode: str) -> list[str] | None:
        """Argument names of the pipeline's ``__call__`` (None when diffusers is absent:
        the run is refused earlier by ``unavailable_reason``)."""
        if self.unavailable_reason():
            return None
        params = inspect.signature(self.pipeline_class(mode).__call__).parameters
        return [p for p in params if p != "self"]

    def capabilities_for(self, settings):
        mode = settings["mode"]
        return Capabilities(text=mode in self.family.prompt_modes, cond_frames=1 if mode == "i2v" else 0,
                            resolution=(settings["height"], settings["width"]), num_frames=settings["frames"],
                            fps=settings["fps"], max_batch=1)

    def fingerprint(self, settings):
        return model_digest(model_folder(settings["model"]))

    # ---------------------------------------------------------------- running

    def pipeline(self, settings):
        import torch

        from vbench_lite.weights import download_allowed

        device = settings["device"]
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise UserError(f"{self.name} device {device!r}: torch sees no CUDA GPU; use device=auto or cpu")
        if settings["offload"] != "none" and not device.startswith("cuda"):
            raise UserError(f"{self.name} offload={settings['offload']} needs a CUDA device; use offload=none")
        dtype = {"auto": torch.bfloat16 if device.startswith("cuda") else torch.float32, "fp16": torch.float16,
                 "bf16": torch.bfloat16, "fp32": torch.float32}[settings["dtype"]]
        key = (settings["model"], settings["mode"], device, str(dtype), settings["offload"],
               *(settings[o] for o in self.family.vae_options))
        if self._pipe_key != key:
            self._pipe = None  # free the old one first
            cls = self.pipeline_class(settings["mode"])
            quiet_loading()
            try:
                pipe = cls.from_pretrained(str(model_folder(settings["model"])), **{dtype_argument(): dtype},
                                           local_files_only=not download_allowed())
            except (OSError, ValueError, EnvironmentError) as exc:
                raise UserError(f"cannot load {self.family.title} model {settings['model']!r}: "
                                f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__} (nothing is "
                                "downloaded unless VBENCH_LITE_ALLOW_DOWNLOAD=1)") from None
            if settings["offload"] == "model":
                pipe.enable_model_cpu_offload(device=device)
            elif settings["offload"] == "sequential":
                pipe.enable_sequential_cpu_offload(device=device)
            else:
                pipe = pipe.to(device)
            vae = getattr(pipe, "vae", None)
            for option, flag in (("vae_tiling", "use_tiling"), ("vae_slicing", "use_slicing")):
                if not settings.get(option):
                    continue
                if not hasattr(vae, flag):  # diffusers' enable_* raise NotImplementedError for these VAEs
                    raise UserError(f"{self.name}: this model's VAE ({type(vae).__name__}) has no {option[4:]}; "
                                    f"drop {option}")
                getattr(vae, "enable_" + option[4:])()
            pipe.set_progress_bar_config(disable=True)
            self._pipe, self._pipe_key = pipe, key
        return self._pipe

    def call_kwargs(self, case, settings) -> dict[str, Any]:
        """The pipeline's arguments for one case (families may extend)."""
        import torch

        fam, mode = self.family, settings["mode"]
        kw: dict[str, Any] = {
            "num_inference_steps": settings["steps"], fam.guidance_kwarg: settings["guidance"],
            "height": case.height, "width": case.width, "num_frames": case.num_frames,
            # a CPU generator: the same seed gives the same noise on every device
            "generator": torch.Generator("cpu").manual_seed(case.seed), "output_type": "np",
        }
        if mode in fam.prompt_modes:
            kw["prompt"] = case.prompt
            if settings["negative_prompt"]:
                kw["negative_prompt"] = settings["negative_prompt"]
        if self.takes_image(settings):
            from PIL import Image

            kw["image"] = Image.fromarray(case.cond_frames[0])
        if fam.fps_kwarg:
            fps = settings["fps"]
            kw[fam.fps_kwarg] = int(fps) if float(fps).is_integer() else fps
        for knob in fam.knobs:
            if mode in knob.modes:
                kw[knob.call_name] = settings[knob.name]
        kw.update({k[len(PASS_PREFIX):]: v for k, v in settings.items() if k.startswith(PASS_PREFIX)})
        return kw

    def takes_image(self, settings) -> bool:
        """Whether the pipeline gets the case's first frame as ``image``."""
        return settings["mode"] == "i2v"

    def generate(self, cases, settings):
        pipe = self.pipeline(settings)
        out: list[Video | Exception] = []
        for case in cases:
            if self.takes_image(settings) and case.cond_frames is None:
                out.append(UserError(f"{self.name} mode={settings['mode']} needs a conditioning frame; case "
                                     f"{case.case_id} has none (use an image or probe suite, or mode=t2v)"))
                continue
            frames = pipe(**self.call_kwargs(case, settings)).frames[0]  # float (T, H, W, 3) in [0, 1]
            want = (case.num_frames, case.height, case.width)
            if tuple(frames.shape[:3]) != want:  # a model variant that rounds frames or size
                out.append(UserError(f"{self.name}: the pipeline returned {tuple(frames.shape[:3])} (frames, "
                                     f"height, width) for {want}; this model needs other frames/height/width"))
                continue
            meta = {"model": settings["model"], "family": self.name, "mode": settings["mode"]}
            out.append(Video.from_array(frames_to_uint8(frames), case.fps, meta,
                                        source=f"{self.name} output for {case.case_id}"))
        return out


def dtype_argument() -> str:
    """``dtype`` where diffusers has renamed ``torch_dtype`` (0.42 warns on the old name)."""
    from diffusers.utils import deprecation_utils

    return "dtype" if hasattr(deprecation_utils, "_TORCH_DTYPE_DEPRECATION_MESSAGE") else "torch_dtype"


def quiet_loading() -> None:
    """Loading progress bars only on a terminal: in pipes and logs stderr is for errors."""
    import sys

    if sys.stderr.isatty():
        return
    import diffusers.utils.logging as dlog

    dlog.disable_progress_bar()
    try:
        import transformers.utils.logging as tlog

        tlog.disable_progress_bar()
    except ImportError:
        pass


def frames_to_uint8(frames):
    """Pipeline output (float in [0, 1], numpy or torch, (T, H, W, 3)) to uint8, rounded."""
    import numpy as np

    a = frames.float().cpu().numpy() if hasattr(frames, "cpu") else np.asarray(frames, dtype=np.float32)
    return (np.clip(a, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def parse_value(raw: Any) -> Any:
    """``--set pipe.KEY=VALUE``: a Python literal (number, bool, None, list) or else the string."""
    if not isinstance(raw, str):
        return raw
    text = {"true": "True", "false": "False", "none": "None"}.get(raw.strip().lower(), raw)
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return raw


def model_folder(model: str) -> Path:
    """The folder holding ``model``: a local path, or the Hugging Face cache snapshot
    of a Hub id (never downloaded here)."""
    path = Path(model).expanduser()
    looks_local = model.startswith((".", "/", "~")) or model.count("/") > 1 or "\\" in model
    if not path.exists() and looks_local:  # a Hub id is ORG/NAME: this was meant as a folder
        raise UserError(f"model folder {model!r} does not exist; check the path (a Hugging Face id looks "
                        "like org/name)")
    if path.is_dir():
        if not (path / "model_index.json").is_file():
            raise UserError(f"model folder {path} has no model_index.json; give a diffusers pipeline folder")
        return path
    if path.exists():
        raise UserError(f"model {model!r} is a file; give a diffusers pipeline folder or a Hugging Face id")
    from vbench_lite.weights import download_allowed

    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model, local_files_only=not download_allowed()))
    except Exception:  # not in the cache (or not a valid id)
        raise UserError(f"model {model!r} is neither a folder nor in the Hugging Face cache; download it first "
                        f"(huggingface-cli download {model}) or set VBENCH_LITE_ALLOW_DOWNLOAD=1") from None


def read_config(folder: Path, name: str) -> dict[str, Any]:
    """``folder/name`` (a pipeline's ``model_index.json`` or a component's
    ``config.json``) as a dict; {} when absent or unreadable."""
    try:
        return json.loads((folder / name).read_text())
    except (OSError, ValueError):
        return {}


def model_digest(folder: Path, sample: int = 1 << 16) -> str:
    """What identifies the weights cheaply: each file's path, size and first/last
    64 KiB (configs entirely), so changed weights under the same path make a new run."""
    h = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        size = f.stat().st_size
        h.update(f"{f.relative_to(folder).as_posix()}\0{size}\0".encode())
        with f.open("rb") as fh:
            h.update(fh.read(sample))
            if size > 2 * sample:
                fh.seek(-sample, 2)
                h.update(fh.read(sample))
    return "model-sha256:" + h.hexdigest()[:16]
