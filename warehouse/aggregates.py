"""Pre-aggregated counts that make the demand reports fast on millions of postings.

`refresh_aggregates(con)` rebuilds skill_month_counts (skill x month x province x economic
region x sector x NOC: postings and unique jobs), posting_month_counts (the denominators),
their national monthly totals (skill_month_totals, posting_month_totals), phrase_month_counts
(unlinked phrases) and aggregates_state (the base-table counts at refresh time). The nightly
run calls it after loading and de-duplicating. Reports read the aggregates only while they
are fresh (the base tables still have the counts recorded in aggregates_state) and the date
filter covers whole months; otherwise they fall back to the base tables, so results never
depend on them.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import duckdb

from lmi.warehouse.db import sql

STATE_KEYS = ("postings", "posting_skills", "posting_clusters", "duplicates",
              "unlinked_phrases")


def refresh_aggregates(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Rebuild the aggregate tables (one transaction); returns their row counts and seconds."""
    started = time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    try:
        for statement in sql("aggregates/refresh").split(";\n"):
            if "CREATE" in statement:
                con.execute(statement)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("skill_month_counts", "posting_month_counts", "skill_month_totals",
                        "phrase_month_counts")}
    return {**counts, "seconds": round(time.perf_counter() - started, 2)}


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                            [table]).fetchone()[0])


def aggregates_fresh(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the aggregates exist and the base tables are unchanged since the refresh."""
    if not _exists(con, "aggregates_state"):
        return False
    stored_cols = {r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'aggregates_state'")
        .fetchall()}
    if not set(STATE_KEYS) <= stored_cols:
        return False
    stored = con.execute(f"SELECT {', '.join(STATE_KEYS)} FROM aggregates_state").fetchone()
    now = con.execute(sql("aggregates/state")).fetchone()
    return stored is not None and tuple(stored) == tuple(now)


def whole_months(since: dt.date | None, until: dt.date | None) -> bool:
    """The date filter starts on a 1st and ends on a month's last day (or is open)."""
    starts = since is None or since.day == 1
    ends = until is None or (until + dt.timedelta(days=1)).day == 1
    return starts and ends
