"""``landclean users`` and ``landclean serve`` as an operator runs them: accounts from the
command line, the server in its own process, other commands told where it is."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from landclean.workspace.busy import busy_path
from tests.web import free_port

LANDCLEAN = [sys.executable, "-m", "landclean", "--lang", "en"]


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LANDCLEAN, *args], input=stdin, capture_output=True, text=True, timeout=120
    )


def test_accounts_from_the_command_line(built_workspace: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws.duckdb"
    ws.write_bytes(built_workspace.read_bytes())
    added = _run("users", "add", str(ws), "tinh", "--role", "province", "--password-stdin",
                 stdin="so-tnmt-mat-khau\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    refused = _run("users", "add", str(ws), "xa", "--role", "commune", "--password-stdin",
                   stdin="xa-mat-khau-dai\n")  # fmt: skip
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "--commune" in refused.stderr
    short = _run("users", "add", str(ws), "ld", "--role", "leader", "--password-stdin",
                 stdin="ngan\n")  # fmt: skip
    assert short.returncode == 1 and "at least 10" in short.stderr
    listed = _run("users", "list", str(ws))
    assert listed.stdout.splitlines()[1].split("\t")[:2] == ["tinh", "province"]
    token = _run("users", "token", str(ws), "tinh", "--days", "7")
    assert token.returncode == 0 and token.stdout.startswith("lc_")
    assert _run("users", "disable", str(ws), "tinh").returncode == 0
    assert "disabled" in _run("users", "list", str(ws)).stdout
    demo = _run("users", "demo", str(ws))
    assert demo.returncode == 0
    rows = [line.split("\t") for line in demo.stdout.splitlines()[1:5]]
    assert [r[:2] for r in rows] == [["quantri", "admin"], ["tinh", "province"],
                                     ["xa", "commune"], ["lanhdao", "leader"]]  # fmt: skip
    assert rows[1][3].startswith("(exists")  # tinh was there: left as it was
    assert len(rows[0][3]) >= 12  # a fresh random password, shown this once


def test_serve_owns_the_workspace_until_it_stops(built_workspace: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws.duckdb"
    ws.write_bytes(built_workspace.read_bytes())
    demo = _run("users", "demo", str(ws))
    password = demo.stdout.splitlines()[2].split("\t")[3]  # tinh's
    port = free_port()
    server = subprocess.Popen(
        [*LANDCLEAN, "serve", str(ws), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, server.stderr
            time.sleep(0.2)
        with httpx.Client(base_url=url) as client:
            assert client.get("/api/communes").status_code == 401
            login = client.post("/api/login", json={"login": "tinh", "password": password})
            assert login.status_code == 200
            assert len(client.get("/api/communes").json()) > 50
        status = _run("status", str(ws))
        assert url in status.stdout
        run = _run("run", str(ws))
        assert run.returncode == 1 and url in run.stderr
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    assert not busy_path(ws).exists()  # stopped: the workspace is free again
    assert _run("users", "list", str(ws)).returncode == 0
    assert os.path.exists(ws)
