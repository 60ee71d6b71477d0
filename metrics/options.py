"""Metric options, declared once per metric and resolved once per run.

A metric declares its constructor options as ``options = (Option(...), ...)``: name,
type, default, a one-line meaning, and whether the value changes the metric's numbers
(``identity``; a batch size does not). ``resolve`` turns the command line's text
(``--metric-set fvd.num_frames=16``) into typed values, checking every option the same
way -- an unknown name, a value of the wrong type, a folder of videos that is missing
or empty -- with one line naming the option; ``runners.execute.prepare`` calls it
before a run exists, and the resolved values that differ from the defaults are what
enters the run's identity, so giving an option its default value is the same run as
not giving it. ``list metrics`` prints the declarations.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vbench_lite.errors import UserError

# option types: what the text from the command line becomes
INT, FLOAT, STR, CHOICE, FILE, VIDEOS_DIR, DEVICE = "int", "float", "str", "choice", "file", "videos-dir", "device"
TYPES = (INT, FLOAT, STR, CHOICE, FILE, VIDEOS_DIR, DEVICE)


@dataclass(frozen=True)
class Option:
    """One constructor option of a metric.

    ``type``: one of ``TYPES`` (``file``: an existing file or a name the metric knows,
    kept as given; ``videos-dir``: a folder holding at least one video, made absolute;
    ``device``: cpu, cuda, cuda:N or auto). ``minimum``: for numbers. ``choices``: for
    ``choice``. ``identity``: whether the value changes the numbers (part of the run's
    identity when it differs from the default)."""

    name: str
    type: str
    default: Any
    meaning: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    identity: bool = True

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"option {self.name!r}: unknown type {self.type!r}; use one of {TYPES}")

    @property
    def type_text(self) -> str:
        return self.type

    @property
    def meaning_text(self) -> str:
        """The meaning, with the choices of a ``choice`` option."""
        return self.meaning + (f" (one of: {', '.join(self.choices)})" if self.choices else "")

    def parse(self, metric: str, raw: Any) -> Any:
        """The typed value of ``raw`` (text from the CLI, or a value from code)."""
        where = f"--metric-set {metric}.{self.name}={raw}"
        if raw is None:
            return None
        text = str(raw).strip()
        if self.type in (INT, FLOAT):
            try:
                value = int(text) if self.type == INT else float(text)
            except ValueError:
                raise UserError(f"{where}: {self.name} must be a{'n integer' if self.type == INT else ' number'}"
                                f" ({self.meaning})") from None
            if self.minimum is not None and value < self.minimum:
                raise UserError(f"{where}: {self.name} must be >= {self.minimum:g}")
            return value
        if self.type == CHOICE:
            if text not in self.choices:
                raise UserError(f"{where}: choose one of {', '.join(self.choices)}")
            return text
        if self.type == DEVICE:
            if text in ("", "auto", "none"):
                return None
            if not (text == "cpu" or text == "cuda" or (text.startswith("cuda:") and text[5:].isdigit())):
                raise UserError(f"{where}: device is cpu, cuda, cuda:N or auto")
            return text
        if self.type == VIDEOS_DIR:
            return str(check_videos_dir(text, f"{metric}.{self.name}"))
        return text  # STR and FILE (a file is checked by the weights manager, which names where it looks)


def check_videos_dir(path: str | Path, what: str) -> Path:
    """The one rule for a folder of videos given as an option: it exists, is a folder
    and holds at least one video (``io.is_video_path``); absolute path back."""
    from vbench_lite.io import is_video_path

    p = Path(path).expanduser()
    if not p.is_dir():
        raise UserError(f"{what}: {p} is not a folder (give a folder of videos)")
    if not any(not q.name.startswith(".") and is_video_path(q) for q in p.iterdir()):
        raise UserError(f"{what}: {p} holds no video (mp4, avi, mov, webm, mkv, gif, npy, npz or frame folders)")
    return p.resolve()


def declared(cls) -> dict[str, Option]:
    return {o.name: o for o in getattr(cls, "options", ())}


def resolve(name: str, cls, given: dict[str, Any] | None) -> dict[str, Any]:
    """Every declared option of metric ``name`` (class ``cls``) with its typed value:
    the given ones parsed, the rest at their defaults. An unknown option is one line
    with "did you mean" and the metric's options."""
    decl = declared(cls)
    out = {o.name: o.default for o in decl.values()}
    for key, raw in (given or {}).items():
        if key not in decl:
            hint = difflib.get_close_matches(key, list(decl), n=1)
            known = ", ".join(decl) or "none"
            raise UserError(f"--metric-set {name}.{key}: {name} has no option {key!r}"
                            + (f"; did you mean {hint[0]!r}?" if hint else f" (its options: {known})"))
        out[key] = decl[key].parse(name, raw)
    return out


def identity_options(cls, resolved: dict[str, Any]) -> dict[str, Any]:
    """The resolved options that change numbers and differ from their defaults (what
    enters the run's identity)."""
    decl = declared(cls)
    return {k: v for k, v in sorted(resolved.items())
            if k in decl and decl[k].identity and v != decl[k].default}
