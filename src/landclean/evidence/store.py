"""Where documents are kept: unchanged, by the SHA-256 of their bytes.

Beside the workspace file, in ``<workspace>.evidence/<first 2 hex digits>/<sha256>``.
A copy is written to a temporary name, flushed and renamed, so a document is either
whole or absent; the same bytes brought twice are stored once.  A document whose
database rows were rolled back (a failed ``evidence add``) leaves at most an unreferenced
copy, which the next add of the same bytes takes as its own: nothing half-written is
ever read as evidence.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def folder(workspace: Path) -> Path:
    """The workspace's evidence folder."""
    return workspace.with_name(workspace.name + ".evidence")


def stored_path(workspace: Path, sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256")  # never a path made of what a client sent
    return folder(workspace) / sha256[:2] / sha256


def keep(workspace: Path, data: bytes, sha256: str) -> Path:
    """Store ``data`` (whose hash is ``sha256``) unless it is there already."""
    path = stored_path(workspace, sha256)
    if path.exists() and path.stat().st_size == len(data):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{sha256}.{os.getpid()}.part")
    with open(part, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(part, path)
    return path


def read(workspace: Path, sha256: str) -> bytes:
    """A stored document's bytes, checked against its hash."""
    data = stored_path(workspace, sha256).read_bytes()
    if digest(data) != sha256:
        raise OSError(f"the stored copy of {sha256[:12]} was altered")
    return data
