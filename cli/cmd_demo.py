"""`lmi demo`: the whole pipeline on a built-in synthetic job board."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel

from lmi.cli.output import console, err_console, fail, render
from lmi.cli.progress import progress_bar


def demo(
    db: Annotated[Path, typer.Option("--db", help="Warehouse file to (re)build.")] = Path(
        "demo.duckdb"),
    postings: Annotated[int, typer.Option(min=50, help="Synthetic postings on the board.")] = 2400,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic board.")] = 20261101,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Rows per report.")] = 10,
    force: Annotated[bool, typer.Option(help="Overwrite a warehouse that is not a demo.")] = False,
) -> None:
    """Run the whole pipeline on a built-in synthetic job board and print the reports.

    Starts a job board on 127.0.0.1 serving schema.org JobPosting pages, crawls it with Scrapy,
    extracts skills, loads DuckDB, and prints top skills, emerging skills and the gap report.

    Example:

        lmi demo --db demo.duckdb

    Then query it:  lmi skills top --db demo.duckdb --region AB
    """
    from lmi.demo.run import SYNTHETIC_NOTICE, run_demo

    if db.exists() and not force and not _is_demo_db(db):
        raise fail(f"{db} holds non-demo data; the demo rebuilds its file. Pick another --db "
                   "or pass --force.")
    console.print(Panel(SYNTHETIC_NOTICE, title="lmi demo", border_style="yellow"))
    result = run_demo(db, postings=postings, seed=seed, progress=progress_bar,
                      log=lambda m: err_console.print(f"[dim]{m}[/dim]"))
    _print_reports(db, limit)
    html = _write_html(db)
    _print_summary(result)
    console.print(f"HTML report (opens offline): [bold]{html.resolve()}[/bold]")


def _is_demo_db(db: Path) -> bool:
    import duckdb

    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return False
    try:
        sources = {r[0] for r in con.execute("SELECT source_id FROM sources").fetchall()}
    except duckdb.Error:
        sources = set()
    finally:
        con.close()
    return sources <= {"demo-board"}


def _print_reports(db: Path, limit: int) -> None:
    """The same reports as `lmi skills top|emerging` and `lmi report gaps`, on the demo data."""
    from lmi.cli import cmd_reports

    cmd_reports.top(db=db, limit=limit)
    cmd_reports.emerging(db=db, limit=limit)
    cmd_reports.gaps(db=db, limit=limit)


def _write_html(db: Path) -> Path:
    """The shareable HTML report of the demo, beside the database."""
    from lmi.warehouse.db import session
    from lmi.warehouse.filters import Filters
    from lmi.warehouse.html_report import write_html

    path = db.with_name(db.stem + "-report.html")
    with session(db, create=False, read_only=True) as con:
        write_html(con, path, Filters())
    return path


def _print_summary(result) -> None:
    crawl = result.counts.get("crawl", {})
    extract = result.counts.get("extract", {})
    dedup = result.counts.get("dedup", {})
    lines = [
        ("postings on the board", result.counts.get("board_postings")),
        ("pages fetched", crawl.get("pages_fetched")),
        ("postings crawled", crawl.get("postings_seen")),
        ("pages without or with broken JSON-LD (counted, skipped)",
         sum((crawl.get("problems") or {}).values())),
        ("postings loaded", result.counts.get("normalise", {}).get("pending")),
        ("skills extracted", extract.get("skills")),
        ("unlinked phrases kept", extract.get("unlinked")),
        ("French postings (not run through the English extractor)", extract.get("skipped_french")),
        ("unique jobs after dedup", dedup.get("unique_jobs")),
        ("microcredentials imported", result.counts.get("catalogue", {}).get("credentials")),
    ]
    timing = ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items())
    render([{"what": k, "value": v} for k, v in lines], title="Demo summary")
    console.print(f"[dim]timings: {timing}[/dim]")
    console.print(f"Database: [bold]{result.db.resolve()}[/bold]  (synthetic data)\n"
                  f"Try: lmi skills top --db {result.db} --region ON --format json")


def register(app: typer.Typer) -> None:
    """Attach `lmi demo`."""
    app.command("demo")(demo)
