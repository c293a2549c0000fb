"""`lmi sources list|add|remove|check`: manage the sources file the nightly crawl reads."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Annotated

import typer

from lmi.cli.common import FormatOption
from lmi.cli.output import Format, fail, render
from lmi.sources import FAMILIES, Source, SourcesError, load_sources

sources_app = typer.Typer(help="Manage the sources file (which sites the nightly crawl visits).",
                          no_args_is_help=True)
SourcesOption = Annotated[
    Path | None,
    typer.Option("--sources", envvar="LMI_SOURCES",
                 help="Sources file (YAML). Default: ./lmi-sources.yaml"),
]


@sources_app.command("list")
def list_sources(sources: SourcesOption = None, fmt: FormatOption = Format.table) -> None:
    """List configured sources.

    Example:  lmi sources list --format json
    """
    try:
        sf = load_sources(sources)
    except SourcesError as exc:
        raise fail(str(exc)) from exc
    rows = [{"id": s.id, "family": s.family, "start_urls": s.start_urls(),
             "every_hours": s.every_hours, "enabled": s.enabled} for s in sf.sources]
    render(rows, fmt, title=f"Sources in {sf.path}",
           columns=["id", "family", "start_urls", "every_hours", "enabled"])


@sources_app.command("add")
def add_source(
    source_id: Annotated[str, typer.Argument(help="Short id, e.g. acme-careers.")],
    family: Annotated[str, typer.Option(help=f"One of: {', '.join(FAMILIES)}.")],
    url: Annotated[list[str] | None, typer.Option(help="Start URL (repeatable).")] = None,
    token: Annotated[str | None, typer.Option(help="ATS board token.")] = None,
    sitemap: Annotated[bool, typer.Option(help="The URL is a sitemap.xml.")] = False,
    every_hours: Annotated[float, typer.Option(help="Crawl interval in hours.")] = 24.0,
    replace: Annotated[bool, typer.Option(help="Replace a source with the same id.")] = False,
    contact: Annotated[str | None, typer.Option(help="Contact put in the User-Agent.")] = None,
    sources: SourcesOption = None,
) -> None:
    """Add a source.

    Examples:

        lmi sources add acme --family jsonld --sitemap --url https://acme.example/sitemap.xml

        lmi sources add shopify --family greenhouse --token shopify
    """
    try:
        sf = load_sources(sources)
        sf.add(Source(id=source_id, family=family, urls=list(url or []), token=token,
                      sitemap=sitemap, every_hours=every_hours), replace=replace)
        if contact:
            sf.contact = contact
        sf.save()
    except SourcesError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"added {source_id} ({family}) to {sf.path}")


@sources_app.command("remove")
def remove_source(source_id: str, sources: SourcesOption = None) -> None:
    """Remove a source (its postings stay in the warehouse).

    Example:  lmi sources remove acme
    """
    try:
        sf = load_sources(sources, must_exist=True)
        sf.get(source_id)
        sf.sources = [s for s in sf.sources if s.id != source_id]
        sf.save()
    except SourcesError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"removed {source_id}")


@sources_app.command("check")
def check_sources(
    source_id: Annotated[str | None, typer.Argument(help="Only this source.")] = None,
    fetch: Annotated[bool, typer.Option(help="Also fetch each start URL once.")] = False,
    sources: SourcesOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Validate the sources file and, with --fetch, that each start URL answers.

    Example:  lmi sources check --fetch
    """
    try:
        sf = load_sources(sources, must_exist=True)
        chosen = [sf.get(source_id)] if source_id else sf.sources
    except SourcesError as exc:
        raise fail(str(exc)) from exc
    rows, bad = [], 0
    for s in chosen:
        row = {"id": s.id, "family": s.family, "config": "ok", "fetch": ""}
        if fetch:
            row["fetch"] = _probe(s.start_urls()[0], sf.contact)
            bad += not row["fetch"].startswith("HTTP 2")
        rows.append(row)
    render(rows, fmt, title="Source check")
    if bad:
        raise typer.Exit(1)


def _probe(url: str, contact: str | None) -> str:
    from lmi.crawler.settings import user_agent

    req = urllib.request.Request(url, headers={"User-Agent": user_agent(contact)})
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:  # noqa: S310 - http(s) validated
            return f"HTTP {resp.status} {resp.headers.get_content_type()}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return f"error: {exc}"


def register(app: typer.Typer) -> None:
    """Attach `lmi sources`."""
    app.add_typer(sources_app, name="sources")
