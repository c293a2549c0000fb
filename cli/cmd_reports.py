"""`lmi skills top|emerging` and `lmi report gaps|values`: demand reports over the warehouse."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer

from lmi.cli.common import (
    DEFAULT_DB,
    DbOption,
    FormatOption,
    LimitOption,
    OccupationOption,
    RegionOption,
    SectorOption,
    SinceOption,
    UntilOption,
)
from lmi.cli.output import Format, console, fail, plain, render
from lmi.warehouse import filters as flt
from lmi.warehouse import reports
from lmi.warehouse.db import WarehouseError, connect

FrameworkOption = Annotated[
    str | None, typer.Option("--framework", help="Only this framework (esco, onet, starter...).")
]


class Part(StrEnum):
    all = "all"
    skills = "skills"
    credentials = "credentials"


class FilterKind(StrEnum):
    region = "region"
    sector = "sector"
    occupation = "occupation"


@contextmanager
def open_warehouse(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open an existing warehouse read-only; user-fixable problems exit with code 2."""
    try:
        con = connect(db, create=False, read_only=True)
    except WarehouseError as exc:
        raise fail(str(exc)) from None
    except duckdb.Error as exc:
        raise fail(f"cannot open {db}: {exc}") from None
    try:
        yield con
    except WarehouseError as exc:
        raise fail(str(exc)) from None
    except duckdb.CatalogException as exc:
        raise fail(f"{db} lacks a table this report needs ({exc}); open it once with a "
                   "writing command (e.g. `lmi crawl`) to update its schema.") from None
    finally:
        con.close()


def describe(meta: dict[str, Any]) -> str:
    """One line for humans: what was filtered, the data window, how many postings."""
    matched = meta.get("matched") or {}
    given = meta.get("filters") or {}
    parts = [matched.get(f"{k}_label") or given.get(k) for k in ("region", "sector", "occupation")]
    shown = [p for p in parts if p]
    if given.get("since") or given.get("until"):
        shown.append(f"{given.get('since') or '…'} to {given.get('until') or '…'}")
    window = (f"{meta['first_posted']} to {meta['last_posted']}"
              if meta.get("first_posted") else "no dated postings")
    return (f"filters: {'; '.join(shown) or 'none'} | data: {meta.get('postings', 0):,} postings, "
            f"{window}")


def footer(meta: dict[str, Any]) -> dict[str, Any]:
    """Flat reproducibility facts shown under a table."""
    keep = ("frameworks", "extractor_versions", "recent_window", "baseline_window", "tested",
            "significant", "min_count", "alpha", "in_demand_share", "note", "generated_at")
    return {k: meta[k] for k in keep if meta.get(k) not in (None, [], "")}




