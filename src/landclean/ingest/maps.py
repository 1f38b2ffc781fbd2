"""Map layers (GeoPackage, Shapefile, GeoJSON, FlatGeobuf, DGN, DXF) as ``Source`` objects.

A layer is only opened here: its fields, feature count, extent and CRS (how its
coordinates become the workspace's: ``ingest.crs``) and, for a Shapefile without
``.cpg``, its encoding.  Its features are streamed by GDAL through pyogrio, batch by
batch, straight into the raw table when the import writes (``Source.stream``), read in a
Python thread of their own (``ingest.prefetch``) with GDAL's messages kept and worded on
one line (``ingest.gdal_messages``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio

from landclean.errors import ImportError_
from landclean.ingest.crs import LayerCrs, plan_layer_crs, reproject
from landclean.ingest.encodings import decode_text, sniff_encoding
from landclean.ingest.gdal_messages import GdalError, mute_default_handler, quietly, reason
from landclean.ingest.prefetch import in_own_thread
from landclean.ingest.sources import Source, _temp_name, check_rows


def _layers(path: Path) -> list[str]:
    mute_default_handler()
    try:
        names = quietly(lambda: [str(name) for name, _ in pyogrio.list_layers(path)])
    except GdalError as exc:  # GDAL raises many types; its message says what is wrong
        raise ImportError_("unreadable_map", path=path, reason=reason(exc, path)) from exc
    if not names:  # GDAL took the file for its format but finds no layer: damaged
        raise ImportError_("map_no_layer", path=path)
    return names


def _shapefile_needs_guess(path: Path) -> bool:
    return (
        path.suffix.lower() == ".shp"
        and not path.with_suffix(".cpg").exists()
        and not path.with_suffix(".CPG").exists()
    )


def _open_layer(path: Path, layer: str, encoding: str | None, batch_size: int = 65_536):  # type: ignore[no-untyped-def]
    return pyogrio.open_arrow(
        path, layer=layer, encoding=encoding, use_pyarrow=True, batch_size=batch_size
    )


def _layer_schema(width: int) -> pa.Schema:
    return pa.schema(
        [("row_no", pa.int64())]
        + [(f"c{i}", pa.string()) for i in range(width)]
        + [("geom_wkb", pa.binary())]
    )


def _layer_batches(
    path: Path,
    layer: str,
    read_as: str | None,
    decode_as: str | None,
    width: int,
    crs: LayerCrs,
    failures: list[ImportError_],
) -> Generator[pa.RecordBatch, None, None]:
    """The layer's features as text cells with row numbers and WKB geometry in the
    workspace's CRS.  Runs in a thread without pyogrio's error handler: every GDAL call
    goes through ``quietly`` (a failure GDAL reports refuses the layer), and the error
    raised is also kept in ``failures``, as DuckDB words it with a traceback."""
    schema = _layer_schema(width)
    row_no = 1
    opened = contextlib.ExitStack()
    try:
        meta, reader = quietly(opened.enter_context, _open_layer(path, layer, read_as))
        geom_name = meta["geometry_name"] or "wkb_geometry"
        batches = iter(reader)
        while (batch := quietly(next, batches, None, strict=True)) is not None:
            names = [n for n in batch.schema.names if n != geom_name]
            cols = [pa.array(range(row_no, row_no + batch.num_rows), pa.int64())]
            for name in names:
                col = pc.cast(batch.column(name), pa.string())
                cols.append(decode_text(col, decode_as) if decode_as else col)
            if geom_name not in batch.schema.names:
                cols.append(pa.nulls(batch.num_rows, pa.binary()))
            elif crs.transformer is None:
                cols.append(batch.column(geom_name))
            else:
                cols.append(_reprojected(path, layer, batch.column(geom_name), crs))
            yield pa.RecordBatch.from_arrays(cols, schema=schema)
            row_no += batch.num_rows
    except ImportError_ as exc:
        failures.append(exc)
        raise
    except Exception as exc:  # GDAL raises many types; its message says what is wrong
        error = ImportError_("unreadable_layer", path=path, layer=layer, reason=reason(exc, path))
        failures.append(error)
        raise error from exc
    finally:
        with contextlib.suppress(GdalError):
            quietly(opened.close)


def _reprojected(path: Path, layer: str, wkb: pa.Array, crs: LayerCrs) -> pa.Array:
    assert crs.transformer is not None
    try:
        return reproject(wkb, crs.transformer)
    except Exception as exc:  # pyproj's and shapely's errors: coordinates, WKB
        raise ImportError_(
            "map_crs_failed", path=path, layer=layer, crs=crs.source, reason=reason(exc)
        ) from exc


def _layer_fields(
    path: Path, layer: str, read_as: str | None, guess: bool, rows: int
) -> tuple[list[str], str | None]:
    """The layer's field names and, for a Shapefile without .cpg, the encoding its
    first features read best in."""
    with _open_layer(path, layer, read_as, batch_size=2000) as (meta, reader):
        geom_name = meta["geometry_name"] or "wkb_geometry"
        headers = [n for n in reader.schema.names if n != geom_name]
        chosen = _guess_dbf_encoding(reader.read_next_batch(), headers) if guess and rows else None
    return headers, chosen


def read_map(con: duckdb.DuckDBPyConnection, path: Path) -> list[Source]:
    """Open every layer: its fields, feature count, CRS and extent (how its coordinates
    become the workspace's: ``crs.plan_layer_crs``) and (Shapefile without .cpg)
    encoding.  The features themselves are streamed when the import writes them."""
    del con  # nothing is staged: see Source.stream
    out = []
    for layer in _layers(path):
        guess = _shapefile_needs_guess(path)
        read_as = "latin1" if guess else None
        try:
            info = quietly(
                pyogrio.read_info,
                path,
                layer=layer,
                force_feature_count=True,
                force_total_bounds=True,
            )
            rows = int(info["features"])
            headers, chosen = quietly(_layer_fields, path, layer, read_as, guess, rows)
        except GdalError as exc:
            raise ImportError_(
                "unreadable_layer", path=path, layer=layer, reason=reason(exc, path)
            ) from exc
        if rows <= 0:
            continue  # empty layer
        check_rows(path, layer, rows)
        crs = plan_layer_crs(path, layer, info.get("crs"), info.get("total_bounds"))
        failures: list[ImportError_] = []

        def stream(
            layer: str = layer,
            read_as: str | None = read_as,
            chosen: str | None = chosen,
            width: int = len(headers),
            crs: LayerCrs = crs,
            failures: list[ImportError_] = failures,
        ) -> pa.RecordBatchReader:
            # GDAL and pyproj work in one Python thread, whichever threads DuckDB pulls from
            return pa.RecordBatchReader.from_batches(
                _layer_schema(width),
                in_own_thread(
                    lambda: _layer_batches(path, layer, read_as, chosen, width, crs, failures)
                ),
            )

        out.append(
            Source(
                path,
                layer,
                headers,
                _temp_name(),
                rows,
                chosen or read_as,
                is_map=True,
                stream=stream,
                warnings=list(crs.warnings),
                failures=failures,
            )
        )
    if not out:
        raise ImportError_("map_empty", path=path)
    return out


def _guess_dbf_encoding(batch: pa.RecordBatch, names: list[str]) -> str | None:
    """A Shapefile without .cpg: its text was read byte for byte (latin-1); choose the
    encoding under which the sample reads as the most plausible Vietnamese."""
    sample = []
    for name in names:
        col = batch.column(name)
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            sample += [v for v in col.slice(0, 2000).to_pylist() if v]
    if not sample:
        return None
    raw = "\n".join(sample).encode("latin-1", errors="replace")
    found = sniff_encoding(raw)
    return None if found in ("latin-1",) else found
