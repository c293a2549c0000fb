"""Open the DuckDB warehouse, apply the schema, and run named `.sql` files with bound parameters."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from lmi.config import db_path

SQL_DIR = Path(__file__).resolve().parent / "sql"


class WarehouseError(Exception):
    """A problem with the warehouse the user can fix (missing file, bad filter, ...)."""


@cache
def sql(name: str) -> str:
    """Text of `sql/<name>.sql`, e.g. sql('reports/top_skills')."""
    path = SQL_DIR / f"{name}.sql"
    if not path.exists():
        raise FileNotFoundError(f"no SQL file {path}")
    return path.read_text(encoding="utf-8")


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table that does not exist yet (idempotent)."""
    for path in sorted((SQL_DIR / "schema").glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))


def connect(path: str | Path | None = None, *, create: bool = True,
            read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse. With create=False a missing file is a WarehouseError, not a new DB."""
    target = db_path(path)
    if not create and not target.exists():
        raise WarehouseError(
            f"no warehouse at {target}. Run `lmi demo` or `lmi crawl` first, "
            "or point --db / LMI_DB at an existing file."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(target), read_only=read_only)
    if not read_only:
        apply_schema(con)
    return con


@contextmanager
def session(path: str | Path | None = None, *, create: bool = True,
            read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Context-managed connection that is always closed (DuckDB allows one writer process)."""
    con = connect(path, create=create, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def rows(con: duckdb.DuckDBPyConnection, query: str,
         params: Sequence[Any] | Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run a query with bound parameters and return a list of dicts."""
    cur = con.execute(query, params or [])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
