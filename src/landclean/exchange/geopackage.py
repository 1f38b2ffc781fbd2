"""The GeoPackage of each package: a layer per class, written from the class's Parquet
file as soon as the export has written it, beside the rest of the export.

Each package's GeoPackage starts as a copy of one template holding the layers without
geometry (no rows). A layer with geometry is made with its rows, so that GDAL builds its
spatial index once at the end: rows appended to an indexed layer update the index one by
one (2.7 times slower for a commune's parcels). Packages are spread over ``LANES``
threads, each package on one, so that its layers are written one after the other.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio

from landclean.exchange.catalogue import Catalogue, ObjectClass
from landclean.exchange.gml import object_table, table_columns
from landclean.exchange.objects import ORDER

LANES = 2  # threads writing GeoPackages beside the export (GDAL works outside Python's lock)


def _append_layer(cls: ObjectClass, table: pa.Table, gpkg: Path) -> None:
    """One class's rows written to its layer of ``gpkg``; the layer is made when it does
    not exist (with its geometry column named as the catalogue names it)."""
    geometry = cls.geometry
    pyogrio.write_arrow(
        table,
        gpkg,
        layer=cls.element,
        driver="GPKG",
        geometry_name=geometry,
        geometry_type="Unknown" if geometry else None,
        crs="EPSG:9218" if geometry else None,
        append=gpkg.exists(),
        layer_options={"GEOMETRY_NAME": geometry} if geometry else None,
    )


def make_template(con: duckdb.DuckDBPyConnection, cat: Catalogue, path: Path) -> None:
    """A GeoPackage with the layer of every class without geometry and no rows, typed as
    the classes' Parquet files are (``x_send`` staged)."""
    # no fsync per layer: the folders stay hidden until the packages are recorded
    pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": "OFF"})
    empty = path.with_suffix(".parquet")
    for name in ORDER:
        cls = cat.cls(name)
        if not cls.geometry:
            rows = table_columns(cls, f"({object_table(cls)})")
            con.execute(f"COPY ({rows} LIMIT 0) TO '{empty}' (FORMAT parquet)")
            _append_layer(cls, pq.read_table(empty), path)
    empty.unlink(missing_ok=True)


def add_layer(cls: ObjectClass, folder: Path, pkg: str, template: Path) -> None:
    """One class's layer of the package's GeoPackage, from its Parquet file (the
    GeoPackage begun as a copy of ``template`` with the first)."""
    gpkg = folder / f"{pkg}.gpkg"
    if not gpkg.exists() and template.exists():  # (no template: every class has a geometry)
        shutil.copyfile(template, gpkg)
    # the file alone (no dataset discovery), and only when it has rows or a geometry
    with pq.ParquetFile(folder / "parquet" / f"{cls.element}.parquet") as source:
        if source.metadata.num_rows or cls.geometry:
            _append_layer(cls, source.read(use_threads=False), gpkg)


@contextmanager
def written_beside(
    folders: dict[str, Path], template: Path
) -> Iterator[Callable[[ObjectClass], None]]:
    """A function to call once a class's Parquet files are in ``folders`` (package ->
    folder): it queues the class's layer of every package.  Leaving the block waits for
    every layer and raises the first error; an error inside it cancels what is queued
    and waits for what is being written (nothing writes while the caller cleans up)."""
    lanes = [ThreadPoolExecutor(max_workers=1) for _ in range(LANES)]
    lane = {pkg: lanes[n % LANES] for n, pkg in enumerate(folders)}
    queued: list[Future[None]] = []

    def written(cls: ObjectClass) -> None:
        for pkg, folder in folders.items():
            queued.append(lane[pkg].submit(add_layer, cls, folder, pkg, template))

    try:
        yield written
    except BaseException:
        for pool in lanes:
            pool.shutdown(wait=True, cancel_futures=True)
        raise
    for pool in lanes:
        pool.shutdown(wait=True)
    for done in queued:
        done.result()
