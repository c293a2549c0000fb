"""The one-way flow after the crawl: raw postings -> normalised postings -> extracted skills.

Each step is idempotent and commits in batches, so a crash loses at most the batch in flight
and the next run picks up exactly what is left.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import duckdb

from lmi.nlp.types import Extraction
from lmi.warehouse.db import rows, sql

Progress = Callable[[int, int], None]  # (done, total)
# phrase vectors are kept on disk between runs (LMI_CACHE/phrases-*.npz); LMI_PHRASE_CACHE=0: off
PHRASE_CACHE = os.environ.get("LMI_PHRASE_CACHE", "1") != "0"


class Extractor(Protocol):
    version: str

    def extract_many(self, texts: Sequence[str], batch_size: int = 64) -> Iterator[Extraction]: ...


def insert_columns(con: duckdb.DuckDBPyConnection, table: str, values: list[tuple]) -> None:
    """Bulk insert tuples in table column order, sent as one list per column (fast in DuckDB)."""
    if not values:
        return
    columns = list(zip(*values, strict=True))
    unnests = ", ".join(f"unnest(${i + 1})" for i in range(len(columns)))
    con.execute(f"INSERT INTO {table} SELECT {unnests}", [list(c) for c in columns])


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def normalise_new_postings(con: duckdb.DuckDBPyConnection, *, batch_size: int = 500,
                           progress: Progress | None = None) -> dict[str, int]:
    """Turn every new or changed raw posting into a normalised `postings` row."""
    from lmi.normalise.posting import normalise_postings

    pending = rows(con, sql("load/raw_to_normalise"))
    known = {r[0] for r in con.execute("SELECT posting_id FROM postings").fetchall()}
    stats = {"pending": len(pending), "new": 0, "changed": 0}
    done = 0
    upsert = sql("load/upsert_posting")
    for batch in _batches(pending, batch_size):
        con.execute("BEGIN")
        try:
            for raw, norm in zip(batch, normalise_postings(batch, con=con), strict=True):
                con.execute(upsert, _posting_params(raw, norm))
                stats["changed" if raw["posting_key"] in known else "new"] += 1
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        done += len(batch)
        if progress:
            progress(done, len(pending))
    return stats


_POSTING_FIELDS = (
    "title", "employer", "description", "date_posted", "valid_through", "location_raw", "city",
    "province", "economic_region", "cma", "work_mode", "naics_sector", "sector_source", "noc_code",
    "noc_score", "employment_type", "salary_annual_min", "salary_annual_max", "language",
)


def _posting_params(raw: dict[str, Any], norm: dict[str, Any]) -> dict[str, Any]:
    params = {f: norm.get(f, raw.get(f)) for f in _POSTING_FIELDS}
    params.update(
        posting_id=raw["posting_key"], raw_id=raw["raw_id"], source_id=raw["source_id"],
        url=raw["url"], seen_at=raw["fetched_at"],
    )
    return params


def extract_skills(con: duckdb.DuckDBPyConnection, extractor: Extractor, *,
                   batch_size: int = 256, progress: Progress | None = None) -> dict[str, int]:
    """Extract skills for postings not yet processed by this extractor version.

    French postings are marked processed but not run through the English extractor: they are
    counted and reported as French.
    """
    todo = rows(con, sql("load/postings_to_extract"), {"version": extractor.version})
    stats = {"postings": len(todo), "skills": 0, "unlinked": 0, "skipped_french": 0}
    encoder = getattr(extractor, "encoder", None) if todo and PHRASE_CACHE else None
    if encoder is not None:
        stats["phrases_from_disk"] = encoder.load_phrases()
    try:
        _extract_batches(con, extractor, todo, stats, batch_size, progress)
    finally:
        if encoder is not None:
            encoder.save_phrases()   # the next run starts warm, even after a failure
    return stats


def _extract_batches(con: duckdb.DuckDBPyConnection, extractor: Extractor, todo: list[dict],
                     stats: dict[str, int], batch_size: int, progress: Progress | None) -> None:
    done = 0
    for batch in _batches(todo, batch_size):
        english = [p for p in batch if (p["language"] or "en") != "fr"]
        stats["skipped_french"] += len(batch) - len(english)
        results = list(extractor.extract_many([p["description"] or "" for p in english]))
        skill_rows, phrase_rows = [], []
        for posting, result in zip(english, results, strict=True):
            pid = posting["posting_id"]
            skill_rows += [(pid, m.framework_id, m.skill_id, m.text, m.start, m.end,
                            float(m.confidence), m.method) for m in result.skills]
            phrase_rows += [(pid, u.text, u.start, u.end, u.best_framework_id, u.best_skill_id,
                             None if u.best_score is None else float(u.best_score))
                            for u in result.unlinked]
        ids = [p["posting_id"] for p in batch]
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        con.execute("BEGIN")
        try:
            for table in ("posting_skills", "unlinked_phrases"):
                con.execute(f"DELETE FROM {table} WHERE posting_id IN (SELECT unnest(?))", [ids])
            insert_columns(con, "posting_skills", skill_rows)
            insert_columns(con, "unlinked_phrases", phrase_rows)
            con.execute(
                "UPDATE postings SET extracted_at = ?, extractor_version = ? "
                "WHERE posting_id IN (SELECT unnest(?))",
                [now, extractor.version, ids],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        stats["skills"] += len(skill_rows)
        stats["unlinked"] += len(phrase_rows)
        done += len(batch)
        if progress:
            progress(done, len(todo))
