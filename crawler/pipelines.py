"""Item pipelines: validate postings, then store them in DuckDB with crawl bookkeeping.

ValidationPipeline turns an unusable posting into a PageProblemItem (kind "invalid") and
sanitises dates. WarehousePipeline writes raw_postings in batches (a raw_id that already exists
is skipped, so re-crawling an unchanged page adds nothing), keeps the crawl_runs row up to date,
registers the source, and reports progress as JSON lines on stdout when the runner asks for it.
"""

from __future__ import annotations

import json
import re
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals

from lmi.crawler.items import JobPostingItem, PageProblemItem
from lmi.crawler.keys import content_hash, posting_key, raw_id
from lmi.warehouse.db import connect, sql

_PLACEHOLDER_ROW = re.compile(r"\((?:\?\s*,\s*)*\?\)")
REQUIRED = ("url", "title", "description_html")
EARLIEST = date(1995, 1, 1)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class ValidationPipeline:
    """Require url, title and description; drop impossible dates; pass problems through."""

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, JobPostingItem):
            return item
        missing = [f for f in REQUIRED if not (getattr(item, f) or "").strip()]
        if missing:
            return PageProblemItem(source_id=item.source_id, url=item.url or "", kind="invalid",
                                   detail="missing " + ", ".join(missing),
                                   sample=json.dumps(item.jsonld, default=str)[:300])
        item.title = " ".join(item.title.split())[:500]
        latest = (item.fetched_at or _utcnow()).date() + timedelta(days=2)
        if item.date_posted and not (EARLIEST <= item.date_posted <= latest):
            item.date_posted = None
        if item.valid_through and not (EARLIEST.year <= item.valid_through.year <= 2100):
            item.valid_through = None
        return item


def _row(item: JobPostingItem, run_id: str, digest: str) -> list[Any]:
    return [
        raw_id(item.source_id, item.url, digest), posting_key(item.source_id, item.url),
        item.source_id, run_id, item.url, item.fetched_at, digest, item.title, item.employer,
        item.description_html, item.date_posted, item.valid_through, item.location_raw,
        item.address_locality, item.address_region, item.address_country, item.postal_code,
        item.remote, item.industry, item.occupational_category, item.employment_type,
        json.dumps(item.salary) if item.salary else None, item.identifier,
        json.dumps(item.jsonld, ensure_ascii=False, default=str),
    ]


def _multirow(statement: str, rows: int) -> str:
    """Repeat the statement's single `(?, ?, ...)` row of placeholders `rows` times."""
    match = _PLACEHOLDER_ROW.search(statement)
    if match is None:
        raise ValueError("statement has no (?, ...) row of placeholders")
    repeated = ",\n".join([match.group(0)] * rows)
    return statement[:match.start()] + repeated + statement[match.end():]


