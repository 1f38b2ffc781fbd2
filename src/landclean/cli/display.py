"""Where the command line prints: a person's terminal, or a pipe into another program.

Into a pipe or a file (``landclean rules | grep OWNER``, ``> rules.tsv``) a table is one
header line and one row per line, tab-separated, every value whole: nothing is cut to
an assumed 80 columns.  On a terminal a table never shortens an ID, a name or a path
with "…": those columns do not wrap, the others wrap at words; a terminal too narrow
even for that gets each row as ``column: value`` lines.

A reader that goes away before the end (``landclean rules | head -3``) ends the command
quietly: no traceback, no "Broken pipe", and the exit status a shell reports for
``cat``, ``grep`` or ``git log`` in the same place (`PIPE_CLOSED`).
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Collection, Iterable, Sequence

from rich.box import HEAVY_HEAD
from rich.cells import cell_len
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

# 128 + SIGPIPE (13): what the shell reports for a program killed by a closed pipe, as
# cat, grep or git are; a script using `set -o pipefail` treats landclean as them.
PIPE_CLOSED = 141

_UNLIMITED = 1_000_000  # a width no table reaches: to measure what a table needs
_NARROWEST = 12  # a column of words is never narrower: a longer word in it is folded


class PipeConsole(Console):
    """Rich's console, except that a closed pipe raises BrokenPipeError (Rich's own
    handling exits with status 1 at once), for the command line to end as it chooses."""

    def on_broken_pipe(self) -> None:
        self.quiet = True  # nothing more is written to a reader that is gone
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


console = PipeConsole()
err = PipeConsole(stderr=True)


def stdout_gone() -> None:
    """Point stdout at os.devnull once its reader has gone, so that nothing written
    afterwards fails again, Python's own flush of stdout at exit included."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no stdout to speak of: nothing to flush
        pass


def stdout_is_devnull() -> bool:
    """Whether stdout is os.devnull (it is after Rich's own handling of a closed pipe)."""
    try:
        return os.path.samestat(os.fstat(sys.stdout.fileno()), os.stat(os.devnull))
    except (OSError, ValueError, AttributeError):
        return False


def to_terminal() -> bool:
    """Whether stdout is a terminal, a person reading (whatever FORCE_COLOR says)."""
    try:
        return bool(console.file.isatty())
    except (OSError, ValueError, AttributeError):
        return False


def _flat(value: str) -> str:
    """A value on one line, without the tabs that separate the columns of a pipe."""
    return " ".join(value.replace("\t", " ").splitlines())


def show_table(
    head: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    whole: Collection[int] = (),
    right: Collection[int] = (),
    title: str | None = None,
    header: bool = True,
) -> None:
    """Print a table on stdout without ever cutting a value.

    ``whole``: the columns (by position) that hold IDs, codes, paths, numbers, dates:
    on a terminal they never wrap (the others wrap between words: a person's name).
    ``right``: the columns aligned right (numbers).  ``title``: a line printed before
    the table.  ``header=False``: a list of names and their values (the first column
    names the second), shown without a frame."""
    lines = [[_flat(str(cell)) for cell in row] for row in rows]
    if title is not None:
        console.print(title, soft_wrap=True, markup=False, highlight=False)
    if not to_terminal():
        out = console.file
        shown = ([list(head)] if header else []) + lines
        out.write("".join("\t".join(line) + "\n" for line in shown))
        out.flush()
        return
    table = Table(show_header=header, box=HEAVY_HEAD if header else None)
    for i, name in enumerate(head):
        longest = max((cell_len(line[i]) for line in lines), default=0)
        table.add_column(
            Text(name),
            justify="right" if i in right else "left",
            no_wrap=i in whole,
            min_width=max(longest, cell_len(name) if header else 0) if i in whole else None,
            overflow="fold",  # a word longer than its column is folded, never ended with "…"
        )
    for line in lines:
        table.add_row(*(Text(cell) for cell in line))
    needed = Measurement.get(console, console.options.update_width(_UNLIMITED), table).minimum
    for i, name in enumerate(head):  # Rich's minimum keeps the longest word whole
        if i not in whole:
            words = [w for cell in (name, *(line[i] for line in lines)) for w in cell.split()]
            needed -= max(0, max(map(cell_len, words), default=0) - _NARROWEST)
    if needed <= console.width:
        console.print(table)
        return
    for line in lines:  # too narrow a terminal: one "column: value" line per cell
        cells = zip(head, line, strict=True)
        named = [f"{h}: {c}" for h, c in cells] if header else [": ".join(line)]
        for one in named:
            console.print(one, soft_wrap=True, markup=False, highlight=False)
        if header:
            console.print()
