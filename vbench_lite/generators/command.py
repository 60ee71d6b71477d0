"""``command``: run an external program once per case.

The program is an argv list (a JSON array in ``--set argv=...``), never a shell
string, so prompts cannot inject shell syntax. Placeholders in any argv element are
replaced: ``{prompt}``, ``{case_id}``, ``{seed}``, ``{num_frames}``, ``{height}``,
``{width}``, ``{fps}``, ``{out}`` (where the program must write its video; the
extension comes from the ``ext`` setting), ``{cond}`` (an ``.npz`` with the
conditioning frames under ``frames``, or an empty string) and ``{case_json}`` (a
JSON file with all of the above). Placeholders are replaced in one pass, so text that
comes from the user (a prompt containing ``{out}``) reaches the program verbatim,
never expanded again. On failure or timeout the item fails with the tail of the
program's stderr; the run goes on.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from vbench_lite.case import PROTOCOL
from vbench_lite.errors import GeneratorError, UserError
from vbench_lite.generators.base import Capabilities, Generator
from vbench_lite.io import read_video

STDERR_TAIL = 400  # characters of stderr kept in the failure reason
PLACEHOLDERS = ("prompt", "case_id", "seed", "num_frames", "height", "width", "fps", "out", "cond", "case_json")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
_EXT = re.compile(r"^\.[A-Za-z0-9]{1,8}$")  # the {out} file's extension: never a path


class CommandGenerator(Generator):
    name = "command"
    settings = {"argv": "", "timeout": 600.0, "ext": ".mp4", "height": 0, "width": 0, "frames": 0,
                "cond_frames": 0}
    settings_help = {
        "argv": 'the program as a JSON list of strings with placeholders, e.g. ["gen", "--prompt", "{prompt}", '
                '"--out", "{out}"] (never a shell string)',
        "timeout": "seconds one case may take; past it the item fails and the run goes on",
        "ext": "extension of the {out} file the program writes (.mp4, .npz, .gif, ...)",
        "height": f"frame height the program makes, with width (0 = {PROTOCOL.height}); cases are built for it",
        "width": f"frame width the program makes, with height (0 = {PROTOCOL.width}); cases are built for it",
        "frames": f"frames per clip the program makes (0 = {PROTOCOL.num_frames}); cases are built for it",
        "cond_frames": "leading frames the program can be conditioned on through {cond} (0 = none, 1 = an image)",
    }
    usage_notes = (
        "argv placeholders: " + " ".join("{" + p + "}" for p in PLACEHOLDERS) + ". The program runs once per "
        "case, with {prompt}, {case_id}, {seed}, {num_frames}, {height}, {width}, {fps} replaced by the case's "
        "values in any argv element; {out} is the file the program must write (with the ext extension); "
        "{cond} an .npz holding the conditioning frames under 'frames', uint8 "
        "(k, H, W, 3), or an empty string when the case has none; {case_json} a JSON file with all of the "
        "above. Placeholders are replaced in one pass, so a prompt containing '{out}' reaches the program "
        "verbatim. A non-zero exit, a timeout or no {out} file fails that item with the tail of stderr."
    )

    def resolve_settings(self, given):
        settings = super().resolve_settings(given)
        if not _EXT.match(settings["ext"]):
            raise UserError(f"setting ext={settings['ext']!r}: expected a file extension like .mp4 or .npz")
        if not settings["timeout"] > 0:
            raise UserError(f"setting timeout={settings['timeout']!r}: expected seconds > 0")
        return settings

    def capabilities_for(self, settings):
        res = (settings["height"], settings["width"]) if settings["height"] and settings["width"] else None
        return Capabilities(text=True, cond_frames=settings["cond_frames"], resolution=res,
                            num_frames=settings["frames"] or None, max_batch=1)

    def fingerprint(self, settings):
        return json.dumps(parse_argv(settings["argv"]))

    def generate(self, cases, settings):
        argv = parse_argv(settings["argv"])
        return [self._one(argv, case, settings) for case in cases]

    def _one(self, argv, case, settings):
        with tempfile.TemporaryDirectory(prefix="vbench-cmd-") as tmp:
            tmp = Path(tmp)
            out = tmp / f"{case.case_id}{settings['ext']}"
            cond = ""
            if case.cond_frames is not None:
                cond = str(tmp / "cond.npz")
                np.savez(cond, frames=case.cond_frames)
            fields = {
                "prompt": case.prompt, "case_id": case.case_id, "seed": str(case.seed),
                "num_frames": str(case.num_frames), "height": str(case.height), "width": str(case.width),
                "fps": str(case.fps), "out": str(out), "cond": cond,
            }
            case_json = tmp / "case.json"
            case_json.write_text(json.dumps(fields), encoding="utf-8")
            fields["case_json"] = str(case_json)
            args = [_fill(a, fields) for a in argv]
            try:
                proc = subprocess.run(args, capture_output=True, text=True, errors="replace",
                                      timeout=settings["timeout"], stdin=subprocess.DEVNULL)
            except FileNotFoundError:
                return GeneratorError(f"command not found: {args[0]!r}")
            except PermissionError:
                return GeneratorError(f"command not executable: {args[0]!r}")
            except subprocess.TimeoutExpired:
                return GeneratorError(f"command timed out after {settings['timeout']:g} s on case {case.case_id}")
            if proc.returncode != 0:
                tail = " ".join(proc.stderr.strip().splitlines()[-3:])[-STDERR_TAIL:]
                return GeneratorError(f"command exited {proc.returncode} on case {case.case_id}: {tail or '(no stderr)'}")
            if not out.exists():
                return GeneratorError(f"command finished but wrote no video to {{out}} for case {case.case_id}")
            try:
                return read_video(out, fps=case.fps)
            except UserError as exc:
                return exc


def parse_argv(value) -> list[str]:
    """``argv`` setting: a JSON array of strings (or a list already)."""
    if isinstance(value, list):
        argv = value
    else:
        try:
            argv = json.loads(value) if value else None
        except json.JSONDecodeError:
            argv = None
    if not argv or not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        raise UserError(
            "generator 'command' needs --set argv='[\"prog\", \"--prompt\", \"{prompt}\", \"--out\", \"{out}\"]' "
            "(a JSON list of strings; no shell string)"
        )
    return argv


def _fill(arg: str, fields: dict[str, str]) -> str:
    """``arg`` with every ``{placeholder}`` replaced in one pass: a value is never
    searched for placeholders again (a prompt reading "{out}" stays "{out}")."""
    return _PLACEHOLDER.sub(lambda m: fields[m.group(1)], arg)
