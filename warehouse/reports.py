"""Report queries the CLI calls: top skills, emerging skills, the microcredential gap report.

Each report returns rows plus a `meta` dict (filters, data window, frameworks, extractor
versions, counts) so that a report can be reproduced.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

import duckdb

from lmi.warehouse.db import rows, sql
from lmi.warehouse.emerging import WindowCounts, rank_emerging
from lmi.warehouse.filters import Filters, resolve_filters, sql_params

Row = dict[str, Any]


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> list[Row]:
    """Run sql/reports/<name>.sql, binding only the $parameters the file uses."""
    con.execute(sql("reports/_macros"))
    text = sql(f"reports/{name}")
    used = set(re.findall(r"\$(\w+)", text))
    return rows(con, text, {k: v for k, v in params.items() if k in used})


def _frameworks(con: duckdb.DuckDBPyConnection, ids: Iterable[str]) -> list[str]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return []
    found = {r["framework_id"]: r["version"] for r in rows(
        con, "SELECT framework_id, version FROM frameworks WHERE list_contains($ids, framework_id)",
        {"ids": wanted})}
    return [f"{f} {found[f]}" if found.get(f) else f for f in wanted]


def _meta(con: duckdb.DuckDBPyConnection, filters: Filters, params: dict[str, Any],
          report: str, framework_ids: Iterable[str] = ()) -> dict[str, Any]:
    summary = run(con, "filter_summary", sql_params(params))[0]
    return {
        "report": report,
        "filters": {k: v for k, v in filters.as_dict().items() if v},
        "matched": {k: v for k, v in params.items() if k.endswith("_label") and v},
        "postings": summary["postings"],
        "postings_with_skills": summary["postings_with_skills"],
        "first_posted": summary["first_posted"],
        "last_posted": summary["last_posted"],
        "extractor_versions": [v for v in summary["extractor_versions"] or [] if v],
        "frameworks": _frameworks(con, framework_ids),
        "duplicates": "excluded (non-canonical postings of posting_clusters)",
        "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    }


def _prepare(con: duckdb.DuckDBPyConnection,
             filters: Filters | None) -> tuple[Filters, dict[str, Any]]:
    filters = filters or Filters()
    return filters, resolve_filters(con, filters)


def top_skills(con: duckdb.DuckDBPyConnection, filters: Filters | None = None,
               limit: int | None = 20,
               framework: str | None = None) -> tuple[list[Row], dict[str, Any]]:
    """Skills in the most filtered postings: framework_id, skill_id, label, skill_type,
    postings, share (of all filtered postings). limit=None returns every skill."""
    filters, params = _prepare(con, filters)
    found = run(con, "top_skills",
                {**sql_params(params), "framework": framework, "limit": limit})
    frameworks = [framework] if framework else [r["framework_id"] for r in found]
    meta = _meta(con, filters, params, "top_skills", frameworks)
    meta["limit"] = limit
    return found, meta


def skill_period_counts(con: duckdb.DuckDBPyConnection, filters: Filters | None = None,
                        framework: str | None = None) -> list[Row]:
    """Per skill per month: postings mentioning it and total filtered postings that month."""
    _, params = _prepare(con, filters)
    return run(con, "skill_period_counts", {**sql_params(params), "framework": framework})


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _month_start(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def emerging_skills(con: duckdb.DuckDBPyConnection, filters: Filters | None = None, *,
                    recent_months: int = 3, baseline_months: int = 12, min_count: int = 20,
                    alpha: float = 0.05, limit: int | None = 20, framework: str | None = None,
                    include_all: bool = False) -> tuple[list[Row], dict[str, Any]]:
    """Skills whose share of postings grew significantly in the recent window.

    Windows are calendar months ending with the month of the latest filtered posting:
    recent = the last `recent_months` months (up to that posting), baseline = the
    `baseline_months` months before. Skills with >= `min_count` recent postings are tested
    (one-sided two-proportion z-test, Benjamini-Hochberg across tested skills); significant
    means q <= alpha and a higher recent share. include_all=True keeps non-significant ones.
    """
    if recent_months < 1 or baseline_months < 1:
        raise ValueError("recent_months and baseline_months must be >= 1")
    filters, params = _prepare(con, filters)
    meta = _meta(con, filters, params, "emerging_skills", [framework] if framework else [])
    meta |= {"recent_months": recent_months, "baseline_months": baseline_months,
             "min_count": min_count, "alpha": alpha,
             "test": "one-sided two-proportion z-test, Benjamini-Hochberg FDR"}
    last = meta["last_posted"]
    if last is None:
        meta["note"] = "no postings match these filters"
        return [], meta
    end = _month_index(last)
    recent_from, base_from = end - recent_months + 1, end - recent_months - baseline_months + 1
    meta["recent_window"] = [_month_start(recent_from), last]
    meta["baseline_window"] = [_month_start(base_from),
                               _month_start(recent_from) - dt.timedelta(days=1)]
    totals = run(con, "month_totals", sql_params(params))
    n_recent = sum(t["total_postings"] for t in totals if _month_index(t["month"]) >= recent_from)
    n_base = sum(t["total_postings"] for t in totals
                 if base_from <= _month_index(t["month"]) < recent_from)
    meta |= {"recent_postings": n_recent, "baseline_postings": n_base}
    if n_base == 0:
        meta["note"] = ("no postings in the baseline window: emerging skills need history "
                        "before the recent window")
        return [], meta
    counts: dict[tuple[str, str], list] = {}
    for r in skill_period_counts(con, filters, framework):
        month = _month_index(r["month"])
        slot = counts.setdefault((r["framework_id"], r["skill_id"]), [r["label"], 0, 0])
        if month >= recent_from:
            slot[1] += r["postings"]
        elif month >= base_from:
            slot[2] += r["postings"]
    results = rank_emerging(
        [WindowCounts(k, label, rec, base) for k, (label, rec, base) in counts.items()],
        n_recent, n_base, min_count=min_count, alpha=alpha)
    meta["frameworks"] = _frameworks(con, [k[0] for k in counts])
    meta["tested"] = len(results)
    meta["significant"] = sum(r.significant for r in results)
    keep = results if include_all else [r for r in results if r.significant]
    out = [{
        "framework_id": r.key[0], "skill_id": r.key[1], "label": r.label,
        "baseline_share": r.baseline_share, "recent_share": r.recent_share, "growth": r.growth,
        "z": r.z, "p": r.p, "q": r.q, "recent_count": r.recent_count,
        "baseline_count": r.baseline_count, "significant": r.significant,
    } for r in keep]
    return out[:limit] if limit else out, meta


def alignment_score(shares: Iterable[float], in_demand_share: float) -> float:
    """Demand-graded alignment of one credential, in [0, 1].

    alignment = (1/|C|) * sum over the credential's mapped skills s of min(1, d_s / tau),
    where d_s is the share of filtered postings mentioning s and tau = in_demand_share.
    A skill at or above the in-demand threshold counts fully, a rarer one in proportion to
    its demand, one no posting mentions counts 0. 0.0 for a credential with no mapped skill.
    """
    values = [min(1.0, (d or 0.0) / in_demand_share) for d in shares]
    return sum(values) / len(values) if values else 0.0


def gap_report(con: duckdb.DuckDBPyConnection, filters: Filters | None = None, *,
               limit: int = 20, in_demand_share: float = 0.01, include_emerging: bool = True,
               recent_months: int = 3, baseline_months: int = 12, min_count: int = 20,
               alpha: float = 0.05) -> dict[str, Any]:
    """Where the catalogue meets demand. Returns {"skills": rows, "credentials": rows, "meta"}.

    skills: the `limit` most demanded skills plus every significantly emerging one, each with
    coverage = covered (a credential is mapped to it) | partly covered (a credential is mapped
    to a skill with the same parent in the framework hierarchy, or to its parent or child) |
    uncovered.
    credentials: per microcredential, its mapped skills, how many are in demand (share of
    filtered postings >= in_demand_share), share_in_demand = in_demand / mapped, alignment
    (see `alignment_score`) and reach = share of filtered postings mentioning any mapped skill.
    """
    filters = filters or Filters()
    demand, meta = top_skills(con, filters, limit=None)
    meta["report"] = "gap_report"
    meta |= {"limit": limit, "in_demand_share": in_demand_share}
    chosen = {(r["framework_id"], r["skill_id"]): {**r, "rank": i + 1, "emerging": False,
                                                   "growth": None}
              for i, r in enumerate(demand[:limit])}
    if include_emerging:
        emerging, emeta = emerging_skills(
            con, filters, recent_months=recent_months, baseline_months=baseline_months,
            min_count=min_count, alpha=alpha, limit=None)
        meta["emerging"] = {k: emeta.get(k) for k in (
            "recent_window", "baseline_window", "tested", "significant", "min_count", "alpha",
            "note") if emeta.get(k) is not None}
        ranks = {(r["framework_id"], r["skill_id"]): (i + 1, r) for i, r in enumerate(demand)}
        for e in emerging:
            key = (e["framework_id"], e["skill_id"])
            rank, base = ranks[key]
            row = chosen.setdefault(key, {**base, "rank": rank})
            row |= {"emerging": True, "growth": e["growth"]}
    params = resolve_filters(con, filters)
    coverage = {(c["framework_id"], c["skill_id"]): c
                for c in run(con, "gap_skill_coverage", sql_params(params))}
    skills = []
    for key, r in chosen.items():
        cov = coverage.get(key, {"covered_by": [], "related_by": []})
        status = ("covered" if cov["covered_by"] else
                  "partly covered" if cov["related_by"] else "uncovered")
        skills.append({
            "rank": r["rank"], "label": r["label"], "postings": r["postings"],
            "share": r["share"], "emerging": r["emerging"], "growth": r["growth"],
            "coverage": status, "covered_by": cov["covered_by"],
            "related_by": cov["related_by"] if status == "partly covered" else [],
            "framework_id": key[0], "skill_id": key[1],
        })
    credentials = _credential_rows(con, params, in_demand_share, meta["postings"])
    meta["coverage"] = {s: sum(r["coverage"] == s for r in skills)
                        for s in ("covered", "partly covered", "uncovered")}
    meta["credentials"] = len(credentials)
    return {"skills": skills, "credentials": credentials, "meta": meta}


def _credential_rows(con: duckdb.DuckDBPyConnection, params: dict[str, Any],
                     in_demand_share: float, total: int) -> list[Row]:
    reach = {r["credential_id"]: r["postings_reached"]
             for r in run(con, "credential_reach", sql_params(params))}
    grouped: dict[str, Row] = {}
    for r in run(con, "credential_alignment", sql_params(params)):
        c = grouped.setdefault(r["credential_id"], {
            "credential_id": r["credential_id"], "title": r["title"], "provider": r["provider"],
            "_skills": []})
        if r["skill_id"] is not None:
            c["_skills"].append(r)
    out = []
    for c in grouped.values():
        mapped = c.pop("_skills")
        hot = [s for s in mapped if (s["share"] or 0) >= in_demand_share]
        out.append({
            **c,
            "mapped_skills": len(mapped),
            "in_demand_skills": len(hot),
            "share_in_demand": len(hot) / len(mapped) if mapped else 0.0,
            "alignment": alignment_score([s["share"] or 0 for s in mapped], in_demand_share),
            "reach": reach.get(c["credential_id"], 0) / total if total else 0.0,
            "in_demand": [s["label"] for s in hot[:5]],
            "not_in_demand": [s["label"] for s in mapped if s not in hot][:5],
        })
    return sorted(out, key=lambda r: (-r["alignment"], -r["reach"], r["title"]))
