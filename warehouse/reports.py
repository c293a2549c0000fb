"""Demand reports: top skills (jobs, shares, location quotients, suppression) and comparisons.

Each report returns rows plus a `meta` dict (filters, data window, frameworks, extractor
versions, counts, suppression floor) so that a report can be reproduced. The emerging-skill
report lives in `lmi.warehouse.emerging_report`, the gap report in `lmi.warehouse.gaps`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

import duckdb
import numpy as np

from lmi.warehouse.aggregates import aggregates_fresh, whole_months
from lmi.warehouse.db import SQL_DIR, rows, sql
from lmi.warehouse.emerging import benjamini_hochberg, two_proportion_z
from lmi.warehouse.filters import Filters, resolve_filters, sql_params
from lmi.warehouse.snapshot import memo

Row = dict[str, Any]
# Statistics Canada / ESDC practice: do not publish a cell built on fewer than 25 postings.
DEFAULT_FLOOR = 25
SUPPRESSED_FIELDS = ("postings", "jobs", "share", "national_share", "lq")
DIMENSIONS = ("province", "economic_region", "sector", "noc_prefix")
# agg_ queries that count provinces and sectors (*_by_province and *_by_sector when national,
# else the full *_counts cells), and that group by province (*_by_province or *_counts)
CELL_LEVEL = ("skill_breadth",)
BY_PROVINCE = ("skill_by_province",)


def rollup_grain(params: dict[str, Any]) -> str:
    """Which cell table answers this filter: the roll-up to the one dimension it uses
    (totals when none; lmi.warehouse.aggregates.ROLLUPS), else the full `counts` cells."""
    used = [k for k in DIMENSIONS if params.get(k)]
    if not used:
        return "totals"
    if len(used) > 1:
        return "counts"
    if used == ["noc_prefix"]:
        return "by_noc2" if len(params["noc_prefix"]) <= 2 else "counts"
    return {"province": "by_province", "economic_region": "by_region",
            "sector": "by_sector"}[used[0]]


def _query(name: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if params.get("use_aggregates") and (SQL_DIR / "reports" / f"agg_{name}.sql").exists():
        text = sql(f"reports/agg_{name}")
        grain = rollup_grain(params)
        if name in CELL_LEVEL or name in BY_PROVINCE:
            # written for *_by_province / *_by_sector: valid nationally (and for a province
            # when grouping by province only); any other filter needs the full cells
            if grain != "totals" and not (name in BY_PROVINCE and grain == "by_province"):
                text = text.replace("_by_province", "_counts").replace("_by_sector", "_counts")
        else:
            for table in ("skill_month", "posting_month", "credential_month", "phrase_month"):
                text = text.replace(f"{table}_counts", f"{table}_{grain}")
    else:
        text = sql(f"reports/{name}")
    used = set(re.findall(r"\$(\w+)", text))
    return text, {k: params.get(k) for k in used}


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> list[Row]:
    """Run sql/reports/<name>.sql, binding only the $parameters the file uses.

    With params["use_aggregates"] (set by `prepare` when the aggregates are fresh and the
    dates cover whole months) sql/reports/agg_<name>.sql is run instead, where it exists.
    """
    text, bound = _query(name, params)
    found = memo(_key(con, text, bound), lambda: _macros(con) or rows(con, text, bound))
    return [dict(r) for r in found]


def run_arrays(con: duckdb.DuckDBPyConnection, name: str,
               params: dict[str, Any]) -> dict[str, np.ndarray]:
    """`run`, but the result as one numpy array per column (fast for large results)."""
    text, bound = _query(name, params)
    return dict(memo(_key(con, text, bound),
                     lambda: _macros(con) or con.execute(text, bound).fetchnumpy()))


def _macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the table macros of sql/reports/_macros.sql (once per connection and report)."""
    memo(("macros", id(con)), lambda: con.execute(sql("reports/_macros")) and None)


def _key(con: duckdb.DuckDBPyConnection, text: str, bound: dict[str, Any]) -> tuple:
    return id(con), text, repr(sorted(bound.items()))


