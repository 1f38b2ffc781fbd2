"""landclean: clean and enrich a provincial land (cadastral) database.

The public face is ``landclean.api``, re-exported here: open or create a workspace,
import, run the pipeline, report, export, worklists, corrections, lookups, crosswalks,
review queues and tasks, each returning a typed result.  Importing ``landclean`` is
light: the operations load on first use.

    import landclean as lc

    with lc.create_workspace("dak_lak.duckdb") as ws:
        lc.import_sources(ws, ["ban_do/", "vbdlis.xlsx", "dan_cu.parquet"])
        lc.run(ws)
        summary = lc.report(ws, "bao_cao/").summary
"""

from __future__ import annotations

from typing import Any

from landclean.errors import LandcleanError

__version__ = "0.2.0"
__all__ = [
    "LandcleanError",
    "RunReport",
    "Summary",
    "Workspace",
    "__version__",
    "apply",
    "correct",
    "create_workspace",
    "crosswalk",
    "export",
    "generate",
    "import_sources",
    "list_profiles",
    "list_rules",
    "lookup",
    "open_workspace",
    "report",
    "review",
    "run",
    "status",
    "summary",
    "tasks",
    "worklist",
]


def __getattr__(name: str) -> Any:
    """The operations of ``landclean.api``, imported when first used."""
    if name in __all__:
        from landclean import api

        return getattr(api, name)
    raise AttributeError(f"module 'landclean' has no attribute {name!r}")
