"""The generator protocol.

A generator declares what it can do (``Capabilities``) and its settings with
defaults (``settings``), and turns a batch of cases into videos. It may return an
exception in place of one video to fail that item alone; raising fails the batch,
after which the runner retries the items one by one to isolate the culprit.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, ClassVar

from vbench_lite.case import Case, RenderSpec
from vbench_lite.errors import UserError
from vbench_lite.io import VideoFile
from vbench_lite.video import Video


@dataclass(frozen=True)
class Capabilities:
    """``resolution``: native (H, W) or None for any; ``num_frames``: native clip
    length or None for any; ``cond_frames``: how many leading frames it can be
    conditioned on (0 = none, 1 = image-to-video); ``text``: takes prompts."""

    text: bool = False
    cond_frames: int = 0
    resolution: tuple[int, int] | None = None
    num_frames: int | None = None
    fps: float | None = None
    max_batch: int = 1

    def render_spec(self, default: RenderSpec = RenderSpec()) -> RenderSpec:
        h, w = self.resolution or (default.height, default.width)
        return RenderSpec(
            height=h, width=w,
            num_frames=self.num_frames or default.num_frames,
            fps=self.fps or default.fps,
            cond_frames=min(self.cond_frames, default.cond_frames) if self.cond_frames else 0,
        )


class Generator:
    """Base class. Subclasses set ``name``, ``capabilities``, ``settings`` (name ->
    default value), ``settings_help`` (name -> one-line meaning, for every setting;
    ``vbench-lite list generators`` shows it with the type and default) and implement
    ``generate``. ``usage_notes`` is free text for what one line per setting cannot
    say (the command generator's placeholders, the folder generator's file naming)."""

    name: ClassVar[str] = "generator"
    settings: ClassVar[dict[str, Any]] = {}
    # setting -> one-line meaning; may add pseudo-entries for families of keys, such as
    # "pipe.KEY" or "base.KEY" (pass-through settings), which have no default
    settings_help: ClassVar[dict[str, str]] = {}
    usage_notes: ClassVar[str] = ""
    # run-level notes for the user (e.g. "3 files matched no case"), printed in the summary
    warnings: list[str]

    def __init__(self):
        self.warnings = []

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities()

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """Why this generator cannot run here (an optional package missing), or None.
        Checked before a run is recorded and shown by ``vbench-lite list``."""
        return None

    def resolve_settings(self, given: dict[str, Any]) -> dict[str, Any]:
        """Merge user settings over defaults, coercing types from the defaults and
        rejecting unknown keys with a suggestion."""
        out = dict(self.settings)
        for key, value in given.items():
            if key not in self.settings:
                hint = difflib.get_close_matches(key, self.settings, n=1)
                known = ", ".join(sorted(self.settings)) or "none"
                raise UserError(
                    f"generator {self.name!r} has no setting {key!r}"
                    + (f"; did you mean {hint[0]!r}?" if hint else f" (settings: {known})")
                )
            out[key] = coerce_setting(key, value, self.settings[key])
        return out

    def capabilities_for(self, settings: dict[str, Any]) -> Capabilities:
        """Capabilities under these settings (a folder of 256x256 videos, say)."""
        return self.capabilities

    def fingerprint(self, settings: dict[str, Any]) -> str:
        """Extra identity beyond name+settings (e.g. a checkpoint hash), so a new
        checkpoint under the same path is a new run rather than a resume."""
        return ""

    def seams(self, settings: dict[str, Any], num_frames: int) -> list[int]:
        """Frame-pair indices (t -> t+1) where this generator joins separately made
        pieces of a ``num_frames`` clip (window boundaries of a rollout); default none.
        The runner records them with the run, so reports can mark them on timelines."""
        return []

    def video_file(self, case: Case, settings: dict[str, Any]) -> "VideoFile | None":
        """The file that already holds ``case``'s video (generators of existing videos:
        ``folder``, eval's files), or None when it must be generated. The runner then
        neither caches a copy nor ships frames to workers: the file is read where it is
        scored, and read again on resume."""
        return None

    def generate(self, cases: list[Case], settings: dict[str, Any]) -> list[Video | Exception]:
        raise NotImplementedError


def coerce_setting(key: str, value: Any, default: Any) -> Any:
    """Turn a ``--set k=v`` string into the type of the default."""
    if not isinstance(value, str) or default is None or isinstance(default, str):
        return value
    try:
        if isinstance(default, bool):
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
    except ValueError:
        raise UserError(f"setting {key}={value!r}: expected {type(default).__name__}") from None
    return value