def _table_numbers(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """p / q values are unreadable as 0.000: show them in scientific notation in tables."""
    return [{**r, **{k: f"{r[k]:.2g}" for k in keys if isinstance(r.get(k), float)}}
            for r in rows]


def _filters(region: str | None, sector: str | None, occupation: str | None,
             since: str | None, until: str | None) -> flt.Filters:
    return flt.Filters(region=region, sector=sector, occupation=occupation, since=since,
                       until=until)


def top(
    db: DbOption = DEFAULT_DB,
    region: RegionOption = None,
    sector: SectorOption = None,
    occupation: OccupationOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: LimitOption = 20,
    framework: FrameworkOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Skills asked for in the most postings, with their share of the filtered postings.

    Example:  lmi skills top --region Alberta --since 2024-01-01 --limit 10 --format csv
    """
    with open_warehouse(db) as con:
        rows, meta = reports.top_skills(
            con, _filters(region, sector, occupation, since, until), limit=limit,
            framework=framework)
    columns = ["label", "postings", "share", "skill_type", "framework_id", "skill_id"]
    if fmt is Format.table:
        render(rows, fmt, title=f"Top skills — {describe(meta)}", meta=footer(meta),
               columns=columns)
    else:
        render(rows, fmt, meta=meta, columns=columns)


def emerging(
    db: DbOption = DEFAULT_DB,
    region: RegionOption = None,
    sector: SectorOption = None,
    occupation: OccupationOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: LimitOption = 20,
    recent_months: Annotated[int, typer.Option(min=1, help="Months in the recent window.")] = 3,
    baseline_months: Annotated[int, typer.Option(min=1, help="Months in the baseline.")] = 12,
    min_count: Annotated[int, typer.Option(min=1, help="Recent postings a skill needs to be "
                                                       "tested.")] = 20,
    alpha: Annotated[float, typer.Option(min=0.0, max=1.0, help="False discovery rate.")] = 0.05,
    show_all: Annotated[bool, typer.Option("--all", help="Also show tested skills that are not "
                                                         "significant.")] = False,
    framework: FrameworkOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Skills whose share of postings grew significantly (z-test, Benjamini-Hochberg FDR).

    The recent window is the last --recent-months calendar months up to the latest filtered
    posting; the baseline is the --baseline-months before it.

    Example:  lmi skills emerging --region BC --recent-months 3 --baseline-months 12 --alpha 0.05
    """
    with open_warehouse(db) as con:
        rows, meta = reports.emerging_skills(
            con, _filters(region, sector, occupation, since, until), recent_months=recent_months,
            baseline_months=baseline_months, min_count=min_count, alpha=alpha, limit=limit,
            framework=framework, include_all=show_all)
    columns = ["label", "baseline_share", "recent_share", "growth", "z", "p", "q",
               "recent_count", "baseline_count"] + (["significant"] if show_all else []) + \
              ["framework_id", "skill_id"]
    if fmt is Format.table:
        render(_table_numbers(rows, ("p", "q")), fmt, columns=columns, meta=footer(meta),
               title=f"Emerging skills — {describe(meta)}")
    else:
        render(rows, fmt, meta=meta, columns=columns)


SKILL_COLUMNS = ["rank", "label", "postings", "share", "emerging", "growth", "coverage",
                 "covered_by", "related_by", "framework_id", "skill_id"]
CREDENTIAL_COLUMNS = ["title", "provider", "mapped_skills", "in_demand_skills",
                      "share_in_demand", "alignment", "reach", "in_demand", "not_in_demand",
                      "credential_id"]


def gaps(
    db: DbOption = DEFAULT_DB,
    region: RegionOption = None,
    sector: SectorOption = None,
    occupation: OccupationOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: LimitOption = 20,
    in_demand: Annotated[float, typer.Option(
        "--in-demand", min=0.0, max=1.0,
        help="Share of postings at which a skill counts as in demand.")] = 0.01,
    no_emerging: Annotated[bool, typer.Option("--no-emerging", help="Leave out emerging "
                                                                    "skills.")] = False,
    min_count: Annotated[int, typer.Option(min=1, help="Recent postings an emerging skill "
                                                       "needs.")] = 20,
    part: Annotated[Part, typer.Option("--part", help="Which part to output (csv needs one).")]
    = Part.all,
    fmt: FormatOption = Format.table,
) -> None:
    """Demanded and emerging skills vs the imported microcredential catalogue.

    Part 1 marks each top skill covered / partly covered (a credential teaches a skill next to
    it in the framework hierarchy) / uncovered. Part 2 scores each credential's alignment with
    demand (see `lmi.warehouse.reports.alignment_score`).

    Example:  lmi report gaps --region "Calgary" --sector 54 --limit 25
              lmi report gaps --part credentials --format csv > alignment.csv
    """
    if fmt is Format.csv and part is Part.all:
        raise fail("csv holds one table: add --part skills or --part credentials")
    with open_warehouse(db) as con:
        result = reports.gap_report(
            con, _filters(region, sector, occupation, since, until), limit=limit,
            in_demand_share=in_demand, include_emerging=not no_emerging, min_count=min_count)
    meta = result["meta"]
    if fmt is Format.json:
        payload = {"meta": meta} | {p: result[p] for p in ("skills", "credentials")
                                    if part in (Part.all, Part(p))}
        sys.stdout.write(json.dumps(plain(payload), ensure_ascii=False, indent=2) + "\n")
        return
    if fmt is Format.csv:
        cols = SKILL_COLUMNS if part is Part.skills else CREDENTIAL_COLUMNS
        render(result[part.value], fmt, columns=cols)
        return
    console.print(f"[bold]Gap report[/bold] — {describe(meta)}")
    if part in (Part.all, Part.skills):
        cov = meta["coverage"]
        shown = [{**r, "emerging": "yes" if r["emerging"] else ""} for r in result["skills"]]
        render(shown, fmt, columns=SKILL_COLUMNS[:-2],
               title=f"Demanded and emerging skills: {cov['covered']} covered, "
                     f"{cov['partly covered']} partly covered, {cov['uncovered']} uncovered")
    if part in (Part.all, Part.credentials):
        if not result["credentials"]:
            console.print("[yellow]no credentials imported: run `lmi credentials import FILE`"
                          "[/yellow]")
        else:
            render(result["credentials"], fmt, columns=CREDENTIAL_COLUMNS[:-1],
                   title=f"Credential alignment (in demand = in >= {in_demand:.1%} of postings)")
    facts = ", ".join(f"{k}={', '.join(map(str, v)) if isinstance(v, list) else v}"
                      for k, v in footer(meta).items())
    console.print(f"[dim]{facts}[/dim]")


def values(
    kind: Annotated[FilterKind, typer.Argument(help="region, sector or occupation")],
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = Format.table,
) -> None:
    """List the values --region, --sector or --occupation accept.

    Example:  lmi report values region --format csv
    """
    with open_warehouse(db) as con:
        if kind is FilterKind.region:
            rows = [{"value": p["code"], "kind": "province", "name": p["name_en"],
                     "province": p["code"]} for p in flt.province_choices(con)]
            rows += [{"value": r["eruid"], "kind": "economic region", "name": r["name_en"],
                      "province": r["province"]} for r in flt.region_choices(con)]
        elif kind is FilterKind.sector:
            rows = [{"value": s["code"], "name": s["title"]} for s in flt.sector_choices(con)]
        else:
            rows = [{"value": n["code"], "name": n["title"]} for n in flt.occupation_choices(con)]
    render(rows, fmt, title=f"Valid --{kind.value} values (codes or names)")


def _group(app: typer.Typer, name: str, help_text: str) -> typer.Typer:
    """The app's sub-command group `name`, created if no other module made it yet."""
    for info in app.registered_groups:
        if info.name == name and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(help=help_text, no_args_is_help=True)
    app.add_typer(group, name=name)
    return group


def register(app: typer.Typer) -> None:
    """Attach `lmi skills top|emerging` and `lmi report gaps|values`."""
    skills = _group(app, "skills", "Skill demand: top and emerging skills in postings.")
    skills.command("top")(top)
    skills.command("emerging")(emerging)
    report = _group(app, "report", "Reports over the warehouse: microcredential gaps.")
    report.command("gaps")(gaps)
    report.command("values")(values)
