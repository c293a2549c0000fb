"""Cheap version stamps of the reference tables; derived indexes are cached per stamp.

One query reads the row count of every reference table and its `ref_loads` entry (source and load
time). The geography index, the NOC coder and the sector classifier are rebuilt only when the
stamp of the tables they read changes, so callers check it once per batch, not per posting.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

GROUPS: dict[str, tuple[str, ...]] = {
    "geo": ("ref_places", "ref_fsa", "ref_economic_regions"),
    "noc": ("ref_noc_titles", "ref_noc"),
    "naics": ("ref_naics", "ref_naics_elements"),
}
_COUNTS = " UNION ALL ".join(
    f"SELECT '{table}' AS table_name, count(*) AS n FROM {table}"  # constant table names
    for tables in GROUPS.values()
    for table in tables
)
STAMP_SQL = (
    f"WITH counts AS ({_COUNTS}) SELECT c.table_name, c.n, l.source, CAST(l.loaded_at AS VARCHAR) "
    "FROM counts c LEFT JOIN ref_loads l USING (table_name) ORDER BY c.table_name"
)

Stamp = tuple | None  # None: the group's tables are absent or empty -> packaged starter files


@dataclass(frozen=True)
class RefStamp:
    """Per-group stamps; None means 'use the packaged starter files' for that group."""

    geo: Stamp = None
    noc: Stamp = None
    naics: Stamp = None


STARTER = RefStamp()


def reference_stamp(con: duckdb.DuckDBPyConnection | None) -> RefStamp:
    """The stamp of this connection's reference tables (one small query; STARTER without con)."""
    if con is None:
        return STARTER
    try:
        rows = {r[0]: tuple(r[1:]) for r in con.execute(STAMP_SQL).fetchall()}
    except duckdb.Error:
        return STARTER
    stamps = {}
    for group, tables in GROUPS.items():
        parts = tuple((t, *rows.get(t, (0, None, None))) for t in tables)
        stamps[group] = parts if any(p[1] for p in parts) else None
    return RefStamp(**stamps)
