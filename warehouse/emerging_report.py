"""The emerging-skills report: monthly counts from the warehouse -> `rank_emerging` -> rows with
statistics, effect sizes, tags and evidence snippets. Out-of-framework phrases
(unlinked_phrases) are tested the same way, with framework_id 'phrase'."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import numpy as np

from lmi.warehouse.emerging import EmergingResult, SkillSeries, rank_emerging
from lmi.warehouse.filters import Filters, sql_params
from lmi.warehouse.reports import (
    Row,
    framework_versions,
    prepare,
    report_meta,
    run,
    run_arrays,
)

SNIPPET_CONTEXT = 70
EVIDENCE_PER = 3    # matches per skill and month kept in evidence_month_firsts
DIMENSIONS = ("province", "economic_region", "sector", "noc_prefix")


def month_index(day: dt.date) -> int:
    """Months since year 0: consecutive calendar months differ by 1."""
    return day.year * 12 + day.month - 1


def month_start(index: int) -> dt.date:
    """First day of the month with this `month_index`."""
    return dt.date(index // 12, index % 12 + 1, 1)


def snippet(description: str | None, start: int, end: int, matched: str) -> str:
    """The matched text with up to SNIPPET_CONTEXT characters of the description either side."""
    if not description or start < 0 or end > len(description) or start >= end:
        return matched
    lo, hi = max(0, start - SNIPPET_CONTEXT), min(len(description), end + SNIPPET_CONTEXT)
    text = (description[lo:start] + "[" + description[start:end] + "]" + description[end:hi])
    text = " ".join(text.split())
    return ("…" if lo else "") + text + ("…" if hi < len(description) else "")


def evidence(con: duckdb.DuckDBPyConnection, params: dict[str, Any], keys: list[str],
             since: dt.date, per: int = 3) -> dict[str, list[dict[str, Any]]]:
    """Up to `per` snippets per key ('framework_id|skill_id' or 'phrase|text') since `since`.

    One query for all keys: per key the matching filtered jobs with the smallest posting_id.
    """
    if not keys:
        return {}
    national = not any(params.get(k) for k in DIMENSIONS)
    fresh = bool(params.get("use_aggregates"))
    # national: evidence_month_firsts (agg_evidence.sql); filtered: the job-level aggregates
    name = "evidence_jobs" if fresh and not (national and per <= EVIDENCE_PER) else "evidence"
    out: dict[str, list[dict[str, Any]]] = {}
    for r in run(con, name, {**sql_params(params), "keys": keys, "from": since, "per": per,
                             "use_aggregates": fresh and name == "evidence",
                             "phrases": any(k.startswith("phrase|") for k in keys)}):
        out.setdefault(r["key"], []).append({
            "posting_id": r["posting_id"], "posted_on": r["posted_on"],
            "text": snippet(r["description"], r["start_char"], r["end_char"],
                            r["matched_text"])})
    return out


def month_indexes(days: np.ndarray) -> np.ndarray:
    """`month_index` of every date in a datetime64 array."""
    return days.astype("datetime64[M]").astype(np.int64) + 1970 * 12


def _series(found: dict[str, np.ndarray], months: list[int]) -> list[SkillSeries]:
    """One series per (framework_id, skill_id) of a result ordered by key, then month."""
    fw, skill = np.asarray(found["framework_id"]), np.asarray(found["skill_id"])
    if not fw.size:
        return []
    first = np.r_[True, (fw[1:] != fw[:-1]) | (skill[1:] != skill[:-1])]
    starts, group = np.flatnonzero(first), np.cumsum(first) - 1
    position = month_indexes(np.asarray(found["month"])) - months[0]
    inside = (position >= 0) & (position < len(months))
    counts = np.zeros((starts.size, len(months)), dtype=np.int64)
    np.add.at(counts, (group[inside], position[inside]), np.asarray(found["jobs"])[inside])
    labels = np.asarray(found["label"])[starts]
    return [SkillSeries((fw[i], skill[i]), label, tuple(c))
            for i, label, c in zip(starts.tolist(), labels.tolist(), counts.tolist(),
                                   strict=True)]


def _spreading(con: duckdb.DuckDBPyConnection, params: dict[str, Any], keys: list[str],
               recent_from: int, recent_months: int) -> set[str]:
    """Keys used in at least 2 more provinces or 2 more sectors than in the previous window."""
    if not keys:
        return set()
    found = run(con, "skill_breadth", {
        **sql_params(params), "keys": keys, "recent_from": month_start(recent_from),
        "prior_from": month_start(recent_from - recent_months)})
    return {r["key"] for r in found
            if r["provinces_recent"] - r["provinces_prior"] >= 2
            or r["sectors_recent"] - r["sectors_prior"] >= 2}


def _row(r: EmergingResult, months: list[int]) -> Row:
    return {
        "framework_id": r.key[0], "skill_id": r.key[1], "label": r.label,
        "source": "unlinked phrase" if r.key[0] == "phrase" else "framework",
        "baseline_share": r.baseline_share, "recent_share": r.recent_share,
        "growth": r.growth, "share_diff": r.share_diff, "z": r.z, "p": r.p, "q": r.q,
        "trend_z": r.trend_z, "trend_p": r.trend_p, "months_above": r.months_above,
        "persistent": r.persistent, "recent_count": r.recent_count,
        "baseline_count": r.baseline_count, "significant": r.significant, "tags": list(r.tags),
        "monthly_share": [{"month": month_start(m), "share": s}
                          for m, s in zip(months, r.shares, strict=True)],
    }


def emerging_skills(con: duckdb.DuckDBPyConnection, filters: Filters | None = None, *,
                    recent_months: int = 3, baseline_months: int = 12, min_count: int = 20,
                    alpha: float = 0.05, limit: int | None = 20, framework: str | None = None,
                    include_all: bool = False, include_phrases: bool = True,
                    persistence: int | None = None,
                    snippets: int = 3) -> tuple[list[Row], dict[str, Any]]:
    """Skills (and unlinked phrases) that meet the emerging definition of `lmi.warehouse.emerging`.

    Windows are calendar months ending with the month of the latest filtered posting: recent =
    the last `recent_months` months, baseline = the `baseline_months` before. Each row has the
    statistics (z, p, q, trend_z), the effect (growth, share_diff), tags (new, spreading,
    accelerating), the monthly shares and up to `snippets` evidence snippets.
    include_all=True also returns tested skills that are not emerging.
    """
    if recent_months < 1 or baseline_months < 1:
        raise ValueError("recent_months and baseline_months must be >= 1")
    filters, params = prepare(con, filters)
    meta = report_meta(con, filters, params, "emerging_skills", [framework] if framework else [])
    meta |= {"recent_months": recent_months, "baseline_months": baseline_months,
             "min_count": min_count, "alpha": alpha,
             "persistence": min(persistence or recent_months, recent_months),
             "test": "one-sided two-proportion z-test of recent vs baseline share with a "
                     "month-to-month noise allowance, and Cochran-Armitage trend test, both "
                     "Benjamini-Hochberg q <= alpha; share above baseline in each of the last "
                     "`persistence` months (docs/reports.md)"}
    last = meta["last_posted"]
    if last is None:
        meta["note"] = "no postings match these filters"
        return [], meta
    end = month_index(last)
    recent_from, base_from = end - recent_months + 1, end - recent_months - baseline_months + 1
    months = list(range(base_from, end + 1))
    meta["recent_window"] = [month_start(recent_from), last]
    meta["baseline_window"] = [month_start(base_from),
                               month_start(recent_from) - dt.timedelta(days=1)]
    totals_by = {month_index(t["month"]): t["total_postings"]
                 for t in run(con, "month_totals", sql_params(params))}
    totals = [totals_by.get(m, 0) for m in months]
    n_recent, n_base = sum(totals[-recent_months:]), sum(totals[:-recent_months])
    meta |= {"recent_postings": n_recent, "baseline_postings": n_base}
    if n_base == 0 or n_recent == 0:
        meta["note"] = ("no postings in the baseline window: emerging skills need history "
                        "before the recent window")
        return [], meta
    query = {**sql_params(params), "framework": framework, "from": month_start(base_from),
             "min_total": min_count}
    series = _series(run_arrays(con, "skill_period_counts", query), months)
    if include_phrases and framework is None:
        series += _series(run_arrays(con, "phrase_period_counts", query), months)
    results = rank_emerging(series, totals, recent_months, min_count=min_count,
                            alpha=alpha, persistence=persistence)
    meta["frameworks"] = framework_versions(
        con, {k[0] for k in (r.key for r in results) if k[0] != "phrase"})
    meta["tested"] = len(results)
    meta["tested_phrases"] = sum(r.key[0] == "phrase" for r in results)
    meta["significant"] = sum(r.significant for r in results)
    keep = results if include_all else [r for r in results if r.significant]
    keep = keep[:limit] if limit else keep
    out = [_row(r, months) for r in keep]
    keys = [f"{r['framework_id']}|{r['skill_id']}" for r in out]
    spread = _spreading(con, params, [k for k, r in zip(keys, out, strict=True)
                                      if r["significant"]], recent_from, recent_months)
    notes = evidence(con, params, keys, month_start(recent_from), snippets) if snippets else {}
    for key, r in zip(keys, out, strict=True):
        if key in spread:
            r["tags"] = sorted([*r["tags"], "spreading"])
        r["evidence"] = notes.get(key, [])
    return out, meta
