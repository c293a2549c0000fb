"""`lmi skills top|emerging|compare` and `lmi report gaps|html|values`: demand reports."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer

from lmi.cli.common import (
    DEFAULT_DB,
    DbOption,
    LimitOption,
    OccupationOption,
    RegionOption,
    SectorOption,
    SinceOption,
    UntilOption,
)
from lmi.cli.output import Format, console, fail, plain, render
from lmi.warehouse import filters as flt
from lmi.warehouse.db import WarehouseError, connect
from lmi.warehouse.emerging_report import emerging_skills
from lmi.warehouse.export import ExportError, export
from lmi.warehouse.gaps import gap_report
from lmi.warehouse.html_report import write_html
from lmi.warehouse.reports import DEFAULT_FLOOR, compare_skills, top_skills

__all__ = ["plain", "open_warehouse", "top", "emerging", "gaps", "compare", "values"]


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    parquet = "parquet"
    xlsx = "xlsx"


class Part(StrEnum):
    all = "all"
    skills = "skills"
    proposals = "proposals"
    credentials = "credentials"


class FilterKind(StrEnum):
    region = "region"
    sector = "sector"
    occupation = "occupation"


FrameworkOption = Annotated[
    str | None, typer.Option("--framework", help="Only this framework (esco, onet, starter...).")
]
ReportFormatOption = Annotated[ReportFormat, typer.Option(
    "--format", "-f", help="table, json, csv, parquet or xlsx (binary formats need --output).")]
OutputOption = Annotated[Path | None, typer.Option(
    "--output", "-O", help="Write to this file (json/csv go to stdout without it).")]
HtmlOption = Annotated[Path | None, typer.Option(
    "--html", help="Also write the self-contained HTML report (charts) to this file.")]
PeriodOption = Annotated[str | None, typer.Option(
    "--period", help="A month (2024-03) or quarter (2024-Q1); instead of --since/--until.")]
EquivalentsOption = Annotated[str | None, typer.Option(
    "--equivalents", help="Add each skill's best equivalent in this framework, e.g. onet "
                          "(after `lmi frameworks match esco onet`).")]
FloorOption = Annotated[int, typer.Option(
    "--floor", min=0, help="Suppress (and mark) cells with fewer jobs than this.")]


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
    """One line for humans: what was filtered, the data window, how many jobs."""
    matched = meta.get("matched") or {}
    given = meta.get("filters") or {}
    parts = [matched.get(f"{k}_label") or given.get(k)
             for k in ("region", "sector", "occupation", "period")]
    shown = [p for p in parts if p]
    if given.get("since") or given.get("until"):
        shown.append(f"{given.get('since') or '…'} to {given.get('until') or '…'}")
    window = (f"{meta['first_posted']} to {meta['last_posted']}"
              if meta.get("first_posted") else "no dated postings")
    return (f"filters: {'; '.join(shown) or 'none'} | data: {meta.get('postings', 0):,} jobs "
            f"({meta.get('postings_all', 0):,} postings), {window}")


def footer(meta: dict[str, Any]) -> dict[str, Any]:
    """Flat reproducibility facts shown under a table."""
    keep = ("frameworks", "extractor_versions", "recent_window", "baseline_window", "tested",
            "significant", "min_count", "alpha", "in_demand_share", "floor", "reference", "note",
            "generated_at")
    return {k: meta[k] for k in keep if meta.get(k) not in (None, [], "")}


def _sci(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """p / q values are unreadable as 0.000: show them in scientific notation in tables."""
    return [{**r, **{k: f"{r[k]:.2g}" for k in keys if isinstance(r.get(k), float)}}
            for r in rows]


def _filters(region: str | None, sector: str | None, occupation: str | None,
             since: str | None, until: str | None, period: str | None = None) -> flt.Filters:
    return flt.Filters(region=region, sector=sector, occupation=occupation, since=since,
                       until=until, period=period)


NO_FILTERS = flt.Filters()
FILTER_OPTIONS = {"region": RegionOption, "sector": SectorOption,
                  "occupation": OccupationOption, "since": SinceOption, "until": UntilOption,
                  "period": PeriodOption}


def with_filters(command: Callable[..., None]) -> Callable[..., None]:
    """Give a command the options --region --sector --occupation --since --until --period
    (after --db); it receives them as one `filters: Filters` argument."""
    signature = inspect.signature(command, eval_str=True)
    params = [p for p in signature.parameters.values() if p.name != "filters"]
    at = next(i for i, p in enumerate(params) if p.name == "db") + 1
    added = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None,
                               annotation=kind) for name, kind in FILTER_OPTIONS.items()]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> None:
        chosen = {name: kwargs.pop(name, None) for name in FILTER_OPTIONS}
        command(filters=flt.Filters(**chosen), **kwargs)

    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*params[:at], *added, *params[at:]])
    wrapper.__annotations__ = {**command.__annotations__, **FILTER_OPTIONS}
    return wrapper


def _emit(tables: dict[str, list[dict[str, Any]]], meta: dict[str, Any], fmt: ReportFormat,
          output: Path | None, columns: dict[str, list[str]],
          show: Callable[[], None]) -> None:
    """Table to the terminal via `show`, anything else through lmi.warehouse.export."""
    if fmt is ReportFormat.table:
        if output is not None:
            raise fail("--output needs a file format: add --format json|csv|parquet|xlsx")
        show()
        return
    try:
        written = export(tables, meta, fmt.value, output, columns)
    except ExportError as exc:
        raise fail(str(exc)) from None
    if output is not None:
        for path in written:
            console.print(f"[dim]wrote {path}[/dim]", highlight=False)


def _equivalents(con: duckdb.DuckDBPyConnection, found: list[dict[str, Any]],
                 framework: str | None, columns: list[str]
                 ) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows and columns with the best equivalent in `framework` beside each label."""
    if framework is None:
        return found, columns
    from lmi.nlp.crosswalks import attach_equivalents

    try:
        found = attach_equivalents(con, found, framework)
    except KeyError as exc:
        raise fail(str(exc.args[0])) from None
    at = columns.index("label") + 1
    return found, [*columns[:at], "equivalent", "equivalent_match", *columns[at:],
                   "equivalent_id"]


