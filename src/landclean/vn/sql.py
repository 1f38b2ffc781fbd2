"""Every Vietnamese domain rule the SQL of the pipeline needs, as DuckDB macros and
functions with unique ``lc_`` names, registered once on each workspace connection.

Each rule is written beside its Python twin in its own module (text, names, words,
values, citizen IDs, certificates, administrative units, GeoHash); this module only
gathers them, in dependency order.
"""

from __future__ import annotations

import duckdb

from landclean.vn import admin_units, certificates, citizen_id, geohash, names, text, values, words


def register(con: duckdb.DuckDBPyConnection, functions: bool = True) -> None:
    """Create every ``lc_*`` macro and function on ``con`` (macros are temporary: per
    connection; Python functions belong to the database, so a cursor of a connection
    that has them takes ``functions=False``)."""
    if functions:
        names.register_nfd(con)
        geohash.register(con)
    for sql in (
        text.MACROS,
        words.MACROS,
        values.MACROS,
        citizen_id.macros(),
        certificates.MACROS,
        admin_units.MACROS,
        names.MACROS,
    ):
        con.execute(sql)
