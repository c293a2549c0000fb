"""`lmi crawl`: fetch schema.org JobPosting pages from a site into the warehouse."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from lmi.cli.common import DEFAULT_DB, DbOption, FormatOption
from lmi.cli.output import Format, console, fail, render
from lmi.crawler.runner import CrawlError, run_crawl, settings_for

SUMMARY_KEYS = ("pages_fetched", "bodies_fetched", "not_modified", "postings_seen",
                "postings_new", "postings_changed", "postings_unchanged", "postings_invalid",
                "pages_without_jsonld", "workers", "elapsed_s")


def default_source_id(url: str) -> str:
    """'https://jobs.example.ca/careers' -> 'jsonld:jobs.example.ca'."""
    return "jsonld:" + urlsplit(url).netloc.lower().replace(":", "-")


def _summary_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [{"metric": k, "value": summary.get(k)} for k in SUMMARY_KEYS]
    rows += [{"metric": f"problem: {kind}", "value": n}
             for kind, n in sorted(summary.get("problems", {}).items())]
    return rows


def crawl(
    urls: Annotated[list[str], typer.Argument(
        help="Listing page(s), or sitemap / robots.txt URL(s) with --sitemap.")],
    sitemap: Annotated[bool, typer.Option("--sitemap",
                                          help="URLs are sitemaps (or robots.txt).")] = False,
    source_id: Annotated[str | None, typer.Option(
        "--source-id", help="Source id in the warehouse (default: jsonld:<host>).")] = None,
    family: Annotated[str, typer.Option(
        help="Spider family: jsonld, greenhouse, lever, ashby, jobbank, feed.")] = "jsonld",
    redis: Annotated[str | None, typer.Option(
        "--redis", help="Distributed mode: share the request queue through this redis URL.")]
    = None,
    workers: Annotated[int, typer.Option(min=1, help="Local crawler processes (with --redis).")]
    = 1,
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = Format.table,
) -> None:
    """Crawl job postings (schema.org JobPosting JSON-LD) into the warehouse.

    Polite by default: obeys robots.txt, adaptive delays, a few requests at a time.
    Re-crawling an unchanged page adds nothing; a changed page adds a new version.
    Sites on this machine (127.0.0.1, localhost) are crawled without delays.

    Example:

        lmi crawl https://careers.example.ca/jobs --db lmi.duckdb

        lmi crawl https://careers.example.ca/sitemap.xml --sitemap --source-id example

        lmi crawl https://careers.example.ca/jobs --redis redis://10.0.0.5:6379/0 --workers 2

    Other machines join a distributed crawl with
    `python -m lmi.crawler.runner --join --redis URL` (see docs/crawling.md).
    """
    for url in urls:
        if urlsplit(url).scheme not in {"http", "https"}:
            raise fail(f"not an http(s) URL: {url}")
    source = source_id or default_source_id(urls[0])
    quiet = Format(fmt) is not Format.table
    if workers > 1 and not redis:
        raise fail("--workers needs --redis (the workers share its request queue)")
    summary = _run(Path(db), source, urls, sitemap=sitemap, quiet=quiet, family=family,
                   redis_url=redis, workers=workers)
    meta = {"source_id": source, "run_id": summary.get("run_id"), "status": summary.get("status"),
            "db": str(db)}
    render(_summary_rows(summary), fmt, title=f"Crawl of {source}", meta=meta)
    if summary.get("status") != "ok":
        samples = summary.get("error_samples") or []
        detail = ""
        if samples:
            detail = f" First problem: {samples[0]['kind']} {samples[0]['url']} " \
                     f"{samples[0]['detail']}"
        raise fail(f"crawl of {source} failed ({summary.get('reason')}).{detail}", code=1)


def _run(db: Path, source: str, urls: list[str], *, sitemap: bool, quiet: bool,
         family: str = "jsonld", redis_url: str | None = None,
         workers: int = 1) -> dict[str, Any]:
    columns = (SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
               TextColumn("{task.fields[stats]}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=quiet) as progress:
        task = progress.add_task(f"crawling {source}", total=None, stats="starting...")
        t0 = time.monotonic()

        def on_progress(event: dict[str, Any]) -> None:
            pages = event.get("pages_fetched", 0)
            rate = pages / max(time.monotonic() - t0, 1e-6)
            problems = sum(event.get("problems", {}).values())
            progress.update(task, stats=(
                f"{pages} pages ({rate:.0f}/s) | {event.get('postings_seen', 0)} postings, "
                f"{event.get('postings_new', 0)} new | {problems} problems"))

        try:
            return run_crawl(db, source, urls, sitemap=sitemap, on_progress=on_progress,
                             settings=settings_for(urls), family=family, redis_url=redis_url,
                             workers=workers)
        except CrawlError as exc:
            raise fail(str(exc), code=1) from exc


def register(app: typer.Typer) -> None:
    """Attach `lmi crawl` to the root app."""
    app.command("crawl")(crawl)