def _html(con: duckdb.DuckDBPyConnection, html: Path | None, filters: flt.Filters,
          **kwargs: Any) -> None:
    if html is not None:
        write_html(con, html, filters, **kwargs)
        console.print(f"[dim]wrote {html}[/dim]", highlight=False)


TOP_COLUMNS = ["label", "jobs", "postings", "share", "national_share", "lq", "suppressed",
               "skill_type", "framework_id", "skill_id"]


@with_filters
def top(
    db: DbOption = DEFAULT_DB,
    filters: flt.Filters = NO_FILTERS,
    limit: LimitOption = 20,
    framework: FrameworkOption = None,
    floor: FloorOption = DEFAULT_FLOOR,
    fmt: ReportFormatOption = ReportFormat.table,
    output: OutputOption = None,
    html: HtmlOption = None,
    equivalents: EquivalentsOption = None,
) -> None:
    """Skills asked for in the most jobs: jobs, postings, share, location quotient (lq).

    jobs = unique jobs after de-duplication, postings = all postings; share = jobs / filtered
    jobs; lq = share / national share. Cells under --floor jobs (default 25) are suppressed.

    Example:  lmi skills top --region Alberta --period 2024-Q1 --limit 10 --format csv
              lmi skills top --framework esco --equivalents onet
    """
    with open_warehouse(db) as con:
        rows, meta = top_skills(con, filters, limit=limit, framework=framework, floor=floor)
        rows, columns = _equivalents(con, rows, equivalents, TOP_COLUMNS)
        _html(con, html, filters, limit=limit, floor=floor)
    _emit({"rows": rows}, meta, fmt, output, {"rows": columns}, lambda: render(
        rows, Format.table, title=f"Top skills — {describe(meta)}", meta=footer(meta),
        columns=[c for c in columns if c not in ("framework_id", "skill_id", "equivalent_id")]))


