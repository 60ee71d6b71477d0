"""The ``vbench-lite`` command.

Each subcommand lives in its own module under ``vbench_lite.cli`` with a
``register(subparsers)`` function that adds its parser(s) and sets
``func=handler``; handlers take the parsed args and return an exit code. Modules
import heavy dependencies inside handlers, so ``vbench-lite --help`` stays fast.

User errors (``UserError``) print one line on stderr and exit 2; ``--debug``
shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from vbench_lite import __version__
from vbench_lite.errors import UserError

# module per group of subcommands
COMMAND_MODULES = [
    "vbench_lite.cli.run",  # run, eval
    "vbench_lite.cli.listing",  # list
    "vbench_lite.cli.report",  # report, compare, sweep, check
    "vbench_lite.cli.probes",  # probes render, probes floor
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
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        if args.debug:
            raise
        print(f"vbench-lite: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("vbench-lite: interrupted; re-run the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
