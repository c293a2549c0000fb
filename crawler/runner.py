"""Run a crawl in a child process and stream its progress back.

Scrapy's Twisted reactor cannot restart within a process, and the DuckDB file allows one writer
process, so `run_crawl` starts `python -m lmi.crawler.runner ...`; the caller must not hold an
open warehouse connection meanwhile. The child prints JSON lines on stdout
({"event": "start"|"progress"|"done", ...}); its Scrapy log goes to stderr.
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


def run_crawl(db_path: str | os.PathLike, source_id: str, start_urls: Sequence[str], *,
              sitemap: bool = False, family: str = "jsonld",
              on_progress: Callable[[dict[str, Any]], None] | None = None,
              settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Crawl `start_urls` into the warehouse at `db_path` and return the run summary.

    The summary has run_id, status (ok|failed), pages_fetched, postings_seen, postings_new,
    postings_changed, postings_unchanged, postings_invalid, pages_without_jsonld,
    problems {kind: count}, error_samples and elapsed_s. `on_progress` receives every progress
    event (same keys, status "running"). `settings` override lmi.crawler.settings.
    Raises CrawlError if the child process dies without a summary (e.g. the DB is locked).
    """
    if not start_urls:
        raise ValueError("run_crawl needs at least one start URL")
    run_id = new_run_id(source_id)
    cmd = [sys.executable, "-m", "lmi.crawler.runner", "--db", str(Path(db_path)),
           "--source-id", source_id, "--run-id", run_id,
           "--family", family, "--settings", json.dumps(dict(settings or {}))]
    if sitemap:
        cmd.append("--sitemap")
    cmd += list(start_urls)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    summary: dict[str, Any] | None = None
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True,
                                encoding="utf-8", env=env)
        assert proc.stdout is not None
        for line in proc.stdout:
            event = _parse_event(line)
            if event is None:
                continue
            kind = event.pop("event", None)
            if kind == "done":
                summary = event
            elif kind == "progress" and on_progress is not None:
                on_progress(event)
        code = proc.wait()
        if summary is None or code != 0:
            log.seek(0)
            tail = log.read()[-3000:]
            raise CrawlError(f"crawl process exited with code {code} without a summary. "
                             f"Is another process holding {db_path} open?\n{tail}")
    return summary


def _parse_event(line: str) -> dict[str, Any] | None:
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) and "event" in event else None


def _child(argv: Sequence[str] | None = None) -> int:
    """Entry point of the child process: run one Scrapy crawl with the project settings."""
    parser = argparse.ArgumentParser(prog="python -m lmi.crawler.runner")
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--db", required=True)
    parser.add_argument("--source-id", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--sitemap", action="store_true")
    parser.add_argument("--family", default="jsonld", help="spider family (see SPIDERS)")
    parser.add_argument("--settings", default="{}", help="JSON object of setting overrides")
    args = parser.parse_args(argv)

    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from lmi.crawler.spiders import spider_for

    settings = Settings()
    settings.setmodule("lmi.crawler.settings", priority="project")
    settings.update(json.loads(args.settings), priority="cmdline")
    settings.set("LMI_DB", args.db, priority="cmdline")
    settings.set("LMI_SOURCE_ID", args.source_id, priority="cmdline")
    settings.set("LMI_RUN_ID", args.run_id, priority="cmdline")
    settings.set("LMI_PROGRESS_STDOUT", True, priority="cmdline")
    process = CrawlerProcess(settings)
    process.crawl(spider_for(args.family), start_urls=args.urls, source_id=args.source_id,
                  sitemap=args.sitemap, allow=settings.get("LMI_ALLOW"))
    process.start()
    return 0


if __name__ == "__main__":
    sys.exit(_child())
