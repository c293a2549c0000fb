"""Distributed crawling over redis (scrapy-redis): one request queue, one duplicate filter.

Roles. The *lead* (the process `run_crawl(..., redis_url=...)` starts with the warehouse
file) announces the crawl in redis, crawls like any worker, and is the only process that
writes DuckDB: it drains the records the other workers push to a redis list into its
CrawlStore. A *worker* (`python -m lmi.crawler.runner --join --redis URL`, on any machine)
reads the announced crawl, crawls from the shared queue and pushes every item (posting, 304
sighting, problem) as a JSON record; it never touches the warehouse.

Keys (prefix lmi:crawl:<run_id>): :config, :validators (hash url -> [etag, lm, key]),
:requests (scrapy-redis priority queue), :seen (dupefilter), :records (list), :alive:<wid>
and :busy:<wid> (heartbeat keys with a TTL), :done (hash wid -> final counters).
lmi:crawl:current names the announced crawl for workers that join without --crawl-id.

Closing. A process is busy from taking a request off the shared queue until Scrapy calls it
idle (all its downloads and items done). Nobody closes while the queue is non-empty or any
process is busy; the lead also waits until every live worker has finished and the records
list is drained. Heartbeat keys expire, so a dead worker cannot hold the crawl open.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import time
import uuid
from datetime import date, datetime
from typing import Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.scheduler import Scheduler

from lmi.crawler.conditional import SeenUnchangedItem, fresh_validators
from lmi.crawler.items import JobPostingItem, PageProblemItem
from lmi.crawler.middlewares import problem_found, with_sample

CURRENT_KEY = "lmi:crawl:current"
TTL_S = 30            # heartbeat keys live this long without a refresh
HEARTBEAT_S = 0.5
KEYS_EXPIRE_S = 3 * 24 * 3600   # safety net: forgotten crawl keys vanish after 3 days
_DATE_FIELDS = {"date_posted": date, "valid_through": datetime, "fetched_at": datetime}


def prefix(run_id: str) -> str:
    return f"lmi:crawl:{run_id}"


def connect_redis(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, decode_responses=False, socket_timeout=30)


def redis_settings(url: str, run_id: str, *, role: str) -> dict[str, Any]:
    """Scrapy settings for a process of the distributed crawl `run_id`."""
    base = prefix(run_id)
    return {
        "LMI_REDIS_URL": url, "LMI_ROLE": role, "REDIS_URL": url,
        "SCHEDULER": "lmi.crawler.distributed.SharedScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": f"{base}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{base}:seen",
        "SCHEDULER_PERSIST": True,          # one process finishing must not clear the others' queue
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,   # never block the reactor on a pop
    }


# ------------------------------------------------------------------ announce / join

def announce(url: str, run_id: str, config: dict[str, Any],
             validators: dict[str, list[str | None]]) -> None:
    """Publish a crawl (config and known validators) so that workers can join it."""
    server = connect_redis(url)
    base = prefix(run_id)
    pipe = server.pipeline()
    if validators:
        items = [(u, json.dumps(v)) for u, v in validators.items()]
        for start in range(0, len(items), 1000):
            pipe.hset(f"{base}:validators", mapping=dict(items[start:start + 1000]))
        pipe.expire(f"{base}:validators", KEYS_EXPIRE_S)
    pipe.set(f"{base}:config", json.dumps(config), ex=KEYS_EXPIRE_S)
    pipe.set(CURRENT_KEY, run_id, ex=KEYS_EXPIRE_S)
    pipe.execute()


def find_crawl(url: str, run_id: str | None = None, *, wait_s: float = 30.0
               ) -> tuple[dict[str, Any], dict[str, list[str | None]]] | None:
    """(config, validators) of the crawl to join (`run_id` or the current one), or None."""
    server = connect_redis(url)
    deadline = time.monotonic() + wait_s
    while True:
        target = run_id or (server.get(CURRENT_KEY) or b"").decode()
        raw = server.get(f"{prefix(target)}:config") if target else None
        if raw:
            validators = {k.decode(): json.loads(v) for k, v in
                          server.hgetall(f"{prefix(target)}:validators").items()}
            return json.loads(raw), validators
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.5)


# ------------------------------------------------------------------ records

def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def to_record(item: Any, validators: Any = None) -> dict[str, Any] | None:
    """A JSON-able record for a crawler item (None for items we do not store)."""
    for kind, cls in (("posting", JobPostingItem), ("unchanged", SeenUnchangedItem),
                      ("problem", PageProblemItem)):
        if isinstance(item, cls):
            data = {k: _plain(v) for k, v in dataclasses.asdict(item).items()}
            return {"t": kind, "item": data, "v": list(validators) if validators else None}
    return None


def from_record(record: dict[str, Any]) -> tuple[Any, Any]:
    """(item, validators) back from `to_record`."""
    data = dict(record["item"])
    if record["t"] == "posting":
        for name, kind in _DATE_FIELDS.items():
            if data.get(name):
                data[name] = (date.fromisoformat(data[name]) if kind is date
                              else datetime.fromisoformat(data[name]))
        item: Any = JobPostingItem(**data)
    elif record["t"] == "unchanged":
        data["seen_at"] = datetime.fromisoformat(data["seen_at"])
        item = SeenUnchangedItem(**data)
    else:
        item = PageProblemItem(**data)
    validators = tuple(record["v"]) if record.get("v") else None
    return item, validators


# ------------------------------------------------------------------ coordination

class SharedCrawl:
    """Heartbeat, busy marks, the close rule and the records list of one process."""

    def __init__(self, crawler: Any, *, lead: bool) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.lead = lead
        self.server = connect_redis(settings.get("LMI_REDIS_URL"))
        self.run_id = settings.get("LMI_RUN_ID")
        self.base = prefix(self.run_id)
        self.queue_key = settings.get("SCHEDULER_QUEUE_KEY")
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:4]}"
        self.busy = False
        self.waiting = False     # told Scrapy not to close: re-check idle at every heartbeat
        self.loop: Any = None
        self.drain: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any, *, lead: bool | None = None) -> SharedCrawl:
        """The process's one SharedCrawl (created on first use)."""
        shared = getattr(crawler, "_lmi_shared", None)
        if shared is None:
            role = crawler.settings.get("LMI_ROLE", "lead")
            shared = cls(crawler, lead=(role == "lead") if lead is None else lead)
            crawler._lmi_shared = shared
        return shared

    def _key(self, kind: str, wid: str | None = None) -> str:
        return f"{self.base}:{kind}:{wid or self.worker_id}"

    def start(self, drain: Any = None) -> None:
        from twisted.internet.task import LoopingCall

        self.drain = drain
        self.server.set(self._key("alive"), "1", ex=TTL_S)
        self.loop = LoopingCall(self.heartbeat)
        self.loop.start(HEARTBEAT_S, now=False)

    def heartbeat(self) -> None:
        pipe = self.server.pipeline()
        pipe.set(self._key("alive"), "1", ex=TTL_S)
        if self.busy:
            pipe.set(self._key("busy"), "1", ex=TTL_S)
        pipe.execute()
        if self.drain is not None:
            self.drain()
        if self.waiting or self.server.zcard(self.queue_key):   # wake the engine now
            slot = getattr(self.crawler.engine, "_slot", None)
            if slot is not None:
                slot.nextcall.schedule()

    def mark_busy(self) -> None:
        if not self.busy:
            self.busy = True
            self.server.set(self._key("busy"), "1", ex=TTL_S)

    def _others(self, kind: str) -> list[bytes]:
        mine = self._key(kind).encode()
        return [k for k in self.server.scan_iter(match=f"{self.base}:{kind}:*", count=1000)
                if k != mine]

    def keep_open_if_busy(self) -> None:
        """spider_idle: raise DontCloseSpider while the shared crawl still has work."""
        self.busy = False
        self.server.delete(self._key("busy"))
        self.waiting = bool(self.server.zcard(self.queue_key) or self._others("busy") or (
            self.lead and (self._others("alive") or self.server.llen(f"{self.base}:records"))))
        if self.waiting:
            raise DontCloseSpider

    # ------------------------------------------------------------------ records

    def push(self, record: dict[str, Any]) -> None:
        self.server.rpush(f"{self.base}:records", json.dumps(record, default=str))

    def drain_into(self, store: Any, batch: int = 500) -> int:
        """Lead: move every pushed record into `store`; returns how many."""
        moved = 0
        key = f"{self.base}:records"
        while True:
            raws = self.server.lpop(key, batch)
            if not raws:
                return moved
            for raw in raws:
                item, validators = from_record(json.loads(raw))
                store.add_item(item, validators)
            moved += len(raws)

    def worker_counts(self) -> dict[str, int]:
        """Lead: the fetch counters of the workers that finished, summed (+ "workers")."""
        done = self.server.hgetall(f"{self.base}:done")
        total: dict[str, int] = {"workers": len(done)}
        for raw in done.values():
            for key, value in json.loads(raw).items():
                total[key] = total.get(key, 0) + int(value)
        return total

    def finish(self, counts: dict[str, int] | None = None) -> None:
        """Stop the heartbeat; a worker reports its counters, the lead removes the crawl."""
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.lead:
            keys = list(self.server.scan_iter(match=f"{self.base}:*", count=1000))
            if (self.server.get(CURRENT_KEY) or b"").decode() == self.run_id:
                keys.append(CURRENT_KEY)
            if keys:
                self.server.delete(*keys)
            return
        pipe = self.server.pipeline()
        pipe.hset(f"{self.base}:done", self.worker_id, json.dumps(counts or {}))
        pipe.expire(f"{self.base}:done", KEYS_EXPIRE_S)
        pipe.delete(self._key("busy"), self._key("alive"))
        pipe.execute()


