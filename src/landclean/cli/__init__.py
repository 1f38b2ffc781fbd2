"""The command line: arguments and formatting over ``landclean.api``, nothing else.

Commands are grouped by what they do (``workspace``: set up and fill a workspace;
``outputs``: reports, exports, lookups; ``campaign``: tasks, worklists, corrections);
``app`` holds what they share.  A user's error is one line on stderr (one per problem
when several are found before any work) and a non-zero exit code.
"""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

# typer (pinned) vendors click; its usage errors are caught to print them on one line.
from rich.markup import escape
from typer._click.exceptions import BadParameter, MissingParameter, NoSuchOption, UsageError
from typer._click.utils import PacifyFlushWrapper

# the commands are listed in the order their modules register them
# isort: off
from landclean.cli import workspace  # noqa: F401
from landclean.cli import outputs  # noqa: F401
from landclean.cli import campaign  # noqa: F401
from landclean.cli import server  # noqa: F401
from landclean.cli import evidence  # noqa: F401
from landclean.cli import exchange  # noqa: F401
from landclean.cli import registry  # noqa: F401

# isort: on
from landclean.cli.app import app, err, text
from landclean.cli.display import PIPE_CLOSED, stdout_gone, stdout_is_devnull

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


def _pipe_closed(exc: SystemExit) -> bool:
    """Whether ``exc`` is Click's or Rich's own ending on a closed stdout (status 1):
    Click wraps sys.stdout in a PacifyFlushWrapper, Rich points it at os.devnull (the help
    is printed by a console of typer's, not ours)."""
    return exc.code == 1 and (isinstance(sys.stdout, PacifyFlushWrapper) or stdout_is_devnull())


def main() -> None:
    """Entry point of the ``landclean`` script: usage errors are one line too (exit 2).

    A reader of the output that goes away (``| head``) ends the command quietly with
    PIPE_CLOSED (141, as for cat or git), whoever noticed it: our commands, Click, Rich."""
    to_devnull = stdout_is_devnull()  # > /dev/null from the start is not a closed pipe
    try:
        code = app(standalone_mode=False)
        sys.stdout.flush()  # a reader gone is found here, not in Python's flush at exit
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
        stdout_gone()  # Python's flush at exit must not fail again
        sys.exit(PIPE_CLOSED)
    except SystemExit as exc:
        if not to_devnull and _pipe_closed(exc):
            stdout_gone()
            sys.exit(PIPE_CLOSED)
        raise
    sys.exit(code if isinstance(code, int) else 0)
