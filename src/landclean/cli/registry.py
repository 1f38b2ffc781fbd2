"""Commands for the national population service: ``registry request``, ``registry
response``, ``registry verify`` and ``registry simulate`` (docs/registry-service.md)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from landclean import api
from landclean.cli.app import WsArg, app, friendly, lang, say
from landclean.cli.display import show_table
from landclean.labels import label
from landclean.registry_service.protocol import RegistryServiceError

registry_app = typer.Typer(
    no_args_is_help=True,
    help="Xác thực người sử dụng đất qua dịch vụ CSDL quốc gia về dân cư. "
    "Verify land users through the national population service.",
)
app.add_typer(registry_app, name="registry")

OnlyOpt = Annotated[
    str,
    typer.Option(
        "--only",
        help="Who is asked: unverified (no verdict for their values now), changed (their "
        "values changed since their verdict) or all.",
    ),
]
CommuneOpt = Annotated[
    str | None, typer.Option("--commune", help="Only land users of this new commune (code).")
]
BatchOpt = Annotated[int, typer.Option("--batch-size", min=1, help="Requests per batch.")]
ByOpt = Annotated[
    str | None, typer.Option("--by", help="Who acts (default: LANDCLEAN_ACTOR or you).")
]


def _rate(text: str) -> float:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*s)?\s*", text)
    if not m or float(m.group(1)) <= 0:
        raise typer.BadParameter(f"{text!r}: expected requests per second, e.g. 5/s")
    return float(m.group(1))


def _problems(problems: list[tuple[int | None, str | None, str, str]], count: int) -> None:
    """The first rows not applied, and how many there are in all."""
    if not problems:
        return
    lg = lang()
    show_table(
        [label("registry", k, lg) for k in ("row", "request_key", "problem", "detail")],
        [
            [str(r or ""), k or "", label("registry_problems", p, lg), d]
            for r, k, p, d in problems[:20]
        ],
        whole=(1,),
    )
    if count > 20:
        say("registry_problems_more", n=count - 20)


@registry_app.command("request")
@friendly
def request_cmd(
    workspace: WsArg,
    out: Annotated[Path, typer.Option("--out", help="Folder the request files are written into.")],
    commune: CommuneOpt = None,
    only: OnlyOpt = "unverified",
    batch_size: BatchOpt = 1000,
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    by: ByOpt = None,
) -> None:
    """Write request files for the population service, one per batch: for each land user
    chosen, only the fields the service needs (the protocol file), under a request key.
    What was sent, when and by whom is kept in the workspace."""
    with api.open_workspace(workspace) as ws:
        planned, files = api.registry_request(
            ws, out, selection=only, commune=commune, batch_size=batch_size, fmt=fmt, by=by
        )
    say(
        "registry_requested", requests=planned.requests, files=len(files), out=str(out),
        waiting=planned.waiting, no_id=planned.no_id,
    )  # fmt: skip


@registry_app.command("response")
@friendly
def response_cmd(
    workspace: WsArg,
    files: Annotated[list[Path], typer.Argument(help="The service's response files (CSV, JSON).")],
    problems: Annotated[
        Path | None,
        typer.Option("--problems", help="Write every row not applied, and why, to this CSV."),
    ] = None,
    by: ByOpt = None,
) -> None:
    """Read the service's verdicts back.  Rows naming unknown request keys, repeated or
    conflicting keys and malformed rows are listed, never applied; a file read twice
    changes nothing.  Run 'landclean run' afterwards: verdicts become authentication
    results."""
    with api.open_workspace(workspace) as ws:
        done = api.registry_response(ws, list(files), by=by, problems=problems, lang=lang())
    say(
        "registry_read", rows=done.rows, applied=done.applied, unchanged=done.unchanged,
        errors=done.errors, problems=done.problem_count,
    )  # fmt: skip
    _problems(done.problems, done.problem_count)
    if problems is not None:
        say("registry_problems_written", file=str(problems))


def _progress(done: int, total: int) -> None:
    if done % 50 == 0 or done == total:
        say("registry_progress", done=done, total=total)


@registry_app.command("verify")
@friendly
def verify_cmd(
    workspace: WsArg,
    service: Annotated[str, typer.Option("--service", help="The service's base URL.")],
    rate: Annotated[str, typer.Option("--rate", help="Requests per second, e.g. 5/s.")] = "5/s",
    token_file: Annotated[
        Path | None, typer.Option("--token-file", help="A file holding the service's token.")
    ] = None,
    commune: CommuneOpt = None,
    only: OnlyOpt = "unverified",
    batch_size: BatchOpt = 1000,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for an answer.")
    ] = 30.0,
    patience: Annotated[
        float, typer.Option("--patience", help="Seconds a batch is retried before giving up.")
    ] = 600.0,
    by: ByOpt = None,
) -> None:
    """Send the chosen land users to the service in batches, with retries and backoff on
    timeouts, 429 and 5xx (Retry-After honoured) and an idempotency key per batch.  Run
    again after an interruption: unanswered batches are sent again as they were, and
    every user is verified once.  Run 'landclean run' afterwards."""
    per_second = _rate(rate)
    token = None
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8-sig").strip()
        except (OSError, UnicodeDecodeError):
            token = ""
        if not token or not token.isascii() or "\n" in token:
            raise RegistryServiceError("registry_token", path=token_file)
    with api.open_workspace(workspace) as ws:
        done = api.registry_verify(
            ws, service, selection=only, commune=commune, batch_size=batch_size,
            rate=per_second, token=token, timeout=timeout, patience=patience, by=by,
            progress=_progress,
        )  # fmt: skip
    say(
        "registry_verified", batches=done.batches, resumed=done.resumed,
        requests=done.planned.requests if done.planned else 0, applied=done.applied.applied,
        retries=sum(done.retries.values()), refused=done.refused, seconds=f"{done.seconds:.1f}",
    )  # fmt: skip
    _problems(done.applied.problems, done.applied.problem_count)


@registry_app.command("simulate")
@friendly
def simulate_cmd(
    extract: Annotated[
        Path, typer.Option("--extract", help="Registry extract (CSV or Parquet) it answers from.")
    ],
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")] = 8765,
    faults: Annotated[
        str,
        typer.Option(
            "--faults",
            help="Faults injected, e.g. timeout=0.05,throttle=0.1,error=0.05,"
            "outage_after=20,outage_seconds=60 (default: none).",
        ),
    ] = "",
    answer: Annotated[
        list[Path] | None,
        typer.Option("--answer", help="Answer these request files instead (offline), into --out."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder the answers to --answer are written into.")
    ] = None,
) -> None:
    """Run a simulated population service on 127.0.0.1 (for demos and tests) until
    interrupted: it speaks the protocol and answers from a registry extract.  With
    --answer, answer request files instead, as the service's officers would."""
    import time

    from landclean.registry_service.protocol import load_protocol
    from landclean.registry_service.simulator import Faults, Service, Simulator, answer_file
    from landclean.settings import get_settings

    try:
        chosen = Faults.parse(faults)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    service = Service(extract, load_protocol(get_settings().registry_protocol), chosen)
    if answer:
        if out is None:
            raise typer.BadParameter("--answer needs --out")
        for f in answer:
            typer.echo(str(answer_file(service, f, out)))
        return
    with Simulator(service, port) as sim:
        say("registry_simulating", url=sim.url, people=len(service.people))
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
