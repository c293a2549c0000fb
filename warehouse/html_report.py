"""One self-contained HTML report (inline SVG charts, inline CSS, no script or network access):
top skills, emerging-skill trend lines, a regional comparison, the coverage matrix, proposed
microcredentials and credential alignment, with the meta needed to reproduce it.

Every chart mark carries a data attribute (`data-value`, `data-status`) so tests can check, in
the DOM a browser rendered, that the charts hold data.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from lmi.warehouse.emerging_report import emerging_skills
from lmi.warehouse.export import flat, plain
from lmi.warehouse.filters import Filters, sql_params
from lmi.warehouse.gaps import gap_report
from lmi.warehouse.reports import DEFAULT_FLOOR, prepare, run, top_skills
from lmi.warehouse.snapshot import one_snapshot

PALETTE = ["#1b6ca8", "#d1495b", "#00798c", "#edae49", "#66a182", "#8d6a9f", "#2e4057",
           "#f18f01"]
STATUS_COLOURS = {"covered": "#2a9d8f", "related": "#e9c46a", "none": "#f4f4f4"}
CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222;
max-width:1200px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.num{text-align:right}.muted{color:#777;font-size:12px}
.suppressed{color:#999;font-style:italic}svg text{font-size:11px;fill:#333}
.legend span{display:inline-block;margin-right:12px;font-size:12px}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _num(value: Any, pct: bool = False) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1%}" if pct else f"{value:.3g}"
    return f"{value:,}" if isinstance(value, int) else _e(value)


def line_chart(series: dict[str, list[tuple[str, float]]], *, width: int = 760,
               height: int = 300, title: str = "") -> str:
    """Monthly shares per label as SVG polylines with a circle per data point."""
    points = [v for pts in series.values() for _, v in pts]
    months = sorted({m for pts in series.values() for m, _ in pts})
    if not points or not months:
        return "<p class='muted'>no data for this chart</p>"
    left, right, top, bottom = 50, 170, 20, 40
    top_value = max(points) * 1.1 or 1.0
    x_of = {m: left + i * (width - left - right) / max(1, len(months) - 1)
            for i, m in enumerate(months)}

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - v / top_value)

    parts = [f"<svg class='chart line-chart' xmlns='http://www.w3.org/2000/svg' width='{width}' "
             f"height='{height}' role='img' aria-label='{_e(title)}'>"]
    for i in range(5):
        v = top_value * i / 4
        parts.append(f"<line x1='{left}' x2='{width - right}' y1='{y(v):.1f}' y2='{y(v):.1f}' "
                     f"stroke='#eee'/><text x='{left - 6}' y='{y(v) + 4:.1f}' "
                     f"text-anchor='end'>{v:.0%}</text>")
    step = max(1, -(-len(months) // 8))
    for m in months[::step]:
        parts.append(f"<text x='{x_of[m]:.1f}' y='{height - bottom + 16}' "
                     f"text-anchor='middle'>{_e(m[:7])}</text>")
    for i, (label, pts) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        coords = " ".join(f"{x_of[m]:.1f},{y(v):.1f}" for m, v in pts)
        parts.append(f"<polyline class='series' data-label='{_e(label)}' fill='none' "
                     f"stroke='{colour}' stroke-width='2' points='{coords}'/>")
        parts += [f"<circle class='pt' cx='{x_of[m]:.1f}' cy='{y(v):.1f}' r='3' fill='{colour}' "
                  f"data-label='{_e(label)}' data-month='{_e(m)}' data-value='{v:.6f}'>"
                  f"<title>{_e(label)} {_e(m[:7])}: {v:.1%}</title></circle>" for m, v in pts]
        parts.append(f"<rect x='{width - right + 10}' y='{top + i * 18}' width='10' height='10' "
                     f"fill='{colour}'/><text x='{width - right + 26}' y='{top + i * 18 + 9}'>"
                     f"{_e(label[:24])}</text>")
    parts.append("</svg>")
    return "".join(parts)


def heatmap(rows: Sequence[str], cols: Sequence[str], values: dict[tuple[str, str], float | None],
            *, cell: int = 44, label_width: int = 200, title: str = "") -> str:
    """Shares as a grid of shaded cells (None = suppressed, hatched grey) with the value."""
    if not rows or not cols:
        return "<p class='muted'>no data for this chart</p>"
    known = [v for v in values.values() if v is not None]
    top_value = max(known) if known else 1.0
    width, height = label_width + cell * len(cols) + 10, 30 + cell * len(rows)
    parts = [f"<svg class='chart heatmap' xmlns='http://www.w3.org/2000/svg' width='{width}' "
             f"height='{height}' role='img' aria-label='{_e(title)}'>"]
    for j, c in enumerate(cols):
        parts.append(f"<text x='{label_width + j * cell + cell / 2}' y='18' "
                     f"text-anchor='middle'>{_e(c)}</text>")
    for i, r in enumerate(rows):
        y = 26 + i * cell
        parts.append(f"<text x='{label_width - 6}' y='{y + cell / 2 + 4}' "
                     f"text-anchor='end'>{_e(r[:30])}</text>")
        for j, c in enumerate(cols):
            v = values.get((r, c))
            x = label_width + j * cell
            if v is None:
                parts.append(f"<rect class='cell suppressed' x='{x}' y='{y}' width='{cell - 2}' "
                             f"height='{cell - 2}' fill='#ddd' data-value=''><title>{_e(r)} / "
                             f"{_e(c)}: suppressed</title></rect>")
                continue
            alpha = 0.1 + 0.9 * (v / top_value if top_value else 0)
            parts.append(f"<rect class='cell' x='{x}' y='{y}' width='{cell - 2}' "
                         f"height='{cell - 2}' fill='#1b6ca8' fill-opacity='{alpha:.2f}' "
                         f"data-value='{v:.6f}'><title>{_e(r)} / {_e(c)}: {v:.1%}</title></rect>"
                         f"<text x='{x + cell / 2 - 1}' y='{y + cell / 2 + 4}' "
                         f"text-anchor='middle'>{v * 100:.0f}</text>")
    parts.append("</svg>")
    return "".join(parts)


def coverage_matrix(skills: Sequence[dict[str, Any]], credentials: Sequence[str],
                    cells: dict[tuple[str, str], str], *, cell: int = 22,
                    label_width: int = 220) -> str:
    """Skills (rows) x credentials (columns): covered / related / none as coloured cells."""
    if not skills or not credentials:
        return "<p class='muted'>no catalogue imported, or no skills</p>"
    head = 130
    width = label_width + cell * len(credentials) + 120
    height = head + cell * len(skills) + 10
    parts = [f"<svg class='chart coverage' xmlns='http://www.w3.org/2000/svg' width='{width}' "
             f"height='{height}' role='img' aria-label='coverage matrix'>"]
    for j, title in enumerate(credentials):
        x = label_width + j * cell + cell / 2
        parts.append(f"<text transform='translate({x + 4},{head - 6}) rotate(-55)'>"
                     f"{_e(title[:26])}</text>")
    for i, s in enumerate(skills):
        y = head + i * cell
        parts.append(f"<text x='{label_width - 6}' y='{y + cell / 2 + 4}' text-anchor='end'>"
                     f"{_e(s['label'][:32])}</text>")
        for j, title in enumerate(credentials):
            status = cells.get((s["key"], title), "none")
            parts.append(f"<rect class='cell' x='{label_width + j * cell}' y='{y}' "
                         f"width='{cell - 2}' height='{cell - 2}' fill='{STATUS_COLOURS[status]}' "
                         f"stroke='#ccc' data-status='{status}'><title>{_e(s['label'])} / "
                         f"{_e(title)}: {status}</title></rect>")
        parts.append(f"<text x='{label_width + len(credentials) * cell + 8}' "
                     f"y='{y + cell / 2 + 4}'>{_e(s['coverage'])}</text>")
    parts.append("</svg>")
    return "".join(parts)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str], pct: Sequence[str] = ()) -> str:
    """An HTML table; suppressed rows in grey italics."""
    if not rows:
        return "<p class='muted'>no rows</p>"
    head = "".join(f"<th>{_e(c.replace('_', ' '))}</th>" for c in columns)
    body = []
    for r in rows:
        cls = " class='suppressed'" if r.get("suppressed") else ""
        cells = []
        for c in columns:
            v = r.get(c)
            if isinstance(v, int | float) and not isinstance(v, bool):
                cells.append(f"<td class='num'>{_num(v, c in pct)}</td>")
            else:
                cells.append(f"<td>{_e(flat(v)) if v not in (None, []) else ''}</td>")
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _regional(con: duckdb.DuckDBPyConnection, params: dict[str, Any], top: list[dict[str, Any]],
              floor: int) -> str:
    keys = {f"{r['framework_id']}|{r['skill_id']}": r["label"] for r in top[:10]}
    found = run(con, "skill_by_province", {**sql_params(params), "keys": list(keys)})
    provinces = list(dict.fromkeys(r["province"] for r in found))[:13]
    totals = {r["province"]: r["total_jobs"] for r in found}
    values: dict[tuple[str, str], float | None] = {(lbl, p): 0.0 for lbl in keys.values()
                                                   for p in provinces}
    for r in found:
        if r["key"] in keys and r["province"] in provinces:
            values[(keys[r["key"]], r["province"])] = r["jobs"] / totals[r["province"]]
    for lbl in keys.values():
        for p in provinces:
            share = values[(lbl, p)]
            if totals[p] < floor or (share or 0) * totals[p] < floor:
                values[(lbl, p)] = None
    return heatmap(list(keys.values()), provinces, values, title="share of jobs by province")


def _coverage_cells(report: dict[str, Any]) -> tuple[list[dict], list[str], dict]:
    skills = [{**s, "key": f"{s['framework_id']}|{s['skill_id']}"} for s in report["skills"]]
    titles = sorted({t for s in skills for t in s["covered_by"]} |
                    {c["title"] for c in report["credentials"]})
    cells: dict[tuple[str, str], str] = {}
    for s in skills:
        for rel in s["related_by"]:
            cells[(s["key"], rel.split(" (via ")[0])] = "related"
        for t in s["covered_by"]:
            cells[(s["key"], t)] = "covered"
    return skills, titles, cells


@one_snapshot
def build_html(con: duckdb.DuckDBPyConnection, filters: Filters | None = None, *,
               limit: int = 20, floor: int = DEFAULT_FLOOR, min_count: int = 20,
               recent_months: int = 3, baseline_months: int = 12) -> str:
    """The whole report for these filters as one HTML document (string)."""
    filters, params = prepare(con, filters)
    top, meta = top_skills(con, filters, limit=limit, floor=floor)
    emerging, emeta = emerging_skills(con, filters, limit=8, min_count=min_count,
                                      recent_months=recent_months,
                                      baseline_months=baseline_months)
    trend_rows = emerging or emerging_skills(con, filters, limit=6, min_count=min_count,
                                             include_all=True, snippets=0,
                                             recent_months=recent_months,
                                             baseline_months=baseline_months)[0]
    gaps = gap_report(con, filters, limit=limit, floor=floor, min_count=min_count,
                      recent_months=recent_months, baseline_months=baseline_months)
    series = {r["label"]: [(str(p["month"]), p["share"]) for p in r["monthly_share"]]
              for r in trend_rows[:8]}
    skills, titles, cells = _coverage_cells(gaps)
    meta_all = {"top_skills": meta, "emerging": emeta, "gaps": gaps["meta"]}
    described = "; ".join(f"{k}={v}" for k, v in (meta["filters"] or {"filters": "none"}).items())
    sections = [
        f"<h1>Skills demand and microcredential gaps</h1><p class='muted'>{_e(described)} | "
        f"{meta['postings']:,} jobs ({meta['postings_all']:,} postings) from "
        f"{_e(meta['first_posted'])} to {_e(meta['last_posted'])} | frameworks: "
        f"{_e(', '.join(meta['frameworks']))} | extractor: "
        f"{_e(', '.join(meta['extractor_versions']))} | cells under {floor} jobs suppressed | "
        f"generated {_e(meta['generated_at'])}</p>",
        "<h2>Top skills</h2>",
        table(top, ["label", "jobs", "postings", "share", "national_share", "lq", "suppressed"],
              pct=("share", "national_share")),
        f"<h2>Emerging skills: monthly share</h2><p class='muted'>{_e(emeta.get('test'))}; "
        f"recent {_e(' to '.join(map(str, emeta.get('recent_window') or [])))}, baseline "
        f"{_e(' to '.join(map(str, emeta.get('baseline_window') or [])))}"
        f"{'' if emerging else ' — nothing significant: the most changed tested skills shown'}"
        "</p>",
        line_chart(series, title="monthly share of jobs"),
        table(emerging, ["label", "source", "baseline_share", "recent_share", "growth", "z", "q",
                         "trend_z", "tags", "recent_count"],
              pct=("baseline_share", "recent_share")),
        "<h2>Regional comparison</h2>", _regional(con, params, top, floor),
        "<h2>Coverage matrix</h2><p class='legend'>"
        + "".join(f"<span><svg width='10' height='10'><rect width='10' height='10' fill='{c}' "
                  f"stroke='#ccc'/></svg> {s}</span>" for s, c in STATUS_COLOURS.items())
        + "</p>", coverage_matrix(skills, titles, cells),
        "<h2>Proposed new microcredentials</h2>",
        table(gaps["proposals"], ["skills", "jobs", "share", "mean_lift", "occupations",
                                  "sectors"], pct=("share",)),
        "<h2>Credential alignment</h2>",
        table(gaps["credentials"], ["title", "alignment", "reach", "demand_trend",
                                    "missing_companions", "fading_skills"]),
        "<h2>Reproduce</h2><pre id='meta'>"
        + _e(json.dumps(plain(meta_all), indent=1, ensure_ascii=False)) + "</pre>",
    ]
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>LMI report</title>"
            f"<style>{CSS}</style></head><body>{''.join(sections)}</body></html>")


def write_html(con: duckdb.DuckDBPyConnection, path: Path, filters: Filters | None = None,
               **kwargs: Any) -> Path:
    """Write `build_html(...)` to `path` (UTF-8) and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(build_html(con, filters, **kwargs), encoding="utf-8")
    return path

