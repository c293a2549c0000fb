"""Pre-aggregated counts that make the demand reports fast on millions of postings.

`refresh_aggregates(con)` rebuilds (sql/aggregates/refresh.sql, rollups.sql):

* cell tables, one row per key x month x province x economic region x sector x NOC:
  skill_month_counts (postings and unique jobs per skill), posting_month_counts (the
  denominators, data window, versions), phrase_month_counts (unlinked phrases),
  credential_month_counts (reach of each credential);
* their roll-ups to one dimension or none (`ROLLUPS`: <table>_totals, _by_province,
  _by_region, _by_sector, _by_noc2), read when a filter uses only that dimension;
* posting-level tables for companion skills, co-occurrence and cluster reach: skill_codes,
  job_index (unique jobs with cell and sample level) and job_skills (job x skill pairs);
* evidence_month_firsts (evidence candidates) and aggregates_state (the base-table counts
  and a fingerprint of credential_skills at refresh time).

The nightly run calls it after loading and de-duplicating. Reports read the aggregates only
while they are fresh (the base tables still have the counts recorded in aggregates_state) and
the date filter covers whole months; otherwise they fall back to the base tables, so results
never depend on them.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from typing import Any

import duckdb

from lmi.warehouse.db import sql

COSKILL_SAMPLE = 50_000    # companion skills are counted on about this many sampled jobs
MAX_SAMPLE_LEVEL = 8       # job_index.level stops at 8
STATE_KEYS = ("postings", "posting_skills", "posting_clusters", "duplicates",
              "unlinked_phrases")
CREDENTIAL_KEYS = ("credential_skills", "credential_skills_hash")
# grain -> (province, economic_region, naics_sector, noc_code) columns kept; NULL = summed over
ROLLUPS = {
    "totals": ("NULL", "NULL", "NULL", "NULL"),
    "by_province": ("province", "NULL", "NULL", "NULL"),
    "by_region": ("NULL", "economic_region", "NULL", "NULL"),
    "by_sector": ("NULL", "NULL", "naics_sector", "NULL"),
    "by_noc2": ("NULL", "NULL", "NULL", "left(noc_code, 2)"),
}
DIMENSION_COLUMNS = ("province", "economic_region", "naics_sector", "noc_code")
CELL_TABLES = ("skill_month", "posting_month", "phrase_month")
TABLES = (*(f"{t}_{g}" for t in CELL_TABLES for g in ("counts", *ROLLUPS)),
          "evidence_month_firsts", "skill_codes", "job_index", "job_skills")
CREDENTIAL_TABLES = tuple(f"credential_month_{g}" for g in ("counts", *ROLLUPS))
COUNTED = ("skill_month_counts", "posting_month_counts", "skill_month_totals",
           "skill_month_by_province", "phrase_month_counts", "credential_month_counts",
           "job_skills")


def sample_level(total_jobs: int) -> int:
    """Companion skills (credential_coskills.sql) use the jobs with hash(posting_id) % 2^level = 0.

    level = floor(log2(total_jobs / COSKILL_SAMPLE)) clamped to [0, MAX_SAMPLE_LEVEL]: 1 to 2 x
    COSKILL_SAMPLE jobs (job_index stores each job's level, so any sample is a filter).
    """
    if total_jobs < 2 * COSKILL_SAMPLE:
        return 0
    return min(MAX_SAMPLE_LEVEL, int(math.floor(math.log2(total_jobs / COSKILL_SAMPLE))))


def _statements(text: str) -> list[str]:
    """The statements of a .sql file, comment lines removed."""
    out = []
    for statement in text.split(";\n"):
        body = "\n".join(line for line in statement.splitlines()
                         if not line.lstrip().startswith("--"))
        if body.strip():
            out.append(body)
    return out


def rollup_statements() -> list[str]:
    """rollups.sql once per grain of ROLLUPS (identifiers from constants, no user input)."""
    out = []
    for grain, kept in ROLLUPS.items():
        dims = ", ".join(f"{expr} AS {col}" if expr != "NULL" else f"CAST(NULL AS VARCHAR) AS {col}"
                         for expr, col in zip(kept, DIMENSION_COLUMNS, strict=True))
        first = next((col for expr, col in zip(kept, DIMENSION_COLUMNS, strict=True)
                      if expr != "NULL"), "month")
        out += [s.format(grain=grain, dims=dims, first=first)
                for s in _statements(sql("aggregates/rollups"))]
    return out


def refresh_aggregates(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Rebuild the aggregate tables (one transaction); returns their row counts and seconds."""
    started = time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    try:
        for statement in [*_statements(sql("aggregates/refresh")), *rollup_statements()]:
            con.execute(statement)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED}
    return {**counts, "seconds": round(time.perf_counter() - started, 2)}


def _matches(con: duckdb.DuckDBPyConnection, keys: tuple[str, ...], query: str,
             tables: tuple[str, ...]) -> bool:
    """aggregates_state (with the `keys` columns) and `tables` exist, and the `keys` stored
    match `query` now."""
    found, columns = con.execute(
        "SELECT count(DISTINCT table_name) FILTER (WHERE list_contains($tables, table_name)), "
        "count(*) FILTER (WHERE table_name = 'aggregates_state' "
        "AND list_contains($keys, column_name)) FROM duckdb_columns()",
        {"tables": list({*tables, "aggregates_state"}), "keys": list(keys)}).fetchone()
    if found < len({*tables, "aggregates_state"}) or columns < len(keys):
        return False
    stored = con.execute(f"SELECT {', '.join(keys)} FROM aggregates_state").fetchone()
    now = con.execute(sql(query)).fetchone()
    return stored is not None and tuple(stored) == tuple(now)


def aggregates_fresh(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the aggregates exist and the base tables are unchanged since the refresh."""
    return _matches(con, STATE_KEYS, "aggregates/state", TABLES)


def credential_aggregates_fresh(con: duckdb.DuckDBPyConnection,
                                posting_fresh: bool | None = None) -> bool:
    """True when the posting aggregates are fresh (`posting_fresh`, checked when None) and
    credential_skills is unchanged too."""
    if posting_fresh is None:
        posting_fresh = aggregates_fresh(con)
    return posting_fresh and _matches(con, CREDENTIAL_KEYS, "aggregates/credential_state",
                                      CREDENTIAL_TABLES)


def whole_months(since: dt.date | None, until: dt.date | None) -> bool:
    """The date filter starts on a 1st and ends on a month's last day (or is open)."""
    starts = since is None or since.day == 1
    ends = until is None or (until + dt.timedelta(days=1)).day == 1
    return starts and ends
