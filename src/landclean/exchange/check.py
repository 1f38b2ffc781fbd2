"""Check a package on its own: every file its manifest lists is there with the same
SHA-256, nothing else is, the GML validates against the package's own XSD (streamed by
lxml), and it holds as many objects of each class as the manifest says."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from landclean.exchange.catalogue import ExchangeError
from landclean.exchange.gml import SCHEMA_FILE
from landclean.exchange.package import MANIFEST, read_manifest
from landclean.exchange.xsd import parse_error
from landclean.ingest.importer import sha256_of


@dataclass
class Checked:
    folder: Path
    package_id: str
    commune: str
    kind: str
    objects: dict[str, int]  # element -> objects in the GML
    retired: int
    gml: Path


def _listed(folder: Path, manifest: dict[str, object]) -> list[Path]:
    files = manifest.get("files")
    if not isinstance(files, list):
        raise ExchangeError("exchange_bad_manifest", path=folder, reason="no list of files")
    out = []
    for entry in files:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise ExchangeError("exchange_bad_manifest", path=folder, reason="a file without path")
        rel = Path(entry["path"])
        if rel.is_absolute() or ".." in rel.parts:
            raise ExchangeError("exchange_bad_manifest", path=folder, reason=f"path {rel}")
        path = folder / rel
        if not path.is_file():
            raise ExchangeError("exchange_file_missing", path=folder, file=rel)
        if sha256_of(path) != entry.get("sha256"):
            raise ExchangeError("exchange_checksum", path=folder, file=rel)
        out.append(path)
    present = {p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST}
    extra = sorted(present - set(out))
    if extra:
        raise ExchangeError(
            "exchange_bad_manifest", path=folder,
            reason=f"{extra[0].relative_to(folder)} is not listed",
        )  # fmt: skip
    return out


def check_package(folder: Path) -> Checked:
    """The package at ``folder``, checked (``ExchangeError`` on the first problem)."""
    manifest = read_manifest(folder)
    folder = folder if folder.is_dir() else folder.parent
    files = _listed(folder, manifest)
    gml = [p for p in files if p.suffix == ".gml"]
    xsd = folder / SCHEMA_FILE
    if len(gml) != 1 or xsd not in files:
        raise ExchangeError(
            "exchange_bad_manifest", path=folder, reason="one GML file and its XSD are needed"
        )
    try:
        schema = etree.XMLSchema(etree.parse(str(xsd)))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
        raise ExchangeError("exchange_invalid", path=xsd, line=0, reason=str(exc)) from exc
    found: Counter[str] = Counter()
    retired = 0
    try:
        depth = 0
        for event, element in etree.iterparse(
            str(gml[0]), events=("start", "end"), schema=schema, huge_tree=True,
            resolve_entities=False, no_network=True,
        ):  # fmt: skip
            depth += 1 if event == "start" else -1
            if event == "end" and depth == 1:
                name = etree.QName(element).localname
                if element.get("lop") is not None:
                    retired += 1
                else:
                    found[name] += 1
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
    except etree.XMLSyntaxError as exc:
        raise parse_error(exc, gml[0], schema) from exc
    counts = manifest.get("counts")
    if not isinstance(counts, dict):
        raise ExchangeError("exchange_bad_manifest", path=folder, reason="no counts")
    for element, figures in counts.items():
        expected = int(figures.get("objects", 0)) if isinstance(figures, dict) else -1
        if found.get(element, 0) != expected:
            raise ExchangeError(
                "exchange_count", path=gml[0], found=found.get(element, 0), element=element,
                expected=expected,
            )  # fmt: skip
    expected_retired = sum(int(f.get("retired", 0)) for f in counts.values() if isinstance(f, dict))
    if retired != expected_retired:
        raise ExchangeError(
            "exchange_count", path=gml[0], found=retired, element="retired",
            expected=expected_retired,
        )  # fmt: skip
    commune = manifest.get("commune")
    return Checked(
        folder,
        str(manifest.get("package")),
        str(commune.get("code")) if isinstance(commune, dict) else "",
        str(manifest.get("kind")),
        dict(found),
        retired,
        gml[0],
    )
