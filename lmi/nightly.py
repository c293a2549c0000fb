"""`lmi nightly`: crawl every due source, process what changed, expire what vanished.

One run at a time (a lock file beside the warehouse). A failing source is recorded and the
others still run; the caller turns a partial run into a non-zero exit code.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lmi.sources import SourcesFile, is_due
from lmi.warehouse.db import rows, session, sql


class NightlyLocked(RuntimeError):
    """Another nightly run holds the lock."""


@dataclass
class NightlyResult:
    nightly_id: str
    status: str = "running"
    per_source: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)

    @property
    def failed_sources(self) -> list[str]:
        return [s["source_id"] for s in self.per_source if s["status"] == "failed"]


@contextmanager
def run_lock(db: Path) -> Iterator[Path]:
    """Hold an exclusive, non-blocking lock on `<db>.lock` for the duration of a run."""
    lock_path = db.with_name(db.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
            raise NightlyLocked(f"another nightly run holds {lock_path} (pid {holder})") from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield lock_path
    finally:
        os.close(fd)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def run_nightly(db: Path, sources: SourcesFile, *, force: bool = False,
                only: list[str] | None = None, progress=None,
                log: Callable[[str], None] = print, expire_after_missed: int | None = None,
                crawl_settings: dict[str, Any] | None = None) -> NightlyResult:
    """Crawl due sources, then normalise, extract, dedup and expire. Returns the run record."""
    from lmi.crawler.runner import run_crawl, settings_for
    from lmi.crawler.settings import user_agent
    from lmi.demo.run import process_pending

    result = NightlyResult(nightly_id=f"nightly-{_now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}")
    with run_lock(db):
        started = _now()
        with session(db) as con:
            con.execute("INSERT INTO nightly_runs (nightly_id, started_at) VALUES (?, ?)",
                        [result.nightly_id, started])
            last = {r["source_id"]: r["finished"] for r in rows(
                con, "SELECT source_id, max(finished_at) AS finished FROM crawl_runs "
                     "WHERE status = 'ok' GROUP BY 1")}
        chosen = [s for s in sources.sources if not only or s.id in only]
        due = [s for s in chosen if force or is_due(s, last.get(s.id), started)]
        log(f"{len(due)} of {len(chosen)} sources due")
        settings = dict(crawl_settings or {})
        if sources.contact:
            settings.setdefault("USER_AGENT", user_agent(sources.contact))
        for source in due:
            entry: dict[str, Any] = {"source_id": source.id, "family": source.family}
            try:
                urls = source.start_urls()
                summary = run_crawl(db, source.id, urls, sitemap=source.sitemap,
                                    family=source.family,
                                    settings={**settings_for(urls), **settings})
                entry.update(status="ok" if summary.get("status", "ok") == "ok" else "failed",
                             **{k: v for k, v in summary.items() if k != "status"})
            except Exception as exc:  # noqa: BLE001 - one source failing must not stop the rest
                entry.update(status="failed", errors=[f"{type(exc).__name__}: {exc}"])
            log(f"{source.id}: {entry['status']}")
            result.per_source.append(entry)

        with session(db) as con:
            seconds: dict[str, float] = {}
            counts = process_pending(con, progress=progress or _no_progress, seconds=seconds)
            expired = expire_postings(con, sources, expire_after_missed)
            _count_duplicates(con, result.per_source)
            result.totals = {"processed": counts, "expired": expired, "seconds": seconds}
            result.status = "partial" if result.failed_sources else "ok"
            con.execute(
                "UPDATE nightly_runs SET finished_at = ?, status = ?, per_source = ?, totals = ? "
                "WHERE nightly_id = ?",
                [_now(), result.status, json.dumps(result.per_source, default=str),
                 json.dumps(result.totals, default=str), result.nightly_id])
    return result


def expire_postings(con, sources: SourcesFile, missed: int | None = None) -> dict[str, int]:
    """Apply lifecycle rules: validThrough passed, or absent from N consecutive crawls."""
    before = con.execute("SELECT count(*) FROM postings WHERE expired_at IS NOT NULL").fetchone()[0]
    con.execute(sql("lifecycle/refresh_last_seen"))
    con.execute(sql("lifecycle/expire_valid_through"), {"now": _now()})
    n = missed or min((s.expire_after_missed for s in sources.sources), default=3)
    con.execute(sql("lifecycle/expire_missing"), {"missed": n})
    after = con.execute("SELECT count(*) FROM postings WHERE expired_at IS NOT NULL").fetchone()[0]
    return {"newly_expired": after - before, "expired_total": after}


def _count_duplicates(con, per_source: list[dict[str, Any]]) -> None:
    try:
        dup = dict(con.execute(
            "SELECT p.source_id, count(*) FROM posting_clusters c JOIN postings p USING "
            "(posting_id) WHERE NOT c.is_canonical GROUP BY 1").fetchall())
    except Exception:  # noqa: BLE001 - no dedup table yet
        dup = {}
    for entry in per_source:
        entry["duplicates"] = int(dup.get(entry["source_id"], 0))


@contextmanager
def _no_progress(*_args: Any) -> Iterator[Callable[..., None]]:
    yield lambda *_a, **_k: None
