"""The ``vbench-lite`` command.

Each subcommand lives in its own module under ``vbench_lite.cli`` with a
``register(subparsers)`` function that adds its parser(s) and sets
``func=handler``; handlers take the parsed args and return an exit code. Modules
import heavy dependencies inside handlers, so ``vbench-lite --help`` stays fast.

Every failure is one line on stderr and a documented exit code (``--debug`` shows
the traceback instead):

====  =====================================================================
code  meaning
====  =====================================================================
0     done
1     ``check`` found a regression; ``--fail-on-error`` and an item failed
2     bad input: a wrong argument, setting, path, suite, store (``UserError``)
3     the machine could not do it: disk full, file-size limit, I/O error, out of
      memory, the store locked by another process, a worker process killed
      (``ResourceError``)
130   interrupted (Ctrl-C)
====  =====================================================================

After 2, 3 or 130 the store is intact and nothing already stored is lost:
re-running the same command resumes.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sqlite3
import sys

from vbench_lite import __version__
from vbench_lite.errors import ResourceError, UserError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_RESOURCE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
RESUME_HINT = "what was stored is intact; re-run the same command to resume"

# module per group of subcommands
COMMAND_MODULES = [
    "vbench_lite.cli.run",  # run, eval
    "vbench_lite.cli.listing",  # list
    "vbench_lite.cli.report",  # report, compare, check
    "vbench_lite.cli.sweep",  # sweep (a settings grid, the front, a recommended setting)
    "vbench_lite.cli.probes",  # probes render, probes floor
    "vbench_lite.cli.export",  # export (a suite's frames, prompts and manifest for an outside pipeline)
    "vbench_lite.cli.pick",  # pick (sweep a knob on one image/prompt, keep the chosen clip)
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vbench-lite",
        description="Temporal and physical consistency benchmark for video generators.",
    )
    parser.add_argument("--version", action="version", version=f"vbench-lite {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    _debug_everywhere(parser)
    return parser


def _debug_everywhere(parser: argparse.ArgumentParser) -> None:
    """``--debug`` after any subcommand too (``vbench-lite run --debug``); SUPPRESS
    keeps a subcommand from resetting a ``--debug`` given before it."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for p in dict.fromkeys(action.choices.values()):
                if not any("--debug" in a.option_strings for a in p._actions):
                    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                                   help="show tracebacks for errors")
                _debug_everywhere(p)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from vbench_lite.io import ALLOW_PARTIAL_ENV

    before = os.environ.get(ALLOW_PARTIAL_ENV)  # --allow-partial sets it for this command only
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("vbench-lite: interrupted; re-run the same command to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `vbench-lite ... | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return EXIT_OK
    except Exception as exc:
        code, line = classify(exc)
        if code is None or args.debug:
            raise
        print(f"vbench-lite: error: {line}", file=sys.stderr)
        return code
    finally:
        if before is None:
            os.environ.pop(ALLOW_PARTIAL_ENV, None)
        else:
            os.environ[ALLOW_PARTIAL_ENV] = before


def classify(exc: BaseException) -> tuple[int | None, str]:
    """(exit code, one line) for an error the user or the machine caused; (None, "")
    for anything else -- a bug, which keeps its traceback."""
    from concurrent.futures.process import BrokenProcessPool

    from vbench_lite.io import RESOURCE_ERRNOS, shown
    from vbench_lite.store import store_error

    if isinstance(exc, UserError):
        return EXIT_BAD_INPUT, str(exc)
    if isinstance(exc, ResourceError):
        return EXIT_RESOURCE, str(exc)
    if isinstance(exc, MemoryError):
        return EXIT_RESOURCE, ("out of memory; score shorter videos (the frame budget is "
                               f"$VBENCH_LITE_MAX_FRAMES) or use fewer --workers; {RESUME_HINT}")
    if isinstance(exc, BrokenProcessPool):
        return EXIT_RESOURCE, ("a scoring worker process died (killed, or out of memory); use fewer --workers; "
                               + RESUME_HINT)
    if isinstance(exc, sqlite3.Error):
        code = EXIT_RESOURCE if isinstance(store_error("", exc), ResourceError) else EXIT_BAD_INPUT
        return code, f"results store: {exc}; {RESUME_HINT}"
    if isinstance(exc, OSError):
        where = f"{shown(exc.filename)}: " if isinstance(exc.filename, (str, bytes)) else ""
        text = f"{where}{exc.strerror or exc}"
        if exc.errno in RESOURCE_ERRNOS:
            return EXIT_RESOURCE, f"{text}; free space (or raise the limit) -- {RESUME_HINT}"
        return EXIT_BAD_INPUT, text
    return None, ""


if __name__ == "__main__":
    sys.exit(main())
