"""Looking a few records up by a list of their keys.

The canonical tables are stored in the order of their key: a lookup by key reads the row
groups its zone maps point at.  A list of keys given as literals (``key IN ('a', 'b')``)
is filtered in the scan itself; given as a parameter or a subquery, DuckDB joins it with
the whole table instead.  Ask for the columns needed only: each row found reads its row
group's vector of every column asked for.
"""

from __future__ import annotations

from collections.abc import Iterable


def keys_in(column: str, values: Iterable[str | None]) -> str:
    """The filter ``column IN (…)`` of ``values`` as string literals (tens of thousands
    still parse in a fraction of a second); NULLs left out; ``false`` when none (an empty
    list would still be a scan)."""
    quoted = sorted({"'" + v.replace("'", "''") + "'" for v in values if v is not None})
    return f"{column} IN ({', '.join(quoted)})" if quoted else "false"
