"""The workspace: one DuckDB file holding raw imports, canonical tables, findings and history."""

from landclean.workspace.connection import Workspace, create_workspace, open_workspace

__all__ = ["Workspace", "create_workspace", "open_workspace"]
