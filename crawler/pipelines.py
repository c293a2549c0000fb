"""Item pipelines: validate postings, then store them in DuckDB with crawl bookkeeping.

ValidationPipeline turns an unusable posting into a PageProblemItem (kind "invalid") and
sanitises dates. WarehousePipeline hands every item (posting, 304 sighting, problem) to a
`CrawlStore`, which writes batches transactionally (a raw_id that already exists is skipped,
so re-crawling an unchanged page adds nothing). It also collects problems the middlewares
signal, reports progress as JSON lines on stdout when the runner asks for it, and in
distributed mode (LMI_REDIS_URL, role "lead") drains what the other workers pushed to redis.
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals

from lmi.crawler.conditional import fresh_validators
from lmi.crawler.items import JobPostingItem, PageProblemItem
from lmi.crawler.middlewares import problem_found, with_sample
from lmi.crawler.store import CrawlStore

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


def fetch_counters(stats: Any) -> dict[str, int]:
    """Pages fetched (real responses, 304s included), 304 answers and 200 answers."""
    def get(key: str) -> int:
        return int(stats.get_value(key, 0) or 0)

    pages = get("response_received_count") - get("lmi/dropped")
    return {"pages_fetched": max(0, pages), "not_modified": get("lmi/not_modified"),
            "bodies_fetched": get("lmi/responses_ok")}


class WarehousePipeline:
    """Store items through a CrawlStore and keep the crawl_runs row current."""

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.store = CrawlStore(settings.get("LMI_DB"), settings.get("LMI_SOURCE_ID") or "",
                                settings.get("LMI_RUN_ID") or uuid.uuid4().hex,
                                batch_size=settings.getint("LMI_BATCH_SIZE", 100),
                                sample_limit=settings.getint("LMI_ERROR_SAMPLES", 10))
        self.progress_every = settings.getint("LMI_PROGRESS_EVERY", 25)
        self.progress_stdout = settings.getbool("LMI_PROGRESS_STDOUT", False)
        self.validators = fresh_validators(crawler)
        self.items_seen = 0
        self.shared: Any = None
        if settings.get("LMI_REDIS_URL"):
            from lmi.crawler.distributed import SharedCrawl
            self.shared = SharedCrawl.from_crawler(crawler, lead=True)

    @classmethod
    def from_crawler(cls, crawler: Any) -> WarehousePipeline:
        pipeline = cls(crawler)
        # the close reason is only known to the spider_closed signal (sent after close_spider)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.on_problem, signal=problem_found)
        if pipeline.shared is not None:
            crawler.signals.connect(pipeline.spider_idle, signal=signals.spider_idle)
        return pipeline

    @property
    def run_id(self) -> str:
        return self.store.run_id

    # ------------------------------------------------------------------ lifecycle

    def open_spider(self, spider: Any = None) -> None:
        spider = spider or self.crawler.spider
        self.store.source_id = self.store.source_id or spider.source_id
        urls = list(getattr(spider, "start_urls", []))
        config = {"sitemap": bool(getattr(spider, "sitemap", False))}
        name = urlsplit(urls[0]).netloc if urls else self.store.source_id
        family = self.crawler.settings.get("LMI_FAMILY") or "jsonld"
        self.store.open(urls, family=family, name=name, config=config)
        if self.shared is not None:
            self.shared.start(drain=self._drain)
        self._emit("start", run_id=self.store.run_id, source_id=self.store.source_id)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        self.items_seen += 1
        validators = None
        if isinstance(item, JobPostingItem):
            validators = self.validators.pop(item.url, None)
        self.store.add_item(with_sample(self.crawler, item), validators)
        if self.items_seen % self.progress_every == 0:
            self._update_fetch_counts()
            self._emit("progress", **self.store.summary(final=False))
        return item

    def on_problem(self, problem: PageProblemItem) -> None:
        self.store.add_problem(problem.kind, problem.url, problem.detail, problem.sample)

    def spider_idle(self, spider: Any = None) -> None:
        """Lead of a distributed crawl: store what workers pushed; stay open while they work."""
        self._drain()
        self.shared.keep_open_if_busy()

    def close_spider(self, spider: Any = None) -> None:
        if self.store.con is not None:
            self._update_fetch_counts()
            self.store.flush()

    def spider_closed(self, spider: Any = None, reason: str = "finished") -> None:
        """Final counts with the close reason, then close the DB and print the summary."""
        if self.store.con is None:
            return
        self._drain()
        self._update_fetch_counts()
        if self.shared is not None:
            self.shared.finish()
        summary = self.store.close(reason)
        self._emit("done", **summary)

    # ------------------------------------------------------------------ internals

    def _drain(self) -> None:
        if self.shared is not None and self.store.con is not None:
            self.shared.drain_into(self.store)

    def _update_fetch_counts(self) -> None:
        own = fetch_counters(self.crawler.stats)
        remote = self.shared.worker_counts() if self.shared is not None else {}
        for key, value in own.items():
            self.store.fetch[key] = value + int(remote.get(key, 0))
        if self.shared is not None:
            self.store.workers = 1 + int(remote.get("workers", 0))

    def _emit(self, event: str, **payload: Any) -> None:
        if self.progress_stdout:
            sys.stdout.write(json.dumps({"event": event, **payload}, default=str) + "\n")
            sys.stdout.flush()
