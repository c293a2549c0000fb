"""CrawlStore: the warehouse side of one crawl run, independent of Scrapy.

Receives postings, "seen unchanged" sightings and problems (from the item pipeline, or drained
from redis in distributed mode), writes them in batches, each batch in ONE transaction with the
crawl_runs counters, the posting_sightings and the http_cache validators of that batch. A crawl
killed mid-run therefore leaves only whole batches: a posting is either stored with its
validators and counted, or absent and fetched in full by the next run.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from lmi.crawler.items import JobPostingItem, PageProblemItem
from lmi.crawler.keys import content_hash, posting_key, raw_id
from lmi.warehouse.db import connect, sql

_PLACEHOLDER_ROW = re.compile(r"\((?:\?\s*,\s*)*\?\)")
FETCH_COUNTERS = ("pages_fetched", "not_modified", "bodies_fetched")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def multirow(statement: str, rows: int) -> str:
    """Repeat the statement's single `(?, ?, ...)` row of placeholders `rows` times."""
    match = _PLACEHOLDER_ROW.search(statement)
    if match is None:
        raise ValueError("statement has no (?, ...) row of placeholders")
    repeated = ",\n".join([match.group(0)] * rows)
    return statement[:match.start()] + repeated + statement[match.end():]


def posting_row(item: JobPostingItem, run_id: str, digest: str) -> list[Any]:
    return [
        raw_id(item.source_id, item.url, digest), posting_key(item.source_id, item.url),
        item.source_id, run_id, item.url, item.fetched_at, digest, item.title, item.employer,
        item.description_html, item.date_posted, item.valid_through, item.location_raw,
        item.address_locality, item.address_region, item.address_country, item.postal_code,
        item.remote, item.industry, item.occupational_category, item.employment_type,
        json.dumps(item.salary) if item.salary else None, item.identifier,
        json.dumps(item.jsonld, ensure_ascii=False, default=str),
    ]


def field_problems(item: JobPostingItem) -> list[tuple[str, str]]:
    """(kind, detail) for published dates/salaries that could not be used (posting still kept)."""
    found = []
    for key, value in (("datePosted", item.date_posted), ("validThrough", item.valid_through)):
        raw = item.jsonld.get(key) if isinstance(item.jsonld, dict) else None
        if raw not in (None, "") and value is None:
            found.append(("bad_date", f"{key}={str(raw)[:100]!r} unusable"))
    salary = item.jsonld.get("baseSalary") if isinstance(item.jsonld, dict) else None
    if salary not in (None, "", [], {}) and not item.salary:
        found.append(("bad_salary", f"baseSalary={json.dumps(salary, default=str)[:200]} "
                                    "unusable"))
    return found


def mark_stale_runs_failed(con: Any) -> int:
    """Runs left 'running' by a killed crawl become 'failed'; returns how many."""
    stale = con.execute("SELECT count(*) FROM crawl_runs WHERE status = 'running'").fetchone()[0]
    if stale:
        con.execute(sql("crawl/fail_stale_runs"), {"now": utcnow()})
    return int(stale)


def known_validators(con: Any, source_id: str) -> dict[str, list[str | None]]:
    """{url: [etag, last_modified, posting_key]} of the source's stored posting pages."""
    return {url: [etag, modified, key] for url, etag, modified, key in
            con.execute(sql("crawl/known_validators"), [source_id]).fetchall()}


