"""The command line's shared parts: the Typer app, messages in the user's language, one
way of turning errors into one line, and the progress display."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import duckdb
import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from landclean import __version__
from landclean.cli.display import PIPE_CLOSED, console, err, stdout_gone
from landclean.errors import LandcleanError, Problems, disk_full, first_line, one_line
from landclean.labels import LANGS, fmt_int, label
from landclean.stage import count_label
from landclean.vn.values import parse_date
from landclean.workspace.busy import doing

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="landclean: làm sạch, làm giàu cơ sở dữ liệu đất đai cấp tỉnh (mặc định: Đắk Lắk). "
    "Clean and enrich a provincial land database.",
)
F = TypeVar("F", bound=Callable[..., Any])

WsArg = Annotated[Path, typer.Argument(help="Workspace file (DuckDB), e.g. dak_lak.duckdb")]
ProfilesDir = Annotated[
    Path | None, typer.Option(help="Extra folder of column-mapping profiles (JSON).")
]
LangOpt = Annotated[
    str | None, typer.Option("--lang", help="vi or en (default: LANDCLEAN_LANG, vi).")
]
CommuneOpt = Annotated[str | None, typer.Option(help="Only this new commune (5-digit code).")]


class _State:
    lang: str | None = None  # --lang before the command; else the settings' language


def lang() -> str:
    """The language of messages: --lang, else LANDCLEAN_LANG, else Vietnamese."""
    if _State.lang:
        return _State.lang
    from landclean.errors import SettingsProblem
    from landclean.settings import get_settings

    try:
        return get_settings().lang
    except SettingsProblem:  # reported by the command itself, in one line per variable
        return "vi"


def say(key: str, **values: object) -> None:
    """Print one message of the labels' "cli" section."""
    console.print(text(key, **values), highlight=False, soft_wrap=True, markup=False)


def text(key: str, **values: object) -> str:
    shown = {k: fmt_int(v, lang()) if isinstance(v, int) else v for k, v in values.items()}
    return label("cli", key, lang(), **shown)


def counts_text(counts: dict[str, int], stage: str = "") -> str:
    """``3 thửa, 2 tờ bản đồ``: each count with what it counts, in the user's language."""
    lg = lang()
    return ", ".join(f"{fmt_int(v, lg)} {count_label(stage, k, lg)}" for k, v in counts.items())


def _fail(message: str) -> None:
    err.print(
        f"[bold red]{text('error')}[/] {escape(one_line(message))}",
        highlight=False,
        soft_wrap=True,
    )


def friendly(func: F) -> F:
    """Turn every user-caused error into one line on stderr (one per problem) and exit 1."""

    command = func.__name__.removesuffix("_cmd").replace("_", " ")  # as the status file shows it

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with doing(command):
                return func(*args, **kwargs)
        except BrokenPipeError:  # the reader (| head) went away: end quietly
            stdout_gone()
            raise typer.Exit(PIPE_CLOSED) from None
        except Problems as exc:
            if len(exc.problems) == 1:
                _fail(exc.problems[0].text(lang()))
            else:
                err.print(f"[bold red]{text('problems', n=len(exc.problems))}[/]", highlight=False)
                for problem in exc.problems:
                    err.print(
                        f"  {escape(one_line(problem.text(lang())))}",
                        highlight=False,
                        soft_wrap=True,
                    )
            raise typer.Exit(1) from None
        except LandcleanError as exc:
            _fail(exc.text(lang()))
            raise typer.Exit(1) from None
        except duckdb.Error as exc:
            full = disk_full(exc)  # the disk filled: said plainly, not in DuckDB's words
            if full is not None:
                _fail(full.text(lang()))
                raise typer.Exit(1) from None
            err.print(
                f"[bold red]{text('database_error')}[/] {escape(one_line(first_line(exc)))}",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(1) from None
        except OSError as exc:
            full = disk_full(exc)
            _fail(
                full.text(lang())
                if full is not None
                else label("errors", "os_error", lang(), reason=exc.strerror, path=exc.filename)
            )
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        console.print(f"landclean {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False,
    language: Annotated[
        str | None,
        typer.Option("--lang", help="Language of messages: vi or en (default LANDCLEAN_LANG, vi)."),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if language is not None and language not in LANGS:
        raise typer.BadParameter(
            label("errors", "bad_lang", lang(), value=language, known=" / ".join(LANGS)),
            param_hint="--lang",
        )
    _State.lang = language


class Spinner:
    """A rich progress display on a TTY; silent otherwise.  Yields a tick(label) callback."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        )

    def __enter__(self) -> Callable[[str], None]:
        self.progress.start()
        task = self.progress.add_task(self.what)

        def tick(label: str) -> None:
            self.progress.update(task, description=f"{self.what}: {label}")

        return tick

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


def parse_day(option: str, value: str | None) -> dt.date | None:
    """A DD/MM/YYYY option as a date (None stays None)."""
    if value is None:
        return None
    day = parse_date(value)
    if day is None:
        raise LandcleanError("bad_date_option", option=option, value=value)
    return day