def compare(
    db: DbOption = DEFAULT_DB,
    region: Annotated[list[str] | None, typer.Option(
        "--region", "-r", help="Give twice: the two regions to compare.")] = None,
    sector: Annotated[list[str] | None, typer.Option(
        "--sector", "-s", help="Give twice: the two sectors to compare (or once, with two "
                               "regions, to filter both).")] = None,
    occupation: OccupationOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    period: PeriodOption = None,
    limit: LimitOption = 20,
    framework: FrameworkOption = None,
    floor: FloorOption = DEFAULT_FLOOR,
    fmt: ReportFormatOption = ReportFormat.table,
    output: OutputOption = None,
) -> None:
    """Two regions or two sectors side by side: share and lq in each, difference and its q.

    Example:  lmi skills compare --region AB --region BC --limit 15
              lmi skills compare --sector 54 --sector 31-33 --format json
    """
    regions, sectors = region or [], sector or []
    if len(regions) == 2 and len(sectors) <= 1:
        pair = [_filters(r, sectors[0] if sectors else None, occupation, since, until, period)
                for r in regions]
        names = regions
    elif len(sectors) == 2 and len(regions) <= 1:
        pair = [_filters(regions[0] if regions else None, s, occupation, since, until, period)
                for s in sectors]
        names = sectors
    else:
        raise fail("give exactly two --region or two --sector values, e.g. "
                   "--region AB --region BC")
    with open_warehouse(db) as con:
        rows, meta = compare_skills(con, pair[0], pair[1], limit=limit, framework=framework,
                                    floor=floor)
    a, b = names
    columns = ["label", "share_a", "share_b", "diff", "q", "lq_a", "lq_b", "jobs_a", "jobs_b",
               "framework_id", "skill_id"]

    def show() -> None:
        shown = [{**r, f"share {a}": r["share_a"], f"share {b}": r["share_b"],
                  f"lq {a}": r["lq_a"], f"lq {b}": r["lq_b"], f"jobs {a}": r["jobs_a"],
                  f"jobs {b}": r["jobs_b"]} for r in _sci(rows, ("q",))]
        render(shown, Format.table, title=f"{a} vs {b} — A: {describe(meta['a'])}; B: "
                                          f"{describe(meta['b'])}",
               columns=["label", f"share {a}", f"share {b}", "diff", "q", f"lq {a}", f"lq {b}",
                        f"jobs {a}", f"jobs {b}"],
               meta={"floor": floor, "test": meta["test"], "suppressed": "shown as blank"})

    _emit({"rows": rows}, meta, fmt, output, {"rows": columns}, show)


EMERGING_COLUMNS = ["label", "source", "baseline_share", "recent_share", "growth", "share_diff",
                    "z", "p", "q", "trend_z", "months_above", "tags", "recent_count",
                    "baseline_count", "significant", "evidence", "monthly_share",
                    "framework_id", "skill_id"]


