"""`lmi nightly` (scheduled collection) and `lmi process` (normalise + extract + dedup)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lmi.cli.common import DEFAULT_DB, DbOption, FormatOption
from lmi.cli.output import Format, err_console, fail, render
from lmi.cli.progress import progress_bar


def nightly(
    db: DbOption = DEFAULT_DB,
    sources: Annotated[Path | None, typer.Option("--sources", envvar="LMI_SOURCES",
                                                 help="Sources file (YAML).")] = None,
    only: Annotated[list[str] | None, typer.Option(help="Only this source id.")] = None,
    force: Annotated[bool, typer.Option(help="Crawl every source, due or not.")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Crawl every due source, extract new or changed postings, load them, refresh aggregates.

    Safe to schedule: a lock stops two runs from overlapping; each run is recorded with
    per-source counts. Exit code 0 = all sources ok, 1 = a source failed (the others still
    ran), 3 = another run holds the lock.

    Example (see deploy/ for systemd and cron):

        LMI_DB=/var/lib/lmi/lmi.duckdb lmi nightly --sources /etc/lmi/lmi-sources.yaml
    """
    from lmi.nightly import NightlyLocked, run_nightly
    from lmi.sources import SourcesError, load_sources

    try:
        sf = load_sources(sources, must_exist=True)
        result = run_nightly(db, sf, force=force, only=only, progress=progress_bar,
                             log=lambda m: err_console.print(f"[dim]{m}[/dim]"))
    except NightlyLocked as exc:
        raise fail(str(exc), code=3) from exc
    except SourcesError as exc:
        raise fail(str(exc)) from exc
    cols = ["source_id", "family", "status", "pages", "postings", "new", "changed",
            "unchanged", "duplicates", "problems", "errors"]
    render(result.per_source, fmt, title=f"Nightly run {result.nightly_id}: {result.status}",
           meta={"expired": result.totals.get("expired")}, columns=cols)
    if result.failed_sources:
        err_console.print(f"[red]failed sources:[/red] {', '.join(result.failed_sources)}")
        raise typer.Exit(1)


def process(
    db: DbOption = DEFAULT_DB,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, envvar="LMI_EXTRACT_WORKERS",
        help="Extraction processes (2 uses both cores; each loads the models, ~10 s and ~2 GB; "
        "worth it for a few hundred postings or more).")] = None,
) -> None:
    """Normalise new raw postings, extract their skills and refresh duplicate clusters.

    Run after `lmi crawl` (`lmi nightly` does this itself, with LMI_EXTRACT_WORKERS workers).

    Example:  lmi process --db lmi.duckdb --workers 2
    """
    from lmi.demo.run import process_pending
    from lmi.warehouse.db import WarehouseError, session

    try:
        with session(db, create=False) as con:
            seconds: dict[str, float] = {}
            counts = process_pending(con, progress=progress_bar, seconds=seconds,
                                     workers=workers)
    except WarehouseError as exc:
        raise fail(str(exc)) from exc
    render([{"step": k, "result": v} for k, v in counts.items()], title="Processed")


def register(app: typer.Typer) -> None:
    """Attach `lmi nightly` and `lmi process`."""
    app.command("nightly")(nightly)
    app.command("process")(process)
