"""A served copy of the shared workspace, with an account of each role, for web tests."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi.testclient import TestClient

from landclean import api
from landclean.web.app import create_app
from landclean.web.server import Server

PASSWORDS = {
    "quantri": "quan-tri-mat-khau",
    "tinh": "so-tnmt-mat-khau",
    "xa": "xa-mot-mat-khau",
    "xa2": "xa-hai-mat-khau",
    "lanhdao": "lanh-dao-mat-khau",
}


@dataclass
class Served:
    server: Server
    path: Path
    commune: str  # the commune account's commune (the largest)
    other: str  # a commune it may not see

    def client(self) -> TestClient:
        return TestClient(create_app(self.server), base_url="http://testserver")

    def login(self, who: str) -> tuple[TestClient, str]:
        """A client logged in as ``who``, and its CSRF token."""
        client = self.client()
        answer = client.post("/api/login", json={"login": who, "password": PASSWORDS[who]})
        assert answer.status_code == 200, answer.text
        return client, answer.json()["csrf"]

    def area_mismatch(self) -> tuple[str, float]:
        """A parcel of the commune account's commune with an open AREA_MISMATCH finding,
        and the area of its geometry (the value that closes it), to 0.1 m²."""
        with self.server.view() as ws:
            row = ws.con.execute(
                "SELECT f.record_id, round(ST_Area(p.geom), 1) FROM finding f "
                "JOIN parcel p ON p.parcel_id = f.record_id WHERE f.rule_id = 'AREA_MISMATCH' "
                "AND f.state = 'open' AND p.unit_code = ? ORDER BY 1 LIMIT 1",
                [self.commune],
            ).fetchone()
        assert row is not None
        return str(row[0]), float(row[1])

    def wait_for_jobs(self, timeout: float = 120.0) -> None:
        """Until no job is queued or running (the re-check after an edit)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.server.view() as ws:
                if not ws.scalar("SELECT count(*) FROM job WHERE state IN ('queued', 'running')"):
                    return
            time.sleep(0.2)
        raise AssertionError("jobs still running")


def serve_copy(built: Path, folder: Path) -> Served:
    """A copy of ``built`` with accounts of every role, served (jobs' worker started)."""
    path = folder / "served.duckdb"
    path.write_bytes(built.read_bytes())
    with api.open_workspace(path) as ws:
        communes = [
            r[0]
            for r in ws.con.execute(
                "SELECT unit_code FROM parcel WHERE unit_code IS NOT NULL "
                "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 2"
            ).fetchall()
        ]
        api.add_user(ws, "quantri", "admin", PASSWORDS["quantri"], actor="test")
        api.add_user(ws, "tinh", "province", PASSWORDS["tinh"], actor="test")
        api.add_user(ws, "xa", "commune", PASSWORDS["xa"], [communes[0]], actor="test")
        api.add_user(ws, "xa2", "commune", PASSWORDS["xa2"], [communes[1]], actor="test")
        api.add_user(ws, "lanhdao", "leader", PASSWORDS["lanhdao"], actor="test")
    server = Server(path, url="http://testserver")
    server.start()
    return Served(server, path, communes[0], communes[1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running(served: Served) -> Iterator[str]:
    """The application under a real uvicorn on 127.0.0.1 (a thread); yields its URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(served.server), host="127.0.0.1", port=port, log_level="warning"
    )
    http = uvicorn.Server(config)
    thread = threading.Thread(target=http.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not http.started:
        if time.monotonic() > deadline:
            raise AssertionError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        http.should_exit = True
        thread.join(timeout=10)
