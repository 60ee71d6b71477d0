"""Error types. A ``UserError`` is something the user can fix; the CLI prints its
message as one line (no traceback unless ``--debug``).

Exit codes of the ``vbench-lite`` command (``vbench_lite.cli.main``): 0 done; 1 the
regression gate failed, or ``--fail-on-error`` and an item failed; 2 bad input
(``UserError``, a bad argument); 3 the machine could not do it (``ResourceError``:
disk full, file too large, I/O error, out of memory); 130 interrupted. After 2 or 3
the store is intact and nothing already stored is lost; re-running resumes.
"""


class UserError(Exception):
    """A mistake in input or configuration, with a message that says what to do."""


class VideoError(UserError, ValueError):
    """A video that cannot be read or is not a valid clip (shape, dtype, NaN, ...)."""


class GeneratorError(UserError):
    """A generator failed on one item; the run records it and goes on."""


class ResourceError(Exception):
    """The machine, not the input: the disk is full, a file grew past a size limit,
    an I/O error, no memory. The CLI prints one line and exits 3."""
