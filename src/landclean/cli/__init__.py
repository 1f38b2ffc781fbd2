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

# typer (pinned) vendors click; its usage errors are caught to print them on one line.
from rich.markup import escape
from typer._click.exceptions import UsageError

# the commands are listed in the order their modules register them
# isort: off
from landclean.cli import workspace  # noqa: F401
from landclean.cli import outputs  # noqa: F401
from landclean.cli import campaign  # noqa: F401

# isort: on
from landclean.cli.app import app, err, text

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``landclean`` script: usage errors are one line too (exit 2)."""
    try:
        code = app(standalone_mode=False)
    except UsageError as exc:
        message = exc.format_message()
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
