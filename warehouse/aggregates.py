"""Pre-aggregated counts that make the demand reports fast on millions of postings.

`refresh_aggregates(con)` rebuilds skill_month_counts (skill x month x province x economic
region x sector x NOC: postings and unique jobs), posting_month_counts (the denominators),
their national monthly totals (skill_month_totals, posting_month_totals), phrase_month_counts
(unlinked phrases), the credential aggregates (credential_month_counts / _totals: reach of
each credential; sample_jobs, sample_skill_counts, credential_sample_reach and
credential_coskill_counts: companion skills on nested job samples) and aggregates_state (the
base-table counts and a fingerprint of credential_skills at refresh time). The nightly
run calls it after loading and de-duplicating. Reports read the aggregates only while they
are fresh (the base tables still have the counts recorded in aggregates_state) and the date
filter covers whole months; otherwise they fall back to the base tables, so results never
depend on them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from typing import Any

import duckdb

from lmi.warehouse.db import sql

COSKILL_SAMPLE = 50_000    # companion skills are counted on about this many sampled jobs
MAX_SAMPLE_LEVEL = 8
STATE_KEYS = ("postings", "posting_skills", "posting_clusters", "duplicates",
              "unlinked_phrases")
CREDENTIAL_KEYS = ("credential_skills", "credential_skills_hash")
TABLES = ("skill_month_counts", "posting_month_counts", "skill_month_totals",
          "posting_month_totals", "phrase_month_counts", "phrase_month_totals",
          "evidence_month_firsts")
CREDENTIAL_TABLES = ("credential_month_counts", "credential_month_totals", "sample_jobs",
                     "sample_skill_counts", "credential_sample_reach", "credential_coskill_counts")
COUNTED = ("skill_month_counts", "posting_month_counts", "skill_month_totals",
           "phrase_month_counts", "credential_month_counts", "credential_coskill_counts")


def sample_level(total_jobs: int) -> int:
    """Companion skills (credential_coskills.sql) use the jobs with hash(posting_id) % 2^level = 0.

    level = floor(log2(total_jobs / COSKILL_SAMPLE)) clamped to [0, MAX_SAMPLE_LEVEL]: 1 to 2 x
    COSKILL_SAMPLE jobs. The samples are nested, so refresh_aggregates can pre-count them.
    """
    if total_jobs < 2 * COSKILL_SAMPLE:
        return 0
    return min(MAX_SAMPLE_LEVEL, int(math.floor(math.log2(total_jobs / COSKILL_SAMPLE))))


def sample_min_level(national_jobs: int) -> int:
    """The lowest sample level pre-counted: reports on >= 1/4 of all jobs find theirs."""
    return max(0, sample_level(national_jobs) - 2)


def refresh_aggregates(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Rebuild the aggregate tables (one transaction); returns their row counts and seconds."""
    started = time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    try:
        level = sample_min_level(con.execute(sql("aggregates/national_jobs")).fetchone()[0])
        values = {"min_level": level, "min_mod": 2 ** level}
        for statement in sql("aggregates/refresh").split(";\n"):
            body = "\n".join(line for line in statement.splitlines()
                             if not line.lstrip().startswith("--"))
            if body.strip():
                used = set(re.findall(r"\$(\w+)", body))
                con.execute(body, {k: values[k] for k in used} or None)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED}
    return {**counts, "seconds": round(time.perf_counter() - started, 2)}


def _exists(con: duckdb.DuckDBPyConnection, *tables: str) -> bool:
    found = con.execute("SELECT count(DISTINCT table_name) FROM duckdb_tables() "
                        "WHERE list_contains(?, table_name)", [list(tables)]).fetchone()[0]
    return found == len(set(tables))


def _matches(con: duckdb.DuckDBPyConnection, keys: tuple[str, ...], query: str,
             tables: tuple[str, ...]) -> bool:
    """aggregates_state and `tables` exist and the `keys` stored match `query` now."""
    if not _exists(con, "aggregates_state", *tables):
        return False
    stored_cols = {r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'aggregates_state'")
        .fetchall()}
    if not set(keys) <= stored_cols:
        return False
    stored = con.execute(f"SELECT {', '.join(keys)} FROM aggregates_state").fetchone()
    now = con.execute(sql(query)).fetchone()
    return stored is not None and tuple(stored) == tuple(now)


def aggregates_fresh(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the aggregates exist and the base tables are unchanged since the refresh."""
    return _matches(con, STATE_KEYS, "aggregates/state", TABLES)


def credential_aggregates_fresh(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the posting aggregates are fresh and credential_skills is unchanged too."""
    return aggregates_fresh(con) and _matches(con, CREDENTIAL_KEYS, "aggregates/credential_state",
                                                CREDENTIAL_TABLES)


def stored_sample_level(con: duckdb.DuckDBPyConnection) -> int:
    """The lowest companion-skill sample level the (fresh) credential aggregates pre-count."""
    return con.execute("SELECT sample_min_level FROM aggregates_state").fetchone()[0]


def whole_months(since: dt.date | None, until: dt.date | None) -> bool:
    """The date filter starts on a 1st and ends on a month's last day (or is open)."""
    starts = since is None or since.day == 1
    ends = until is None or (until + dt.timedelta(days=1)).day == 1
    return starts and ends