class WarehousePipeline:
    """Batch-insert raw postings and keep the crawl_runs row and counters current."""

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.db_path = settings.get("LMI_DB")
        self.source_id = settings.get("LMI_SOURCE_ID")
        self.run_id = settings.get("LMI_RUN_ID") or uuid.uuid4().hex
        self.batch_size = settings.getint("LMI_BATCH_SIZE", 100)
        self.progress_every = settings.getint("LMI_PROGRESS_EVERY", 25)
        self.progress_stdout = settings.getbool("LMI_PROGRESS_STDOUT", False)
        self.sample_limit = settings.getint("LMI_ERROR_SAMPLES", 10)
        self.counts: Counter[str] = Counter()
        self.problems: Counter[str] = Counter()
        self.samples: list[dict[str, str]] = []
        self.buffer: list[list[Any]] = []
        self.run_raw_ids: set[str] = set()
        self.run_keys: set[str] = set()
        self.items_seen = 0
        self.con = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> WarehousePipeline:
        pipeline = cls(crawler)
        # the close reason is only known to the spider_closed signal (sent after close_spider)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    # ------------------------------------------------------------------ lifecycle

    def open_spider(self, spider: Any = None) -> None:
        spider = spider or self.crawler.spider
        self.source_id = self.source_id or spider.source_id
        self.started = _utcnow()
        self.t0 = time.monotonic()
        self.con = connect(self.db_path)
        urls = list(getattr(spider, "start_urls", []))
        config = {"sitemap": bool(getattr(spider, "sitemap", False))}
        name = urlsplit(urls[0]).netloc if urls else self.source_id
        self.con.execute(sql("crawl/upsert_source"),
                         [self.source_id, "jsonld", name, urls, json.dumps(config)])
        self.con.execute(sql("crawl/start_run"), [self.run_id, self.source_id, self.started])
        self._emit("start", run_id=self.run_id, source_id=self.source_id)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        self.items_seen += 1
        if isinstance(item, PageProblemItem):
            self._problem(item)
        elif isinstance(item, JobPostingItem):
            digest = content_hash(item.jsonld)
            row = _row(item, self.run_id, digest)
            if row[0] in self.run_raw_ids:
                self.counts["duplicates_in_run"] += 1
            else:
                self.run_raw_ids.add(row[0])
                self.counts["postings_seen"] += 1
                self.buffer.append(row)
                if len(self.buffer) >= self.batch_size:
                    self._flush()
        if self.items_seen % self.progress_every == 0:
            self._emit("progress", **self._summary(final=False))
        return item

    def close_spider(self, spider: Any = None) -> None:
        if self.con is not None:
            self._flush()

    def spider_closed(self, spider: Any = None, reason: str = "finished") -> None:
        """Final counts with the close reason, then close the DB and print the summary."""
        if self.con is None:
            return
        try:
            self._flush()
            summary = self._summary(final=True, reason=reason)
            self._write_run(summary)
        finally:
            if self.con is not None:
                self.con.close()
                self.con = None
        self._emit("done", **summary)

    # ------------------------------------------------------------------ internals

    def _problem(self, item: PageProblemItem) -> None:
        self.problems[item.kind] += 1
        if item.kind == "invalid":
            self.counts["postings_invalid"] += 1
        if item.kind in {"no_jsonld", "malformed_jsonld"}:
            self.counts["pages_without_jsonld"] += 1
        if sum(1 for s in self.samples if s["kind"] == item.kind) < self.sample_limit:
            self.samples.append({"kind": item.kind, "url": item.url, "detail": item.detail})

    def _flush(self) -> None:
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        raw_ids = [r[0] for r in batch]
        keys = list({r[1] for r in batch})
        stored = {r[0] for r in self.con.execute(sql("crawl/existing_raw_ids"),
                                                 [raw_ids]).fetchall()}
        known = {r[0] for r in self.con.execute(sql("crawl/existing_posting_keys"),
                                                [keys]).fetchall()} | self.run_keys
        fresh = []
        for row in batch:
            if row[0] in stored:
                self.counts["postings_unchanged"] += 1
                continue
            self.counts["postings_changed" if row[1] in known else "postings_new"] += 1
            self.run_keys.add(row[1])
            fresh.append(row)
        if fresh:
            self.con.execute(_multirow(sql("crawl/insert_raw_posting"), len(fresh)),
                             [value for row in fresh for value in row])
        self._write_run(self._summary(final=False))

    def _summary(self, *, final: bool, reason: str | None = None) -> dict[str, Any]:
        stats = self.crawler.stats
        pages = int(stats.get_value("response_received_count", 0) or 0)
        status = "running"
        if final:
            status = "ok" if reason == "finished" and pages > 0 else "failed"
        return {
            "run_id": self.run_id, "source_id": self.source_id, "status": status,
            "reason": reason, "started_at": self.started.isoformat(timespec="seconds"),
            "elapsed_s": round(time.monotonic() - self.t0, 2), "pages_fetched": pages,
            "postings_seen": self.counts["postings_seen"],
            "postings_new": self.counts["postings_new"],
            "postings_changed": self.counts["postings_changed"],
            "postings_unchanged": self.counts["postings_unchanged"],
            "postings_invalid": self.counts["postings_invalid"],
            "pages_without_jsonld": self.counts["pages_without_jsonld"],
            "duplicates_in_run": self.counts["duplicates_in_run"],
            "pending": len(self.buffer), "problems": dict(self.problems),
            "error_samples": list(self.samples),
        }

    def _write_run(self, summary: dict[str, Any]) -> None:
        finished = _utcnow() if summary["status"] != "running" else None
        self.con.execute(sql("crawl/update_run"), {
            "run_id": self.run_id, "finished_at": finished, "status": summary["status"],
            "pages_fetched": summary["pages_fetched"], "postings_seen": summary["postings_seen"],
            "postings_new": summary["postings_new"],
            "postings_changed": summary["postings_changed"],
            "postings_unchanged": summary["postings_unchanged"],
            "postings_invalid": summary["postings_invalid"],
            "pages_without_jsonld": summary["pages_without_jsonld"],
            "errors": json.dumps(summary["error_samples"]),
        })

    def _emit(self, event: str, **payload: Any) -> None:
        if self.progress_stdout:
            sys.stdout.write(json.dumps({"event": event, **payload}, default=str) + "\n")
            sys.stdout.flush()
