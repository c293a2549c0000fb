"""Run a crawl in a child process and stream its progress back.

Scrapy's Twisted reactor cannot restart within a process, and the DuckDB file allows one writer
process, so `run_crawl` starts `python -m lmi.crawler.runner ...`; the caller must not hold an
open warehouse connection meanwhile. The child prints JSON lines on stdout
({"event": "start"|"progress"|"done", ...}); its Scrapy log goes to stderr.

Distributed mode (`redis_url`): the child is the *lead* (it alone writes the warehouse) and
`workers - 1` more local processes join through redis; processes on other machines join with
`python -m lmi.crawler.runner --join --redis URL` (see docs/crawling.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# For a board on 127.0.0.1 (the demo, tests): no politeness delays needed.
LOCAL_FAST_SETTINGS: dict[str, Any] = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
    "RETRY_TIMES": 1,
    "LMI_BACKOFF_DEFAULT": 0.0,
    "LOG_LEVEL": "WARNING",
}


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def settings_for(urls: Sequence[str]) -> dict[str, Any]:
    """LOCAL_FAST_SETTINGS when every URL is on this machine, else {} (polite defaults)."""
    hosts = {urlsplit(u).hostname for u in urls}
    return dict(LOCAL_FAST_SETTINGS) if hosts and hosts <= LOOPBACK_HOSTS else {}


class CrawlError(RuntimeError):
    """The crawl process failed before it could report a summary."""


def new_run_id(source_id: str) -> str:
    """A sortable, unique crawl run id: <source>:<UTC timestamp>:<random>."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{source_id}:{stamp}:{uuid.uuid4().hex[:6]}"


def allowed_hosts(urls: Sequence[str]) -> list[str]:
    """The hosts of the start URLs: what a crawl may fetch by default."""
    return sorted({(urlsplit(u).hostname or "").lower() for u in urls} - {""})


def crawl_command(db_path: str | os.PathLike, source_id: str, run_id: str,
                  start_urls: Sequence[str], *, sitemap: bool = False, family: str = "jsonld",
                  settings: Mapping[str, Any] | None = None,
                  redis_url: str | None = None) -> list[str]:
    """The child command line of one crawl (what `run_crawl` runs)."""
    cmd = [sys.executable, "-m", "lmi.crawler.runner", "--db", str(Path(db_path)),
           "--source-id", source_id, "--run-id", run_id,
           "--family", family, "--settings", json.dumps(dict(settings or {}))]
    if sitemap:
        cmd.append("--sitemap")
    if redis_url:
        cmd += ["--redis", redis_url]
    return cmd + list(start_urls)


def join_command(redis_url: str, run_id: str | None = None, *, wait_s: float = 60.0) -> list[str]:
    """The command line of a worker that joins a distributed crawl (any machine)."""
    cmd = [sys.executable, "-m", "lmi.crawler.runner", "--join", "--redis", redis_url,
           "--wait", str(wait_s)]
    return cmd + (["--run-id", run_id] if run_id else [])


def run_crawl(db_path: str | os.PathLike, source_id: str, start_urls: Sequence[str], *,
              sitemap: bool = False, family: str = "jsonld",
              on_progress: Callable[[dict[str, Any]], None] | None = None,
              settings: Mapping[str, Any] | None = None,
              allowed_domains: Sequence[str] | None = None,
              redis_url: str | None = None, workers: int = 1) -> dict[str, Any]:
    """Crawl `start_urls` into the warehouse at `db_path` and return the run summary.

    The summary has run_id, status (ok|failed), pages_fetched, not_modified (304s),
    bodies_fetched (200s), postings_seen, postings_new, postings_changed, postings_unchanged,
    postings_invalid, pages_without_jsonld, problems {kind: count}, error_samples, workers and
    elapsed_s. `on_progress` receives every progress event (same keys, status "running").
    `settings` override lmi.crawler.settings. Only `allowed_domains` (default: the start URLs'
    hosts) are fetched. With `redis_url`, `workers` local processes share one redis queue and
    duplicate filter (more can join from other machines); only this run's lead writes the DB.
    Raises CrawlError if the child process dies without a summary (e.g. the DB is locked).
    """
    if not start_urls:
        raise ValueError("run_crawl needs at least one start URL")
    run_id = new_run_id(source_id)
    merged = {"LMI_ALLOWED_DOMAINS": list(allowed_domains or allowed_hosts(start_urls)),
              "LMI_FAMILY": family, **dict(settings or {})}
    cmd = crawl_command(db_path, source_id, run_id, start_urls, sitemap=sitemap, family=family,
                        settings=merged, redis_url=redis_url)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    summary: dict[str, Any] | None = None
    helpers: list[subprocess.Popen] = []
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True,
                                encoding="utf-8", env=env)
        if redis_url:
            helpers = [subprocess.Popen(join_command(redis_url, run_id), stdout=subprocess.DEVNULL,
                                        stderr=log, env=env) for _ in range(max(0, workers - 1))]
        assert proc.stdout is not None
        for line in proc.stdout:
            event = parse_event(line)
            if event is None:
                continue
            kind = event.pop("event", None)
            if kind == "done":
                summary = event
            elif kind == "progress" and on_progress is not None:
                on_progress(event)
        code = proc.wait()
        for helper in helpers:
            try:
                helper.wait(timeout=60)
            except subprocess.TimeoutExpired:
                helper.kill()
        if summary is None or code != 0:
            log.seek(0)
            tail = log.read()[-3000:]
            raise CrawlError(f"crawl process exited with code {code} without a summary. "
                             f"Is another process holding {db_path} open?\n{tail}")
    return summary


