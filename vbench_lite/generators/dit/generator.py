"""``reference-dit``: the bundled spacetime-patch DiT as a vbench-lite generator.

Settings (all recorded in the run):
  steps     Euler (or Heun) flow-matching steps per window, >= 1 (default 4)
  guidance  classifier-free guidance scale on prompt + motion, 1 = off (default 1.0)
            (defaults chosen on the ``default`` suite for the shipped CPU checkpoint: 4
            steps without guidance gave the lowest velocity and warping errors; more steps
            or guidance add speckle -- see benchmarks/dit.md)
  motion    requested motion strength in px/frame at the native 32x32 (as measured by
            ``dit.data.measure_speed`` on the training clips, ~0-2); a negative value is
            "auto": no request (the learned null vector), so the model infers the motion
            from the conditioning frames and the prompt (default -1)
  window    frames per generated window, a multiple of the tubelet length, <= the trained
            window (default 16)
  overlap   frames each later window is conditioned on, 1..cond_frames (default 4)
  sampler   "euler" or "heun"
  device    "auto" (cuda if available, else cpu), "cpu", "cuda", "cuda:1", ...
  dtype     "auto" (bf16 autocast on cuda, fp32 on cpu), "float32", "bfloat16", "float16"
  checkpoint  path to a ``.safetensors`` with its ``.json`` beside it; "" = the shipped one
  threads   CPU threads for torch, 0 = leave torch's default

Seeds: each case's noise comes from its own ``torch.Generator(case.seed)``, drawn on the
CPU window by window, so a video depends on its seed, not on the batch it ran in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vbench_lite.case import PROTOCOL, Case
from vbench_lite.weights import file_sha256
from vbench_lite.errors import GeneratorError, UserError
from vbench_lite.generators.base import Capabilities, Generator
from vbench_lite.generators.dit.model import DiT, Conditioning, DiTConfig
from vbench_lite.generators.dit.data import to_model, to_uint8
from vbench_lite.generators.dit.flow_matching import rollout
from vbench_lite.generators.dit.text_encoder import tokenize
from vbench_lite.generators.dit.windows import seam_pairs
from vbench_lite.video import Video

WEIGHTS_DIR = Path(__file__).parent / "weights"
SHIPPED = WEIGHTS_DIR / "reference_dit.safetensors"
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise UserError(f"device {name!r} is not a torch device; use 'auto', 'cpu' or 'cuda'") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise UserError("device 'cuda' was asked for but torch sees no CUDA GPU; use device=auto or cpu")
    return dev


def load_model(path: str | Path, device: torch.device) -> DiT:
    """Load a checkpoint (``.safetensors`` + ``.json`` with the model config beside it)."""
    from safetensors.torch import load_file

    path = Path(path)
    meta_path = path.with_suffix(".json")
    if not path.is_file():
        raise UserError(f"checkpoint {path} does not exist; pass checkpoint=<file.safetensors> or '' for the shipped one")
    if not meta_path.is_file():
        raise UserError(f"checkpoint {path} has no {meta_path.name} beside it (the model config); copy it there")
    config = DiTConfig.from_dict(json.loads(meta_path.read_text())["model"])
    model = DiT(config)
    missing, unexpected = model.load_state_dict(load_file(str(path)), strict=False)
    if missing or unexpected:
        raise UserError(f"checkpoint {path} does not match its config: missing {missing[:3]}, unexpected {unexpected[:3]}")
    return model.to(device).eval().requires_grad_(False)


class ReferenceDiTGenerator(Generator):
    name = "reference-dit"
    settings: dict[str, Any] = {
        "steps": 4, "guidance": 1.0, "motion": -1.0, "window": 16, "overlap": 4, "sampler": "euler",
        "device": "auto", "dtype": "auto", "checkpoint": "", "threads": 0,
    }
    settings_help = {
        "steps": "flow-matching sampler steps per window, >= 1",
        "guidance": "classifier-free guidance scale on prompt and motion; 1 = off",
        "motion": "requested motion in px/frame at the native 32x32 (about 0-2); negative = auto (inferred "
                  "from the conditioning frames and prompt)",
        "window": "frames per generated window: a multiple of the tubelet length, at most the trained window",
        "overlap": "frames each later window is conditioned on (1..cond_frames); seams lie at window joins",
        "sampler": "euler or heun",
        "device": "auto (cuda if available, else cpu), cpu, cuda, cuda:1, ...",
        "dtype": "auto (bf16 autocast on cuda, fp32 on cpu), float32, bfloat16, float16",
        "checkpoint": "a .safetensors with its .json config beside it; empty = the shipped checkpoint",
        "threads": "CPU threads for torch; 0 = torch's default",
    }
    NATIVE = DiTConfig()  # the shipped checkpoint's geometry; checked against it on load

    def __init__(self):
        self._models: dict[tuple[str, str], DiT] = {}

    @property
    def capabilities(self) -> Capabilities:
        c = self.NATIVE
        return Capabilities(text=True, cond_frames=c.cond_frames, resolution=(c.height, c.width),
                            num_frames=PROTOCOL.num_frames, fps=c.fps, max_batch=16)

    def _checkpoint(self, settings: dict[str, Any]) -> Path:
        return Path(settings.get("checkpoint") or SHIPPED)

    def fingerprint(self, settings: dict[str, Any]) -> str:
        path = self._checkpoint(settings)
        return file_sha256(path)[:16] if path.is_file() else "missing"

    def seams(self, settings: dict[str, Any], num_frames: int) -> list[int]:
        """The rollout's window boundaries as frame-pair indices (``windows.seam_pairs``)."""
        s = {**self.settings, **settings}
        return seam_pairs(int(num_frames), int(s["window"]), int(s["overlap"]))

    def model(self, settings: dict[str, Any]) -> DiT:
        path = self._checkpoint(settings)
        device = resolve_device(str(settings.get("device", "auto")))
        key = (str(path.resolve()), str(device))
        if key not in self._models:
            self._models[key] = load_model(path, device)
        return self._models[key]

    def resolve_settings(self, given: dict[str, Any]) -> dict[str, Any]:
        """Defaults merged, types coerced and every value checked against the
        checkpoint's config (read from its JSON, no weights loaded): once, before a
        run is recorded."""
        s = super().resolve_settings(given)
        path = self._checkpoint(s)
        meta = path.with_suffix(".json")
        if not path.is_file() or not meta.is_file():
            missing = path if not path.is_file() else meta
            raise UserError(f"checkpoint file {missing} does not exist (a checkpoint is a .safetensors with its "
                            ".json config beside it); pass checkpoint=<file.safetensors> or '' for the shipped one")
        try:
            cfg = DiTConfig.from_dict(json.loads(meta.read_text())["model"])
        except (ValueError, KeyError, TypeError) as exc:
            raise UserError(f"checkpoint config {meta} cannot be read: {exc}") from None
        self._check(s, cfg)
        resolve_device(str(s["device"]))
        return s

    def _check(self, s: dict[str, Any], cfg: DiTConfig) -> None:
        if int(s["steps"]) < 1:
            raise UserError(f"steps must be >= 1, got {s['steps']}")
        if not float(s["guidance"]) >= 0:
            raise UserError(f"guidance must be >= 0, got {s['guidance']}")
        w, pt = int(s["window"]), cfg.patch[0]
        if not (pt <= w <= cfg.frames and w % pt == 0):
            raise UserError(f"window must be a multiple of {pt} between {pt} and {cfg.frames}, got {w}")
        if not 1 <= int(s["overlap"]) <= min(cfg.cond_frames, w - 1):
            raise UserError(f"overlap must be in 1..{min(cfg.cond_frames, w - 1)}, got {s['overlap']}")
        if s["sampler"] not in ("euler", "heun"):
            raise UserError(f"sampler must be 'euler' or 'heun', got {s['sampler']!r}")
        if s["dtype"] not in ("auto", *DTYPES):
            raise UserError(f"dtype must be 'auto' or one of {', '.join(DTYPES)}, got {s['dtype']!r}")

    def generate(self, cases: list[Case], settings: dict[str, Any]) -> list[Video | Exception]:
        s = settings  # resolved and checked by resolve_settings
        if int(s["threads"]) > 0:
            torch.set_num_threads(int(s["threads"]))
        model = self.model(s)
        cfg = model.config
        out: list[Video | Exception | None] = [None] * len(cases)
        groups: dict[tuple[int, int], list[int]] = {}
        for i, case in enumerate(cases):
            if (case.height, case.width) != (cfg.height, cfg.width):
                out[i] = GeneratorError(
                    f"case {case.case_id}: reference-dit makes {cfg.height}x{cfg.width} clips, the case asks "
                    f"{case.height}x{case.width}; build the suite with the generator's render spec")
                continue
            k = 0 if case.cond_frames is None else min(len(case.cond_frames), cfg.cond_frames)
            groups.setdefault((case.num_frames, k), []).append(i)
        for (num_frames, k), idx in groups.items():
            for lo in range(0, len(idx), self.capabilities.max_batch):
                chunk = idx[lo : lo + self.capabilities.max_batch]
                frames = self._generate_batch(model, [cases[i] for i in chunk], num_frames, k, s)
                for i, clip in zip(chunk, frames):
                    out[i] = Video(clip, fps=cases[i].fps, meta={"generator": self.name, "k_given": k})
        return out  # type: ignore[return-value]

    def _generate_batch(self, model: DiT, cases: list[Case], total: int, k: int, s: dict) -> np.ndarray:
        cfg, device = model.config, next(model.parameters()).device
        window, B = int(s["window"]), len(cases)
        known = torch.zeros(B, window, cfg.channels, cfg.height, cfg.width)  # (B, T, C, H, W)
        mask = torch.zeros(B, window)  # (B, T)
        if k:
            known[:, :k] = to_model(np.stack([c.cond_frames[:k] for c in cases]))  # (B, k, C, H, W)
            mask[:, :k] = 1
        motion = float(s["motion"])
        cond = Conditioning(
            known=known, known_mask=mask,
            text_ids=tokenize([c.prompt for c in cases], cfg.text_len, cfg.text_vocab),
            motion=torch.full((B,), max(motion, 0.0)),
            drop_text=torch.tensor([not c.prompt for c in cases]),
            drop_motion=torch.full((B,), motion < 0),
        )
        cond = Conditioning(*(f.to(device) for f in cond.fields()))
        gens = [torch.Generator().manual_seed(int(c.seed)) for c in cases]

        def noise(_window_index: int) -> torch.Tensor:
            shape = (window, cfg.channels, cfg.height, cfg.width)
            return torch.stack([torch.randn(shape, generator=g) for g in gens]).to(device)  # (B, T, C, H, W)

        dtype = s["dtype"]
        if dtype == "auto":
            dtype = "bfloat16" if device.type == "cuda" else "float32"
        with torch.autocast(device.type, dtype=DTYPES[dtype], enabled=dtype != "float32"):
            x = rollout(model, cond, total, window, int(s["overlap"]), int(s["steps"]), float(s["guidance"]),
                        noise, method=s["sampler"])  # (B, total, C, H, W)
        return to_uint8(x)  # (B, total, H, W, 3)