def framework_versions(con: duckdb.DuckDBPyConnection, ids: Iterable[str]) -> list[str]:
    """'framework_id version' for each framework id (as stored in `frameworks`)."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return []
    found = {r["framework_id"]: r["version"] for r in rows(
        con, "SELECT framework_id, version FROM frameworks WHERE list_contains($ids, framework_id)",
        {"ids": wanted})}
    return [f"{f} {found[f]}" if found.get(f) else f for f in wanted]


def report_meta(con: duckdb.DuckDBPyConnection, filters: Filters, params: dict[str, Any],
                report: str, framework_ids: Iterable[str] = ()) -> dict[str, Any]:
    """Reproducibility facts: filters as typed and as matched, counts, data window, versions."""
    summary = run(con, "filter_summary", sql_params(params))[0]
    return {
        "report": report,
        "filters": {k: v for k, v in filters.as_dict().items() if v},
        "matched": {k: v for k, v in params.items() if k.endswith("_label") and v},
        "postings": summary["postings"],
        "postings_all": summary["postings_all"],
        "postings_with_skills": summary["postings_with_skills"],
        "first_posted": summary["first_posted"],
        "last_posted": summary["last_posted"],
        "extractor_versions": [v for v in summary["extractor_versions"] or [] if v],
        "source": "aggregates (refresh_aggregates)" if params.get("use_aggregates")
                  else "base tables",
        "frameworks": framework_versions(con, framework_ids),
        "duplicates": "postings = all postings; jobs = unique jobs (canonical postings of "
                      "posting_clusters); shares are computed on jobs",
        "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    }


def prepare(con: duckdb.DuckDBPyConnection,
            filters: Filters | None) -> tuple[Filters, dict[str, Any]]:
    """The filters (default: none) and their resolved SQL parameters."""
    filters = filters or Filters()
    con.execute("SET enable_progress_bar = false")   # reports print their own output
    params = resolve_filters(con, filters)
    params["use_aggregates"] = (whole_months(params["since"], params["until"])
                                and memo(("fresh", id(con)), lambda: aggregates_fresh(con)))
    return filters, params


def reference_params(params: dict[str, Any]) -> dict[str, Any] | None:
    """The population a location quotient compares with, or None when it is the filter itself.

    With a region filter: the same filter without the region (all of Canada). Without one but
    with a sector or occupation: all postings of the same period.
    """
    ref = sql_params(params)
    if ref["province"] or ref["economic_region"]:
        ref |= {"province": None, "economic_region": None}
    elif ref["sector"] or ref["noc_prefix"]:
        ref |= {"sector": None, "noc_prefix": None}
    else:
        return None
    return ref


def suppress(found: list[Row], floor: int, total_jobs: int) -> list[Row]:
    """Mark rows under the floor: counts and shares set to None, `suppressed` True.

    A row is suppressed when its skill has fewer than `floor` jobs, or the whole filter has
    fewer than `floor` jobs (then every row is). Rows are kept so that users see what is hidden.
    """
    out = []
    for r in found:
        hidden = floor > 0 and (total_jobs < floor or (r.get("jobs") or 0) < floor)
        out.append({**r, **dict.fromkeys((f for f in SUPPRESSED_FIELDS if f in r), None),
                    "suppressed": True} if hidden else {**r, "suppressed": False})
    return out


def top_skills(con: duckdb.DuckDBPyConnection, filters: Filters | None = None,
               limit: int | None = 20, framework: str | None = None,
               floor: int = DEFAULT_FLOOR,
               with_lq: bool = True) -> tuple[list[Row], dict[str, Any]]:
    """Skills in the most filtered jobs.

    Rows: framework_id, skill_id, label, skill_type, postings (all), jobs (unique), share (of
    filtered jobs), national_share (of the reference population, see `reference_params`),
    lq = share / national_share (location quotient), suppressed. limit=None: every skill.
    Cells under `floor` jobs are suppressed and marked, never dropped. with_lq=False skips
    the reference shares (national_share = share, lq = 1).
    """
    filters, params = prepare(con, filters)
    found = run(con, "top_skills", {**sql_params(params), "framework": framework,
                                    "limit": limit})
    frameworks = [framework] if framework else [r["framework_id"] for r in found]
    meta = report_meta(con, filters, params, "top_skills", frameworks)
    ref = reference_params(params) if with_lq else None
    national = {}
    if ref is not None and found:
        keys = [f"{r['framework_id']}|{r['skill_id']}" for r in found]
        national = {(r["framework_id"], r["skill_id"]): r["share"]
                    for r in run(con, "skill_shares", {**ref, "keys": keys})}
    for r in found:
        nat = national.get((r["framework_id"], r["skill_id"])) if ref else r["share"]
        r["national_share"] = nat
        r["lq"] = r["share"] / nat if nat and r["share"] is not None else None
    meta |= {"limit": limit, "floor": floor,
             "reference": "national (filter without region)" if ref and (
                 params["province"] or params["economic_region"]) else
             "all sectors and occupations" if ref else "the filter itself (lq = 1)"}
    return suppress(found, floor, meta["postings"]), meta


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def compare_skills(con: duckdb.DuckDBPyConnection, first: Filters, second: Filters, *,
                   limit: int | None = 20, framework: str | None = None,
                   floor: int = DEFAULT_FLOOR) -> tuple[list[Row], dict[str, Any]]:
    """Two filters side by side: per skill the share in each, the difference and its q-value.

    lq_a / lq_b are each side's share over the two sides' pooled share.

    The skills are the union of both filters' skills ordered by the larger share; the
    difference is tested with a two-sided two-proportion z-test, BH-adjusted across the skills
    shown. A side with fewer than `floor` jobs for the skill is suppressed (None, marked).
    """
    (a_rows, a_meta), (b_rows, b_meta) = (
        top_skills(con, f, limit=None, framework=framework, floor=0, with_lq=False)
        for f in (first, second))
    n_a, n_b = a_meta["postings"], b_meta["postings"]
    a_by = {(r["framework_id"], r["skill_id"]): r for r in a_rows}
    b_by = {(r["framework_id"], r["skill_id"]): r for r in b_rows}
    keys = sorted(set(a_by) | set(b_by), key=lambda k: (
        -max((a_by.get(k) or {}).get("share") or 0, (b_by.get(k) or {}).get("share") or 0), k))
    keys = keys[:limit] if limit else keys
    out = []
    for key in keys:
        a, b = a_by.get(key, {}), b_by.get(key, {})
        x_a, x_b = a.get("jobs") or 0, b.get("jobs") or 0
        z, p = two_proportion_z(x_a, n_a, x_b, n_b, "two-sided") if n_a and n_b else (0.0, 1.0)
        out.append({"framework_id": key[0], "skill_id": key[1],
                    "label": a.get("label") or b.get("label"),
                    "jobs_a": x_a, "share_a": x_a / n_a if n_a else None,
                    "lq_a": _ratio(x_a / n_a if n_a else 0, (x_a + x_b) / ((n_a + n_b) or 1)),
                    "jobs_b": x_b, "share_b": x_b / n_b if n_b else None,
                    "lq_b": _ratio(x_b / n_b if n_b else 0, (x_a + x_b) / ((n_a + n_b) or 1)),
                    "diff": (x_a / n_a if n_a else 0) - (x_b / n_b if n_b else 0), "z": z,
                    "p": p, "suppressed_a": x_a < floor, "suppressed_b": x_b < floor})
    for r, q in zip(out, benjamini_hochberg([r["p"] for r in out]), strict=True):
        r["q"] = float(q)
        for side in ("a", "b"):
            if r[f"suppressed_{side}"] or (n_a if side == "a" else n_b) < floor:
                r |= {f"jobs_{side}": None, f"share_{side}": None, f"lq_{side}": None,
                      f"suppressed_{side}": True}
        if r["suppressed_a"] or r["suppressed_b"]:
            r |= {"diff": None, "z": None, "p": None, "q": None}
    meta = {"report": "compare_skills", "a": a_meta, "b": b_meta, "floor": floor,
            "limit": limit, "test": "two-sided two-proportion z-test, Benjamini-Hochberg",
            "generated_at": a_meta["generated_at"]}
    return out, meta
