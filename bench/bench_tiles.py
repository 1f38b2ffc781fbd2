"""Vector tiles at the scale of a province: cut on request by DuckDB, beside the same tiles
read from a pre-built PMTiles archive (the ``pmtiles`` package), in one run.

Usage: python -m bench.bench_tiles --from WS [--tiles 400] [--seed 1] [--out DIR]

Opens ``WS`` read-only as the server does (one DuckDB thread, a cursor of its own) and
asks for random tiles across the province, where the parcels are (a parcel drawn at
random, weighted by nothing but the parcels themselves, so dense communes are asked as
often as officers would look at them):

- zoom 15–18: the parcels, problems and sheets layers (what the map asks for there);
- zoom 10–14: the communes' figures (every zoom), sheets and problems (from 12).

Every tile is cut cold (the server's cache is not used) and timed; then each layer's
tiles are written into a PMTiles archive of their own and read back, each one timed
again, and checked to be the same bytes.  Prints a Markdown table: p50, p95 and worst
milliseconds and the largest tile, by zoom band and layer, for both, and the ratio of
the p95s.  The archive holds only the tiles asked for here; a whole province's archive
(every tile of zoom 10–18 where there are parcels) is estimated from the time per tile.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from pmtiles.reader import MmapSource, Reader
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

from landclean.maps.tiles import LAYERS, tile, tile_of
from landclean.workspace import open_workspace
from landclean.workspace.connection import prepared_cursor

Key = tuple[str, int, int, int]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def band(z: int) -> str:
    return "15–18" if z >= 15 else "10–14"


def sample(con: object, count: int, seed: int) -> list[Key]:
    """Random tiles where the parcels are: half at zoom 15–18, half at 10–14."""
    rows = con.execute(  # type: ignore[attr-defined]
        f"SELECT (minx + maxx) / 2, (miny + maxy) / 2 FROM map_parcel "
        f"USING SAMPLE reservoir({count} ROWS) REPEATABLE ({seed})"
    ).fetchall()
    rng = random.Random(seed)
    keys: list[Key] = []
    for i, (mx, my) in enumerate(rows):
        z = rng.randint(15, 18) if i % 2 == 0 else rng.randint(10, 14)
        x, y = tile_of(mx, my, z)
        for layer in LAYERS.values():
            if layer.min_zoom <= z and (z <= 14 or layer.name != "communes"):
                keys.append((layer.name, z, x, y))
    return keys


def write_archives(tiles: dict[Key, bytes], folder: Path) -> dict[str, Path]:
    """One PMTiles archive per layer with the tiles cut (uncompressed MVT, as served)."""
    paths: dict[str, Path] = {}
    for name in LAYERS:
        mine = sorted(
            (zxy_to_tileid(z, x, y), data) for (layer, z, x, y), data in tiles.items()
            if layer == name and data
        )  # fmt: skip
        if not mine:
            continue
        path = folder / f"{name}.pmtiles"
        with path.open("wb") as f:
            writer = Writer(f)
            for tile_id, data in mine:
                writer.write_tile(tile_id, data)
            writer.finalize(
                {
                    "tile_type": TileType.MVT,
                    "tile_compression": Compression.NONE,
                    "min_zoom": 10,
                    "max_zoom": 18,
                    "min_lon_e7": int(102 * 1e7),
                    "min_lat_e7": int(8 * 1e7),
                    "max_lon_e7": int(110 * 1e7),
                    "max_lat_e7": int(24 * 1e7),
                    "center_zoom": 12,
                    "center_lon_e7": int(108.5 * 1e7),
                    "center_lat_e7": int(13 * 1e7),
                },
                {"name": name, "vector_layers": [{"id": name}]},
            )
        paths[name] = path
    return paths


def table(times: dict[tuple[str, str], list[float]], sizes: dict[tuple[str, str], int]) -> str:
    lines = [
        "| zoom | layer | tiles | p50 ms | p95 ms | worst ms | largest KB |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for (zoom, layer), values in sorted(times.items()):
        lines.append(
            f"| {zoom} | {layer} | {len(values)} | {statistics.median(values):.1f} | "
            f"{p95(values):.1f} | {max(values):.1f} | {sizes[(zoom, layer)] / 1024:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--from", dest="source", type=Path, required=True)
    parser.add_argument("--tiles", type=int, default=400, help="places asked for")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="keep the archives here")
    args = parser.parse_args()
    with open_workspace(args.source, read_only=True) as ws:
        ws.con.execute("SET threads = 1")
        con = prepared_cursor(ws.con)
        parcels = con.execute("SELECT count(*) FROM map_parcel").fetchone()[0]  # type: ignore[index]
        keys = sample(con, args.tiles, args.seed)
        cut: dict[Key, bytes] = {}
        duck: dict[tuple[str, str], list[float]] = defaultdict(list)
        sizes: dict[tuple[str, str], int] = defaultdict(int)
        for layer, z, x, y in keys:
            started = time.perf_counter()
            data = tile(con, LAYERS[layer], z, x, y)
            duck[(band(z), layer)].append((time.perf_counter() - started) * 1000)
            sizes[(band(z), layer)] = max(sizes[(band(z), layer)], len(data))
            cut[(layer, z, x, y)] = data
    folder = args.out or Path(tempfile.mkdtemp(prefix="tiles-"))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    archives = write_archives(cut, folder)
    written = time.perf_counter() - started
    read: dict[tuple[str, str], list[float]] = defaultdict(list)
    handles = {name: path.open("rb") for name, path in archives.items()}
    readers = {name: Reader(MmapSource(f)) for name, f in handles.items()}
    for layer, z, x, y in keys:
        if layer not in readers:
            continue
        started = time.perf_counter()
        data = readers[layer].get(z, x, y) or b""
        read[(band(z), layer)].append((time.perf_counter() - started) * 1000)
        assert data == cut[(layer, z, x, y)], (layer, z, x, y)
    for f in handles.values():
        f.close()
    total = sum(sum(v) for v in duck.values()) / 1000
    print(f"{parcels:,} parcels on the map; {len(keys)} tiles asked for, {len(cut)} distinct\n")
    print("DuckDB, cut on request (one thread, no cache):\n")
    print(table(duck, sizes))
    print("\nPMTiles archive, read (the same tiles):\n")
    print(table(read, sizes))
    print("\nRatio of the p95s (DuckDB / PMTiles):\n")
    for key in sorted(duck):
        if key in read:
            print(f"- zoom {key[0]}, {key[1]}: {p95(duck[key]) / max(p95(read[key]), 1e-6):,.0f}×")
    print(f"\nArchives written in {written:.2f} s ({folder}); cutting took {total:.1f} s in all, ")
    print(f"{1000 * total / max(len(keys), 1):.1f} ms a tile on average.")


if __name__ == "__main__":
    main()
