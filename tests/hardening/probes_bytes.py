"""Probes at the level of bytes and names: random bytes under every supported suffix,
real files cut short or with bits flipped, a format under another's suffix, odd names."""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

from tests.hardening.mutate import Made, Probe, copy_seed, flip_bits, truncate
from tests.hardening.seeds import SEED_FILES, Seeds

SUFFIXES = (
    ".gpkg", ".shp", ".geojson", ".json", ".dgn", ".dxf", ".fgb",
    ".xlsx", ".xlsm", ".csv", ".txt", ".parquet",
)  # fmt: skip

# how each format starts: random bytes behind it get past a reader's first look
MAGIC = {
    ".gpkg": b"SQLite format 3\x00",
    ".shp": b"\x00\x00\x27\x0a",
    ".geojson": b'{"type": "FeatureCollection", "features": [',
    ".json": b'{"type": "Feature", "geometry": ',
    ".dgn": b"\x08\x09\xfe\x02",
    ".dxf": b"  0\nSECTION\n  2\nENTITIES\n",
    ".fgb": b"fgb\x03fgb\x00",
    ".xlsx": b"PK\x03\x04",
    ".xlsm": b"PK\x03\x04\x14\x00\x06\x00",
    ".csv": "Mã thửa đất,Số tờ,".encode(),
    ".txt": b"\xef\xbb\xbf",
    ".parquet": b"PAR1",
}


def random_bytes(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    suffix = rng.choice(SUFFIXES)
    size = rng.choice((1, rng.randrange(2, 64), rng.randrange(64, 4096)))
    prefix = MAGIC[suffix] if rng.random() < 0.5 else b""
    tail = b"PAR1" if suffix == ".parquet" and rng.random() < 0.5 else b""
    path = out / f"random{suffix}"
    path.write_bytes(prefix + rng.randbytes(size) + tail)
    return Made(path, f"{size} random bytes{' after its magic' if prefix else ''} as {suffix}")


def _mutated(rng: random.Random, seeds: Seeds, out: Path, how: str) -> Made:
    name = rng.choice(seeds.names)
    target = copy_seed(seeds, name, out)
    victim = target
    if target.suffix == ".shp":  # one part of the Shapefile
        victim = target.with_suffix(rng.choice((".shp", ".shp", ".shx", ".dbf", ".prj")))
    data = victim.read_bytes()
    changed, what = truncate(data, rng) if how == "cut" else flip_bits(data, rng)
    victim.write_bytes(changed)
    return Made(target, f"{SEED_FILES[name]} ({victim.suffix}) {what}")


def truncated(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    return _mutated(rng, seeds, out, "cut")


def bit_flip(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    return _mutated(rng, seeds, out, "flip")


def wrong_suffix(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    """A valid file of one format named as another (an old habit of renaming exports)."""
    name = rng.choice([n for n in seeds.names if n != "map_shp"])
    suffix = rng.choice([s for s in SUFFIXES if s != Path(SEED_FILES[name]).suffix])
    path = out / f"renamed{suffix}"
    path.write_bytes(seeds.path(name).read_bytes())
    return Made(path, f"{SEED_FILES[name]} named {path.name}")


ODD_STEMS = (
    "tên có dấu cách",
    unicodedata.normalize("NFD", "Bảng kê Hòa Phú"),
    "-bat-dau-bang-gach",
    "--help",
    "x" * 200,
    "a'b\"c;d",
    "dòng\nmới",
    "tab\there",
    "\u202eftp.exe",
    "[bold red]markup[dim]",
    "{path}{reason}",
)


def odd_name(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    """A valid file under an odd name, or with its suffix in capitals."""
    name = rng.choice(seeds.names)
    stem = rng.choice(ODD_STEMS)
    target = copy_seed(seeds, name, out, stem=stem)
    if rng.random() < 0.3 and target.suffix != ".shp":
        upper = target.with_suffix(target.suffix.upper())
        target.rename(upper)
        target = upper
    return Made(target, f"{SEED_FILES[name]} named {target.name!r}")


PROBES: dict[str, Probe] = {
    "random_bytes": random_bytes,
    "truncated": truncated,
    "bit_flip": bit_flip,
    "wrong_suffix": wrong_suffix,
    "odd_name": odd_name,
}
