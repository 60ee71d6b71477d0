"""Cases (one thing to generate) and suites (named lists of cases).

A suite builds its cases for a ``RenderSpec`` -- the resolution and frame count the
generator declares -- so probes and conditioning frames are rendered at what the
generator actually makes.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vbench_lite.errors import UserError
from vbench_lite.registry import Registry

_CASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_PROMPT_CHARS = 2000


def check_case_id(case_id: str) -> str:
    """Case ids become file names, so they are restricted to ``[A-Za-z0-9._-]``."""
    if not isinstance(case_id, str) or not _CASE_ID.match(case_id) or ".." in case_id:
        raise UserError(
            f"bad case id {case_id!r}: use 1-128 letters, digits, '.', '_' or '-' "
            "(no path separators), starting with a letter or digit"
        )
    return case_id


def check_prompt(prompt: str) -> str:
    """Prompts are free text but never contain control characters (newlines, NUL,
    escape codes): they end up in tables, JSON and argv of external programs."""
    if not isinstance(prompt, str):
        raise UserError(f"prompt must be text, got {type(prompt).__name__}")
    if _CONTROL.search(prompt):
        bad = _CONTROL.search(prompt).group()
        raise UserError(f"prompt {prompt[:40]!r} contains control character {bad!r}; remove it")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise UserError(f"prompt is {len(prompt)} characters; the limit is {MAX_PROMPT_CHARS}")
    return prompt


@dataclass(frozen=True)
class RenderSpec:
    """What the generator makes: frame size, frame count, fps, conditioning frames.
    The defaults are the probe protocol (``PROTOCOL``)."""

    height: int = 64
    width: int = 64
    num_frames: int = 32  # Kang et al. 2024: 32 frames at 10 fps, the first 4 given
    fps: float = 10.0
    cond_frames: int = 4


# The one declaration of the default geometry (the physics-probe protocol); probes,
# cases, generators and the CLI read it from here.
PROTOCOL = RenderSpec()


@dataclass(frozen=True, eq=False)
class Case:
    """One thing to generate.

    ``seed`` is the generation seed (the runner sets it per planned seed);
    ``cond_frames`` are the first k frames, uint8 ``(k, H, W, 3)``, or None;
    ``truth`` is opaque ground truth from ``vbench_lite.probes`` (None for prompt suites);
    ``group`` is a scenario or category, ``split`` is "id"/"ood" for probes.
    """

    case_id: str
    suite: str = "adhoc"
    prompt: str = ""
    num_frames: int = PROTOCOL.num_frames
    height: int = PROTOCOL.height
    width: int = PROTOCOL.width
    fps: float = PROTOCOL.fps
    seed: int = 0
    cond_frames: np.ndarray | None = None
    group: str = ""
    split: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    truth: Any = None

    def __post_init__(self):
        check_case_id(self.case_id)
        check_prompt(self.prompt)
        if self.num_frames < 1 or self.height < 1 or self.width < 1:
            raise UserError(f"case {self.case_id}: frame count and size must be positive")

    def with_seed(self, seed: int) -> "Case":
        return dataclasses.replace(self, seed=int(seed))

    @property
    def key(self) -> tuple[str, int]:
        return (self.case_id, self.seed)


class Suite(Protocol):
    """A named, versioned list of cases, built for a generator's RenderSpec."""

    name: str
    version: str

    def cases(self, spec: RenderSpec) -> list[Case]: ...


# name -> Suite object or factory (called with no arguments), lazily imported
SUITES: Registry = Registry("suite")
SUITES.register("default", "vbench_lite.probes.suites:default_suite")
SUITES.register("probes-id", "vbench_lite.probes.suites:probes_id_suite")
SUITES.register("probes-ood", "vbench_lite.probes.suites:probes_ood_suite")
SUITES.register("nightly", "vbench_lite.probes.suites:nightly_suite")
SUITES.register("memory", "vbench_lite.probes.suites:memory_suite")
SUITES.register("prompts-basic", "vbench_lite.case:basic_prompt_suite")
SUITES.register("prompts-video", "vbench_lite.case:video_prompt_suite")
SUITES.register("images", "vbench_lite.images:image_suite")


def read_suite_file(path: str | Path) -> dict[str, Any]:
    """A suite's TOML file as a dict; every way it can be unreadable is one line."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"suite file {path} does not exist") from None
    except IsADirectoryError:
        raise UserError(f"suite file {path} is a folder; give a prompt-suite .toml file") from None
    except OSError as exc:
        raise UserError(f"suite file {path} cannot be read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"suite file {path} is not valid TOML: {exc}") from None


def check_entries(entries: Any, path: Path, required: tuple[str, ...] = ("id", "prompt")) -> list[dict]:
    """A suite file's ``[[case]]`` tables: each has the ``required`` keys, a valid
    unique id, a valid prompt, and text (if any) in ``group`` and ``tests``."""
    if not entries:
        raise UserError(f"suite file {path} has no [[case]] entries")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise UserError(f"suite file {path}: 'case' must be [[case]] tables")
    seen: set[str] = set()
    for e in entries:
        if any(k not in e for k in required):
            raise UserError(f"suite file {path}: every [[case]] needs {' and '.join(map(repr, required))}")
        check_case_id(e["id"])
        check_prompt(e["prompt"])
        for key in ("group", "tests"):
            if key in e:
                if not isinstance(e[key], str):
                    raise UserError(f"suite file {path}, case {e['id']}: {key!r} must be text")
                check_prompt(e[key])
        if e["id"] in seen:
            raise UserError(f"suite file {path}: case id {e['id']!r} appears twice")
        seen.add(e["id"])
    return entries


@dataclass
class PromptSuite:
    """A suite that is data: prompts from a TOML file (``name``, ``version``,
    ``[[case]]`` tables with ``id``, ``prompt`` and optional ``group`` and ``tests`` --
    one phrase saying what the case checks, kept in ``Case.params["tests"]``)."""

    name: str
    version: str
    entries: list[dict[str, str]]

    @classmethod
    def from_file(cls, path: str | Path) -> "PromptSuite":
        path = Path(path)
        data = read_suite_file(path)
        entries = check_entries(data.get("case") or [], path)
        return cls(data.get("name", path.stem), str(data.get("version", "1")), entries)

    def cases(self, spec: RenderSpec) -> list[Case]:
        return [
            Case(
                case_id=e["id"], suite=self.name, prompt=e["prompt"], group=e.get("group", ""),
                num_frames=spec.num_frames, height=spec.height, width=spec.width, fps=spec.fps,
                params={"tests": e["tests"]} if e.get("tests") else {},
            )
            for e in self.entries
        ]


SUITES_DIR = Path(__file__).parent / "suites"


def basic_prompt_suite() -> PromptSuite:
    return PromptSuite.from_file(SUITES_DIR / "prompts_basic.toml")


def video_prompt_suite() -> PromptSuite:
    """``prompts-video``: 162 natural-language prompts for real text-to-video models."""
    return PromptSuite.from_file(SUITES_DIR / "prompts_video.toml")


def resolve_suite(name_or_path: str) -> Suite:
    """A registered suite name, or a path to a prompt-suite TOML file."""
    if name_or_path.endswith(".toml") or Path(name_or_path).is_file():
        return PromptSuite.from_file(name_or_path)
    obj = SUITES.get(name_or_path)
    return obj() if callable(obj) and not hasattr(obj, "cases") else obj
