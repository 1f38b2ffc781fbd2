"""The command line: arguments and formatting over ``landclean.api``, nothing else.

Commands are grouped by what they do (``workspace``: set up and fill a workspace;
``outputs``: reports, exports, lookups; ``campaign``: tasks, worklists, corrections);
``app`` holds what they share.  A user's error is one line on stderr (one per problem
when several are found before any work) and a non-zero exit code.
"""

from __future__ import annotations

import os
import sys

import typer
from pydantic import ValidationError

# typer (pinned) vendors click; its usage errors are caught to print them on one line.
from rich.markup import escape
from typer._click.exceptions import BadParameter, MissingParameter, NoSuchOption, UsageError

# the commands are listed in the order their modules register them
# isort: off
from landclean.cli import workspace  # noqa: F401
from landclean.cli import outputs  # noqa: F401
from landclean.cli import campaign  # noqa: F401

# isort: on
from landclean.cli.app import app, err, text

__all__ = ["app", "main"]


NUMBER_TYPES = {"int": "usage_integer", "float": "usage_number"}


def _hint(exc: BadParameter) -> str:
    """The option or argument a usage error is about (--parcels, WORKSPACE)."""
    if exc.param_hint is not None:
        hints = [exc.param_hint] if isinstance(exc.param_hint, str) else list(exc.param_hint)
        hint = " / ".join(hints)
    else:
        hint = exc.param.get_error_hint() if exc.param is not None else "?"
    return hint.replace("'", "")  # the parser quotes it


def usage_text(exc: UsageError) -> str:
    """A usage error in the user's language: a missing option or argument, an unknown
    option, a value of the wrong kind; other usage errors as the parser words them."""
    if isinstance(exc, MissingParameter):
        return text("usage_missing", what=_hint(exc))
    if isinstance(exc, BadParameter):
        cause = exc.__cause__  # typer converts values with pydantic
        if isinstance(cause, ValidationError) and cause.errors():
            error = cause.errors()[0]
            kind = str(error["type"]).split("_")[0]  # int_parsing, float_parsing …
            if kind in NUMBER_TYPES:
                return text(NUMBER_TYPES[kind], what=_hint(exc), value=error.get("input"))
        return text("usage_bad_value", what=_hint(exc), reason=exc.message)
    if isinstance(exc, NoSuchOption):
        return text("usage_no_option", option=exc.option_name)
    return exc.format_message()


def main() -> None:
    """Entry point of the ``landclean`` script: usage errors are one line too (exit 2)."""
    try:
        code = app(standalone_mode=False)
    except UsageError as exc:
        message = usage_text(exc) if exc.format_message() else ""
        if message:  # empty when the help was shown for a bare command
            hint = text("see_help", command=exc.ctx.command_path) if exc.ctx else ""
            err.print(
                f"[bold red]{text('error')}[/] {escape(message + hint)}",
                highlight=False,
                soft_wrap=True,
            )
        sys.exit(2)
    except typer.Abort:
        err.print(text("interrupted"))
        sys.exit(130)
    except BrokenPipeError:  # output piped into a reader that stopped (| head): quiet
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's flush at exit must not fail again
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