@with_filters
def emerging(
    db: DbOption = DEFAULT_DB,
    filters: flt.Filters = NO_FILTERS,
    limit: LimitOption = 20,
    recent_months: Annotated[int, typer.Option(min=1, help="Months in the recent window.")] = 3,
    baseline_months: Annotated[int, typer.Option(min=1, help="Months in the baseline.")] = 12,
    min_count: Annotated[int, typer.Option(min=1, help="Recent jobs a skill needs to be "
                                                       "tested.")] = 20,
    alpha: Annotated[float, typer.Option(min=0.0, max=1.0, help="False discovery rate.")] = 0.05,
    persistence: Annotated[int | None, typer.Option(
        min=1, help="Recent months whose share must each exceed the baseline share "
                    "(default: all recent months).")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Also show tested skills that are not "
                                                         "emerging.")] = False,
    no_phrases: Annotated[bool, typer.Option(
        "--no-phrases", help="Leave out phrases that linked to no framework skill.")] = False,
    framework: FrameworkOption = None,
    fmt: ReportFormatOption = ReportFormat.table,
    output: OutputOption = None,
    html: HtmlOption = None,
) -> None:
    """Skills whose share of jobs grew significantly and persistently.

    Emerging = >= --min-count recent jobs, one-sided two-proportion z-test with
    Benjamini-Hochberg q <= --alpha, and a share above the baseline in each recent month.
    Tags: new, spreading, accelerating. Each row has 1-3 evidence snippets (json/xlsx).

    Example:  lmi skills emerging --region BC --recent-months 3 --baseline-months 12 --alpha 0.05
    """
    with open_warehouse(db) as con:
        rows, meta = emerging_skills(
            con, filters, recent_months=recent_months, baseline_months=baseline_months,
            min_count=min_count, alpha=alpha, limit=limit, framework=framework,
            include_all=show_all, include_phrases=not no_phrases, persistence=persistence)
        _html(con, html, filters, limit=limit, min_count=min_count,
              recent_months=recent_months, baseline_months=baseline_months)

    def show() -> None:
        shown = [{**r, "evidence": r["evidence"][0]["text"] if r["evidence"] else ""}
                 for r in _sci(rows, ("p", "q"))]
        cols = ["label", "baseline_share", "recent_share", "growth", "z", "q", "trend_z",
                "tags", "recent_count"] + (["significant"] if show_all else []) + ["evidence"]
        render(shown, Format.table, columns=cols, meta=footer(meta),
               title=f"Emerging skills — {describe(meta)}")

    _emit({"rows": rows}, meta, fmt, output, {"rows": EMERGING_COLUMNS}, show)


SKILL_COLUMNS = ["rank", "label", "jobs", "postings", "share", "emerging", "growth", "tags",
                 "coverage", "covered_by", "related_by", "suppressed", "framework_id",
                 "skill_id"]
PROPOSAL_COLUMNS = ["skills", "jobs", "share", "mean_lift", "emerging", "occupations",
                    "sectors", "skill_ids"]
CREDENTIAL_COLUMNS = ["title", "provider", "mapped_skills", "in_demand_skills",
                      "share_in_demand", "alignment", "reach", "demand_trend", "trend_ratio",
                      "in_demand", "not_in_demand", "missing_companions", "fading_skills",
                      "credential_id"]


def _codes(items: list[dict[str, Any]]) -> str:
    return ", ".join(f"{i['code']} {i['title'] or ''}".strip() + f" ({i['jobs']})"
                     for i in items[:3])


