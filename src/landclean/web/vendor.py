"""Front-end files the pages load, vendored into the package at pinned versions.

HTMX is committed (``static/vendor``).  MapLibre GL JS (about 1.5 MB) is taken from the
npm registry by ``make setup`` (``python -m landclean.web.vendor``): the package's
tarball at the pinned version, checked against its published SHA-512 before anything of
it is unpacked, and its CSP build (no ``blob:`` workers) copied into ``static/vendor``.
Nothing is fetched when the page is served: the province's network may have no internet.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

MAPLIBRE_VERSION = "5.24.1"
MAPLIBRE = f"maplibre-gl-{MAPLIBRE_VERSION}"
# the npm registry's dist.integrity of maplibre-gl@5.24.1
MAPLIBRE_INTEGRITY = (
    "sha512-HyiYBwtsbk3L1n1EPLJHWqdoyMiF80n7tEYXFZyu2m1TjvaNx6KMLiFeDdmszt1/"
    "mq2zvsR1TJuX/NMu5BonXQ=="
)
MAPLIBRE_FILES = (
    "maplibre-gl-csp.js",
    "maplibre-gl-csp-worker.js",
    "maplibre-gl.css",
    "LICENSE.txt",
)


def vendor_dir() -> Path:
    return Path(__file__).parent / "static" / "vendor"


def maplibre_installed() -> bool:
    return all((vendor_dir() / MAPLIBRE / name).is_file() for name in MAPLIBRE_FILES)


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def install_maplibre() -> Path:
    """Fetch, check and unpack MapLibre GL JS (nothing when it is there already)."""
    target = vendor_dir() / MAPLIBRE
    if maplibre_installed():
        return target
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", "--silent", f"maplibre-gl@{MAPLIBRE_VERSION}"],
            cwd=tmp,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        tarball = Path(tmp) / f"{MAPLIBRE}.tgz"
        found = _integrity(tarball.read_bytes())
        if found != MAPLIBRE_INTEGRITY:
            raise SystemExit(f"{tarball.name}: integrity {found}, expected {MAPLIBRE_INTEGRITY}")
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as archive:
            for name in MAPLIBRE_FILES:
                member = archive.extractfile(f"package/dist/{name}")
                if member is None:
                    raise SystemExit(f"{tarball.name}: no dist/{name}")
                (target / name).write_bytes(member.read())
    return target


if __name__ == "__main__":
    print(f"MapLibre GL JS {MAPLIBRE_VERSION}: {install_maplibre()}", file=sys.stderr)
