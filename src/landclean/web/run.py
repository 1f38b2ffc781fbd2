"""Start the campaign server: ``landclean serve`` (and ``make serve``) call this."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import uvicorn

from landclean.web.app import create_app
from landclean.web.server import Server


def serve(
    path: Path | str,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    imports: Path | None = None,
    proxy_headers: bool = False,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the workspace to the campaign (blocks until stopped): this process owns it,
    other commands on it say so.  ``imports``: the folder web imports may read from."""
    url = f"http://{host}:{port}"
    server = Server(Path(path), url=url, imports=imports)
    try:
        server.start()
        if ready is not None:
            ready(url)
        uvicorn.run(
            create_app(server), host=host, port=port, proxy_headers=proxy_headers,
            log_level="warning", access_log=False,
        )  # fmt: skip
    finally:
        server.close()