@with_filters
def gaps(
    db: DbOption = DEFAULT_DB,
    filters: flt.Filters = NO_FILTERS,
    limit: LimitOption = 20,
    in_demand: Annotated[float, typer.Option(
        "--in-demand", min=0.0, max=1.0,
        help="Share of jobs at which a skill counts as in demand.")] = 0.01,
    no_emerging: Annotated[bool, typer.Option("--no-emerging", help="Leave out emerging "
                                                                    "skills.")] = False,
    min_count: Annotated[int, typer.Option(min=1, help="Recent jobs an emerging skill "
                                                       "needs.")] = 20,
    floor: FloorOption = DEFAULT_FLOOR,
    part: Annotated[Part, typer.Option("--part", help="Which part to output (csv needs one).")]
    = Part.all,
    fmt: ReportFormatOption = ReportFormat.table,
    output: OutputOption = None,
    html: HtmlOption = None,
    equivalents: EquivalentsOption = None,
) -> None:
    """Demanded and emerging skills vs the imported microcredential catalogue.

    Part 1 marks each skill covered / partly covered (a credential teaches a sibling under a
    specific parent in the framework) / uncovered. Part 2 proposes new microcredentials:
    clusters of uncovered skills that co-occur in jobs. Part 3 scores each credential:
    alignment (formula in docs/reports.md), reach, demand trend, missing and fading skills.

    Example:  lmi report gaps --region "Calgary" --sector 54 --limit 25 --html gaps.html
              lmi report gaps --part credentials --format csv > alignment.csv
              lmi report gaps --format xlsx --output gaps.xlsx
              lmi report gaps --part skills --equivalents onet
    """
    with open_warehouse(db) as con:
        result = gap_report(con, filters, limit=limit, in_demand_share=in_demand,
                            include_emerging=not no_emerging, min_count=min_count, floor=floor)
        result["skills"], skill_columns = _equivalents(con, result["skills"], equivalents,
                                                       SKILL_COLUMNS)
        _html(con, html, filters, limit=limit, floor=floor, min_count=min_count)
    meta = result["meta"]
    parts = [p.value for p in Part if p is not Part.all and part in (Part.all, p)]
    columns = {"skills": skill_columns, "proposals": PROPOSAL_COLUMNS,
               "credentials": CREDENTIAL_COLUMNS}

    def show() -> None:
        console.print(f"[bold]Gap report[/bold] — {describe(meta)}", highlight=False)
        if "skills" in parts:
            cov = meta["coverage"]
            shown = [{**r, "emerging": "yes" if r["emerging"] else ""} for r in result["skills"]]
            render(shown, Format.table, columns=[c for c in skill_columns if c not in (
                       "suppressed", "framework_id", "skill_id", "equivalent_id")],
                   title=f"Demanded and emerging skills: {cov['covered']} covered, "
                         f"{cov['partly covered']} partly covered, {cov['uncovered']} uncovered")
        if "proposals" in parts:
            shown = [{**r, "occupations": _codes(r["occupations"]),
                      "sectors": _codes(r["sectors"])} for r in result["proposals"]]
            render(shown, Format.table, columns=PROPOSAL_COLUMNS[:-1],
                   title="Proposed new microcredentials (uncovered skills that co-occur)")
        if "credentials" in parts:
            if not result["credentials"]:
                console.print("[yellow]no credentials imported: run `lmi credentials import "
                              "FILE`[/yellow]")
            else:
                render(result["credentials"], Format.table, columns=CREDENTIAL_COLUMNS[:-1],
                       title=f"Credential alignment (in demand = in >= {in_demand:.1%} of jobs)")
        facts = ", ".join(f"{k}={', '.join(map(str, v)) if isinstance(v, list) else v}"
                          for k, v in footer(meta).items())
        console.print(f"[dim]{facts}[/dim]", highlight=False)

    _emit({p: result[p] for p in parts}, meta, fmt, output, columns, show)


@with_filters
def html_report(
    file: Annotated[Path, typer.Argument(help="HTML file to write.")],
    db: DbOption = DEFAULT_DB,
    filters: flt.Filters = NO_FILTERS,
    limit: LimitOption = 20,
    min_count: Annotated[int, typer.Option(min=1, help="Recent jobs an emerging skill "
                                                       "needs.")] = 20,
    floor: FloorOption = DEFAULT_FLOOR,
) -> None:
    """One self-contained HTML report (opens offline): top skills, emerging-skill trend lines,
    regional comparison, coverage matrix, proposals and credential alignment.

    Example:  lmi report html report.html --region ON --period 2026-Q3
    """
    with open_warehouse(db) as con:
        _html(con, file, filters, limit=limit, floor=floor, min_count=min_count)


def values(
    kind: Annotated[FilterKind, typer.Argument(help="region, sector or occupation")],
    db: DbOption = DEFAULT_DB,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")]
    = Format.table,
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
    """Attach `lmi skills top|emerging|compare` and `lmi report gaps|html|values`."""
    skills = _group(app, "skills", "Skill demand: top, emerging and compared skills.")
    skills.command("top")(top)
    skills.command("emerging")(emerging)
    skills.command("compare")(compare)
    report = _group(app, "report", "Reports over the warehouse: microcredential gaps, HTML.")
    report.command("gaps")(gaps)
    report.command("html")(html_report)
    report.command("values")(values)