class CrawlStore:
    """Batch writer and counters of one crawl run."""

    def __init__(self, db_path: Any, source_id: str, run_id: str, *, batch_size: int = 100,
                 sample_limit: int = 10) -> None:
        self.db_path = db_path
        self.source_id = source_id
        self.run_id = run_id
        self.batch_size = batch_size
        self.sample_limit = sample_limit
        self.counts: Counter[str] = Counter()
        self.fetch: Counter[str] = Counter()      # set by the caller from Scrapy stats
        self.problems: Counter[str] = Counter()
        self.samples: list[dict[str, str]] = []
        self.postings: list[tuple[list[Any], tuple[str | None, str | None] | None]] = []
        self.unchanged: list[tuple[str, str, datetime, str | None, str | None]] = []
        self.run_raw_ids: set[str] = set()
        self.run_keys: set[str] = set()
        self.workers = 1
        self.con: Any = None
        self.started = utcnow()
        self.t0 = time.monotonic()

    # ------------------------------------------------------------------ lifecycle

    def open(self, start_urls: Sequence[str], *, family: str, name: str,
             config: Mapping[str, Any]) -> None:
        """Connect, fail stale runs, register the source and open this run's row."""
        self.con = connect(self.db_path)
        self.stale_runs_failed = mark_stale_runs_failed(self.con)
        self.con.execute(sql("crawl/upsert_source"),
                         [self.source_id, family, name, list(start_urls), json.dumps(config)])
        self.con.execute(sql("crawl/start_run"), [self.run_id, self.source_id, self.started])

    def close(self, reason: str) -> dict[str, Any]:
        """Flush, write the final counters and close the connection; returns the summary."""
        try:
            self.flush()
            summary = self.summary(final=True, reason=reason)
            self._write_run(summary)
        finally:
            if self.con is not None:
                self.con.close()
                self.con = None
        return summary

    # ------------------------------------------------------------------ input

    def add_posting(self, item: JobPostingItem,
                    validators: tuple[str | None, str | None] | None = None) -> None:
        for kind, detail in field_problems(item):
            self.add_problem(kind, item.url, detail)
        row = posting_row(item, self.run_id, content_hash(item.jsonld))
        if row[0] in self.run_raw_ids:
            self.counts["duplicates_in_run"] += 1
            return
        self.run_raw_ids.add(row[0])
        self.counts["postings_seen"] += 1
        self.postings.append((row, validators))
        self._maybe_flush()

    def add_unchanged(self, url: str, key: str, seen_at: datetime, etag: str | None = None,
                      last_modified: str | None = None) -> None:
        """A 304 for a known posting page: a sighting, counted as seen and unchanged."""
        self.counts["postings_seen"] += 1
        self.counts["postings_unchanged"] += 1
        self.unchanged.append((url, key, seen_at, etag, last_modified))
        self._maybe_flush()

    def add_problem(self, kind: str, url: str, detail: str = "", sample: str = "") -> None:
        self.problems[kind] += 1
        if kind == "invalid":
            self.counts["postings_invalid"] += 1
        if kind in {"no_jsonld", "malformed_jsonld"}:
            self.counts["pages_without_jsonld"] += 1
        if sum(1 for s in self.samples if s["kind"] == kind) < self.sample_limit:
            self.samples.append({"kind": kind, "url": url, "detail": detail[:500],
                                 "sample": (sample or "")[:300]})

    def add_item(self, item: Any, validators: tuple[str | None, str | None] | None = None
                 ) -> None:
        """Dispatch any crawler item (posting, sighting or problem)."""
        from lmi.crawler.conditional import SeenUnchangedItem

        if isinstance(item, JobPostingItem):
            self.add_posting(item, validators)
        elif isinstance(item, SeenUnchangedItem):
            self.add_unchanged(item.url, item.posting_key, item.seen_at, item.etag,
                               item.last_modified)
        elif isinstance(item, PageProblemItem):
            self.add_problem(item.kind, item.url, item.detail, item.sample)

    @property
    def pending(self) -> int:
        return len(self.postings) + len(self.unchanged)

    def _maybe_flush(self) -> None:
        if self.pending >= self.batch_size:
            self.flush()

    # ------------------------------------------------------------------ output

    def flush(self) -> None:
        """Write the pending batch in one transaction (postings, sightings, cache, counters)."""
        if self.con is None:
            return
        postings, self.postings = self.postings, []
        unchanged, self.unchanged = self.unchanged, []
        counts_before = self.counts.copy()
        self.con.execute("BEGIN TRANSACTION")
        try:
            fresh = self._classify(postings)
            if fresh:
                self.con.execute(multirow(sql("crawl/insert_raw_posting"), len(fresh)),
                                 [value for row in fresh for value in row])
            self._write_sightings(postings, unchanged)
            self._write_cache(postings, unchanged)
            self._write_run(self.summary(final=False))
            self.con.execute("COMMIT")
        except Exception:
            self.con.execute("ROLLBACK")
            self.counts = counts_before
            self.postings[:0], self.unchanged[:0] = postings, unchanged
            raise

    def _classify(self, postings: list[tuple[list[Any], Any]]) -> list[list[Any]]:
        if not postings:
            return []
        rows = [row for row, _ in postings]
        stored = {r[0] for r in self.con.execute(sql("crawl/existing_raw_ids"),
                                                 [[r[0] for r in rows]]).fetchall()}
        known = {r[0] for r in self.con.execute(
            sql("crawl/existing_posting_keys"), [list({r[1] for r in rows})]).fetchall()}
        known |= self.run_keys
        fresh = []
        for row in rows:
            if row[0] in stored:
                self.counts["postings_unchanged"] += 1
                continue
            self.counts["postings_changed" if row[1] in known else "postings_new"] += 1
            self.run_keys.add(row[1])
            fresh.append(row)
        return fresh

    def _write_sightings(self, postings: list[tuple[list[Any], Any]],
                         unchanged: list[tuple[str, str, datetime, Any, Any]]) -> None:
        seen: dict[str, datetime] = {row[1]: row[5] for row, _ in postings}
        for _url, key, at, _etag, _modified in unchanged:
            seen.setdefault(key, at)
        if seen:
            self.con.execute(sql("crawl/insert_sightings"),
                             [list(seen), self.source_id, self.run_id, list(seen.values())])

    def _write_cache(self, postings: list[tuple[list[Any], Any]],
                     unchanged: list[tuple[str, str, datetime, Any, Any]]) -> None:
        rows: dict[str, list[Any]] = {}
        for row, validators in postings:
            if validators and any(validators):
                rows[row[4]] = [row[4], self.source_id, row[1], validators[0], validators[1],
                                200, row[5]]
        for url, key, at, etag, modified in unchanged:
            rows[url] = [url, self.source_id, key, etag, modified, 304, at]
        if rows:
            self.con.execute(multirow(sql("crawl/upsert_http_cache"), len(rows)),
                             [value for row in rows.values() for value in row])

    def summary(self, *, final: bool, reason: str | None = None) -> dict[str, Any]:
        pages = int(self.fetch["pages_fetched"])
        status = "running"
        if final:
            status = "ok" if reason == "finished" and pages > 0 else "failed"
        return {
            "run_id": self.run_id, "source_id": self.source_id, "status": status,
            "reason": reason, "started_at": self.started.isoformat(timespec="seconds"),
            "elapsed_s": round(time.monotonic() - self.t0, 2), "pages_fetched": pages,
            "not_modified": int(self.fetch["not_modified"]),
            "bodies_fetched": int(self.fetch["bodies_fetched"]),
            **{k: self.counts[k] for k in (
                "postings_seen", "postings_new", "postings_changed", "postings_unchanged",
                "postings_invalid", "pages_without_jsonld", "duplicates_in_run")},
            "pending": self.pending, "problems": dict(self.problems),
            "error_samples": list(self.samples), "workers": self.workers,
        }

    def _write_run(self, summary: dict[str, Any]) -> None:
        finished = utcnow() if summary["status"] != "running" else None
        self.con.execute(sql("crawl/update_run"), {
            "run_id": self.run_id, "finished_at": finished, "status": summary["status"],
            **{k: summary[k] for k in (
                "pages_fetched", "postings_seen", "postings_new", "postings_changed",
                "postings_unchanged", "postings_invalid", "pages_without_jsonld",
                "not_modified", "bodies_fetched", "workers")},
            "errors": json.dumps(summary["error_samples"]),
            "problems": json.dumps(summary["problems"]),
        })
