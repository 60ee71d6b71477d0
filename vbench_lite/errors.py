"""Error types. A ``UserError`` is something the user can fix; the CLI prints its
message as one line (no traceback unless ``--debug``)."""


class UserError(Exception):
    """A mistake in input or configuration, with a message that says what to do."""


class VideoError(UserError, ValueError):
    """A video that cannot be read or is not a valid clip (shape, dtype, NaN, ...)."""


class GeneratorError(UserError):
    """A generator failed on one item; the run records it and goes on."""