def parse_event(line: str) -> dict[str, Any] | None:
    """A JSON event line of the child's stdout, or None for anything else."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) and "event" in event else None


def _load_validators(db: str, source_id: str) -> dict[str, list[str | None]]:
    from lmi.crawler.store import known_validators
    from lmi.warehouse.db import session

    with session(db) as con:
        return known_validators(con, source_id)


def _crawl(config: dict[str, Any], settings_overrides: dict[str, Any]) -> None:
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from lmi.crawler.spiders import spider_for

    settings = Settings()
    settings.setmodule("lmi.crawler.settings", priority="project")
    settings.update(settings.getdict("FAMILY_SETTINGS").get(config["family"], {}),
                    priority="project")
    settings.update(config.get("settings", {}), priority="cmdline")
    settings.update(settings_overrides, priority="cmdline")
    process = CrawlerProcess(settings)
    process.crawl(spider_for(config["family"]), start_urls=config["urls"],
                  source_id=config["source_id"], sitemap=config["sitemap"],
                  allow=settings.get("LMI_ALLOW"))
    process.start()


def _child(argv: Sequence[str] | None = None) -> int:
    """Entry point of the child process: run one Scrapy crawl with the project settings."""
    parser = argparse.ArgumentParser(prog="python -m lmi.crawler.runner")
    parser.add_argument("urls", nargs="*")
    parser.add_argument("--db", help="warehouse file (the lead; not with --join)")
    parser.add_argument("--source-id")
    parser.add_argument("--run-id")
    parser.add_argument("--sitemap", action="store_true")
    parser.add_argument("--family", default="jsonld", help="spider family (see SPIDERS)")
    parser.add_argument("--settings", default="{}", help="JSON object of setting overrides")
    parser.add_argument("--redis", help="redis URL: distributed mode")
    parser.add_argument("--join", action="store_true",
                        help="join the announced distributed crawl as a worker (needs --redis)")
    parser.add_argument("--wait", type=float, default=60.0,
                        help="with --join: seconds to wait for a crawl to be announced")
    args = parser.parse_args(argv)
    if args.join:
        return _join(args)
    if not (args.db and args.source_id and args.run_id and args.urls):
        parser.error("--db, --source-id, --run-id and start URLs are required")

    config = {"run_id": args.run_id, "urls": args.urls, "source_id": args.source_id,
              "family": args.family,
              "sitemap": args.sitemap, "settings": json.loads(args.settings)}
    validators = _load_validators(args.db, args.source_id)
    own: dict[str, Any] = {"LMI_DB": args.db, "LMI_SOURCE_ID": args.source_id,
                           "LMI_RUN_ID": args.run_id, "LMI_PROGRESS_STDOUT": True,
                           "LMI_HTTP_VALIDATORS": validators}
    if args.redis:
        from lmi.crawler.distributed import announce, redis_settings

        announce(args.redis, args.run_id, config, validators)
        own.update(redis_settings(args.redis, args.run_id, role="lead"))
    _crawl(config, own)
    return 0


def _join(args: argparse.Namespace) -> int:
    """A worker of a distributed crawl: no warehouse access, items go to redis."""
    from lmi.crawler.distributed import find_crawl, redis_settings

    if not args.redis:
        print("--join needs --redis URL", file=sys.stderr)
        return 2
    found = find_crawl(args.redis, args.run_id, wait_s=args.wait)
    if found is None:
        print(f"no crawl announced on {args.redis} within {args.wait:.0f} s", file=sys.stderr)
        return 3
    config, validators = found
    run_id = args.run_id or config.get("run_id")
    own: dict[str, Any] = {
        "LMI_SOURCE_ID": config["source_id"], "LMI_RUN_ID": run_id,
        "LMI_HTTP_VALIDATORS": validators,
        "ITEM_PIPELINES": {"lmi.crawler.pipelines.ValidationPipeline": 100,
                           "lmi.crawler.distributed.RedisRecordPipeline": 800},
        **redis_settings(args.redis, run_id, role="worker"),
    }
    _crawl(config, own)
    return 0


if __name__ == "__main__":
    sys.exit(_child())