class SharedScheduler(Scheduler):
    """scrapy-redis scheduler that marks this process busy when it takes a request."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> SharedScheduler:
        scheduler = super().from_crawler(crawler)
        scheduler.shared = SharedCrawl.from_crawler(crawler)
        return scheduler

    def next_request(self) -> Any:
        request = super().next_request()
        if request is not None:
            self.shared.mark_busy()
        return request


class RedisRecordPipeline:
    """Worker: push every item to the lead as a JSON record; report counters at the end."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.shared = SharedCrawl.from_crawler(crawler, lead=False)
        self.validators = fresh_validators(crawler)
        self.pushed = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedisRecordPipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.on_problem, signal=problem_found)
        return pipeline

    def open_spider(self, spider: Any = None) -> None:
        self.shared.start()

    def process_item(self, item: Any, spider: Any = None) -> Any:
        validators = self.validators.pop(item.url, None) if isinstance(
            item, JobPostingItem) else None
        record = to_record(with_sample(self.crawler, item), validators)
        if record is not None:
            self.shared.push(record)
            self.pushed += 1
        return item

    def on_problem(self, problem: PageProblemItem) -> None:
        self.shared.push(to_record(problem))

    def spider_idle(self, spider: Any = None) -> None:
        self.shared.keep_open_if_busy()

    def spider_closed(self, spider: Any = None, reason: str = "finished") -> None:
        from lmi.crawler.pipelines import fetch_counters

        counts = fetch_counters(self.crawler.stats)
        self.shared.finish(counts)
        print(json.dumps({"event": "done", "role": "worker", "worker_id": self.shared.worker_id,
                          "records": self.pushed, "reason": reason, **counts}), flush=True)
