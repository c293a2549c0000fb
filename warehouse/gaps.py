"""The microcredential gap report: demanded and emerging skills vs the catalogue, proposed new
microcredentials (clusters of uncovered skills that co-occur), and per credential its alignment
with demand, the trend of that demand, missing companion skills and fading skills.

Formulas are written out in docs/reports.md ("Gap report").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import duckdb

from lmi.warehouse.aggregates import credential_aggregates_fresh, sample_level
from lmi.warehouse.coskills import companion_skills
from lmi.warehouse.emerging import benjamini_hochberg, two_proportion_z
from lmi.warehouse.emerging_report import (
    emerging_skills,
    month_index,
    month_indexes,
    month_start,
)
from lmi.warehouse.filters import Filters, sql_params
from lmi.warehouse.reports import (
    DEFAULT_FLOOR,
    Row,
    prepare,
    run,
    run_arrays,
    suppress,
    top_skills,
)
from lmi.warehouse.snapshot import memo, one_snapshot

MAX_SIBLINGS = 12          # a parent with more children is a broad group, not "related"


def alignment_score(shares: Iterable[float], in_demand_share: float) -> float:
    """Demand-graded alignment of one credential, in [0, 1].

    alignment = (1/|C|) * sum over the credential's mapped skills s of min(1, d_s / tau),
    where d_s is the share of filtered jobs mentioning s and tau = in_demand_share.
    A skill at or above the in-demand threshold counts fully, a rarer one in proportion to
    its demand, one no posting mentions counts 0. 0.0 for a credential with no mapped skill.
    """
    values = [min(1.0, (d or 0.0) / in_demand_share) for d in shares]
    return sum(values) / len(values) if values else 0.0


def _components(nodes: list[str], edges: dict[tuple[str, str], float],
                threshold: float) -> list[list[str]]:
    parent = {n: n for n in nodes}

    def find(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for (a, b), lift in edges.items():
        if lift >= threshold:
            parent[find(a)] = find(b)
    groups: dict[str, list[str]] = defaultdict(list)
    for n in nodes:
        groups[find(n)].append(n)
    return [g for g in groups.values() if len(g) >= 2]


def cluster_skills(nodes: list[str], edges: dict[tuple[str, str], float], *,
                   min_lift: float = 1.5, max_size: int = 8) -> list[list[str]]:
    """Connected components of the co-occurrence graph with lift >= min_lift.

    A component larger than `max_size` is split again with the threshold raised by 50% until
    every part fits (single-linkage agglomerative clustering cut at the lowest lift that keeps
    clusters small). Singletons are not clusters.
    """
    out, todo = [], [(nodes, min_lift)]
    while todo:
        members, threshold = todo.pop()
        for comp in _components(members, edges, threshold):
            if len(comp) <= max_size:
                out.append(sorted(comp))
            else:
                inner = {k: v for k, v in edges.items() if k[0] in comp and k[1] in comp}
                todo.append((comp, threshold * 1.5 if inner else float("inf")))
    return sorted(out, key=lambda c: (-len(c), c))


def _coverage(con: duckdb.DuckDBPyConnection, keys: Iterable[tuple[str, str]],
              max_siblings: int) -> dict[tuple[str, str], Row]:
    wanted = [f"{f}|{s}" for f, s in keys]
    if not wanted:
        return {}
    return {(c["framework_id"], c["skill_id"]): c for c in run(
        con, "gap_skill_coverage", {"keys": wanted, "max_siblings": max_siblings})}


def proposals(con: duckdb.DuckDBPyConnection, params: dict[str, Any], uncovered: list[Row],
              total_jobs: int, *, min_pair: int = DEFAULT_FLOOR, min_lift: float = 1.5,
              max_size: int = 8) -> list[Row]:
    """Proposed new microcredentials: clusters of uncovered skills that co-occur in jobs.

    Edge a-b when both are mentioned in >= min_pair jobs with lift = N n_ab / (n_a n_b) >=
    min_lift. Each cluster has its skills, the jobs mentioning >= 2 of them (demand), and the
    occupations (noc_code) and sectors (naics_sector) those jobs are in.
    """
    by_key = {f"{r['framework_id']}|{r['skill_id']}": r for r in uncovered}
    if len(by_key) < 2 or not total_jobs:
        return []
    edges = {}
    for pair in run(con, "cooccurrence", {**sql_params(params), "keys": list(by_key),
                                          "min_pair": min_pair}):
        n_a, n_b = by_key[pair["key_a"]]["jobs_raw"], by_key[pair["key_b"]]["jobs_raw"]
        edges[(pair["key_a"], pair["key_b"])] = total_jobs * pair["jobs"] / (n_a * n_b)
    out = []
    for cluster in cluster_skills(list(by_key), edges, min_lift=min_lift, max_size=max_size):
        reach = run(con, "cluster_reach", {**sql_params(params), "keys": cluster})[0]
        lifts = [v for (a, b), v in edges.items() if a in cluster and b in cluster]
        skills = sorted((by_key[k] for k in cluster), key=lambda r: -r["jobs_raw"])
        out.append({
            "skills": [s["label"] for s in skills],
            "jobs": reach["jobs"], "share": reach["jobs"] / total_jobs,
            "mean_lift": sum(lifts) / len(lifts) if lifts else None,
            "emerging": [s["label"] for s in skills if s.get("emerging")],
            "occupations": reach["occupations"] or [], "sectors": reach["sectors"] or [],
            "skill_ids": [f"{s['framework_id']}:{s['skill_id']}" for s in skills],
        })
    return sorted(out, key=lambda r: -r["jobs"])


def _trend(series: dict[int, int], totals: dict[int, int], recent: list[int],
           base: list[int]) -> tuple[str, float | None, float]:
    """rising / stable / declining: two-sided z-test of recent vs baseline share (p < 0.05)."""
    x_r, n_r = sum(series.get(m, 0) for m in recent), sum(totals.get(m, 0) for m in recent)
    x_b, n_b = sum(series.get(m, 0) for m in base), sum(totals.get(m, 0) for m in base)
    if not n_r or not n_b:
        return "unknown", None, 1.0
    z, p = two_proportion_z(x_r, n_r, x_b, n_b, "two-sided")
    ratio = (x_r / n_r) / (x_b / n_b) if x_b else None
    return ("rising" if p < 0.05 and z > 0 else "declining" if p < 0.05 else "stable"), ratio, p


def _windows(con: duckdb.DuckDBPyConnection, params: dict[str, Any], last: dt.date | None,
             recent_months: int, baseline_months: int) -> tuple[list[int], list[int],
                                                                 dict[int, int]]:
    if last is None:
        return [], [], {}
    end = month_index(last)
    recent = list(range(end - recent_months + 1, end + 1))
    base = list(range(recent[0] - baseline_months, recent[0]))
    totals = {month_index(t["month"]): t["total_postings"]
              for t in run(con, "month_totals", sql_params(params))}
    return recent, base, totals


def credential_rows(con: duckdb.DuckDBPyConnection, params: dict[str, Any],
                    in_demand_share: float, total: int, last: dt.date | None, *,
                    recent_months: int = 3, baseline_months: int = 12,
                    alpha: float = 0.05) -> list[Row]:
    """Per credential: alignment, reach, demand trend, missing companion skills, fading skills."""
    grouped: dict[str, Row] = {}
    for r in run(con, "credential_alignment", sql_params(params)):
        c = grouped.setdefault(r["credential_id"], {
            "credential_id": r["credential_id"], "title": r["title"], "provider": r["provider"],
            "_skills": []})
        if r["skill_id"] is not None:
            c["_skills"].append(r)
    if not grouped:
        return []
    recent, base, totals = _windows(con, params, last, recent_months, baseline_months)
    fresh = bool(params.get("use_aggregates")) and memo(   # use_aggregates: posting tables fresh
        ("credential fresh", id(con)), lambda: credential_aggregates_fresh(con, True))
    level = sample_level(total)
    monthly: dict[str, dict[int, int]] = defaultdict(dict)
    skill_monthly: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    companions: dict[str, list[str]] = defaultdict(list)
    # a job has one month, so a credential's reach is the sum of its monthly reach
    for r in run(con, "credential_month_reach", {**sql_params(params), "from": None,
                                                 "use_aggregates": fresh}):
        monthly[r["credential_id"]][month_index(r["month"])] = r["jobs"]
    reach = {cid: sum(by_month.values()) for cid, by_month in monthly.items()}
    if base:
        wanted = {(s["framework_id"], s["skill_id"]) for c in grouped.values()
                  for s in c["_skills"]}
        found = run_arrays(con, "skill_period_counts", {
            **sql_params(params), "framework": None, "from": month_start(base[0])})
        for f, s, m, jobs in zip(found["framework_id"].tolist(), found["skill_id"].tolist(),
                                 month_indexes(found["month"]).tolist(),
                                 found["jobs"].tolist(), strict=True):
            if (f, s) in wanted:
                skill_monthly[(f, s)][m] = jobs
    if params.get("use_aggregates"):
        companion_rows = companion_skills(con, params, level=level, per=5, min_lift=1.2)
    else:
        companion_rows = run(con, "credential_coskills", {**sql_params(params), "per": 5,
                                                          "min_lift": 1.2, "min_jobs": 1,
                                                          "sample_mod": 2 ** level})
    for r in companion_rows:
        companions[r["credential_id"]].append(r["label"])
    fading = _fading(grouped, skill_monthly, totals, recent, base, alpha)
    out = []
    for cid, c in grouped.items():
        mapped = c.pop("_skills")
        hot = [s for s in mapped if (s["share"] or 0) >= in_demand_share]
        trend, ratio, _ = _trend(monthly.get(cid, {}), totals, recent, base)
        out.append({
            **c,
            "mapped_skills": len(mapped), "in_demand_skills": len(hot),
            "share_in_demand": len(hot) / len(mapped) if mapped else 0.0,
            "alignment": alignment_score([s["share"] or 0 for s in mapped], in_demand_share),
            "reach": reach.get(cid, 0) / total if total else 0.0,
            "demand_trend": trend, "trend_ratio": ratio,
            "in_demand": [s["label"] for s in hot[:5]],
            "not_in_demand": [s["label"] for s in mapped if s not in hot][:5],
            "missing_companions": companions.get(cid, []),
            "fading_skills": fading.get(cid, []),
        })
    return sorted(out, key=lambda r: (-r["alignment"], -r["reach"], r["title"]))


def _fading(grouped: dict[str, Row], skill_monthly: dict[tuple[str, str], dict[int, int]],
            totals: dict[int, int], recent: list[int], base: list[int],
            alpha: float) -> dict[str, list[str]]:
    """Mapped skills whose share fell significantly (one-sided z, BH over all mapped skills)."""
    n_r, n_b = sum(totals.get(m, 0) for m in recent), sum(totals.get(m, 0) for m in base)
    if not n_r or not n_b:
        return {}
    tests = []
    for cid, c in grouped.items():
        for s in c["_skills"]:
            series = skill_monthly.get((s["framework_id"], s["skill_id"]), {})
            x_r, x_b = sum(series.get(m, 0) for m in recent), sum(series.get(m, 0) for m in base)
            tests.append((cid, s["label"], two_proportion_z(x_r, n_r, x_b, n_b, "less")[1]))
    out: dict[str, list[str]] = defaultdict(list)
    for (cid, label, _), q in zip(tests, benjamini_hochberg([t[2] for t in tests]), strict=True):
        if q <= alpha:
            out[cid].append(label)
    return out


@one_snapshot
def gap_report(con: duckdb.DuckDBPyConnection, filters: Filters | None = None, *,
               limit: int = 20, in_demand_share: float = 0.01, include_emerging: bool = True,
               recent_months: int = 3, baseline_months: int = 12, min_count: int = 20,
               alpha: float = 0.05, floor: int = DEFAULT_FLOOR, max_siblings: int = MAX_SIBLINGS,
               proposal_pool: int = 60, min_lift: float = 1.5) -> dict[str, Any]:
    """Where the catalogue meets demand: {"skills", "proposals", "credentials", "meta"}.

    skills: the `limit` most demanded skills plus every emerging one, ranked by demand, each
    covered (a credential is mapped to it) | partly covered (a credential is mapped to a
    sibling under a specific parent, see gap_skill_coverage.sql) | uncovered.
    proposals: clusters of uncovered skills among the `proposal_pool` most demanded and the
    emerging ones (see `proposals`). credentials: see `credential_rows`.
    """
    filters = filters or Filters()
    demand, meta = top_skills(con, filters, limit=None, floor=0, with_lq=False)
    _, params = prepare(con, filters)
    meta.pop("reference", None)            # location quotients are not part of this report
    meta |= {"report": "gap_report", "limit": limit, "in_demand_share": in_demand_share,
             "floor": floor, "max_siblings": max_siblings}
    ranked = {(r["framework_id"], r["skill_id"]): {**r, "rank": i + 1, "emerging": False,
                                                   "growth": None, "tags": []}
              for i, r in enumerate(demand)}
    chosen = dict(list(ranked.items())[:limit])
    pool = dict(list(ranked.items())[:proposal_pool])
    if include_emerging:
        emerging, emeta = emerging_skills(
            con, filters, recent_months=recent_months, baseline_months=baseline_months,
            min_count=min_count, alpha=alpha, limit=None, include_phrases=False, snippets=0)
        meta["emerging"] = {k: emeta.get(k) for k in (
            "recent_window", "baseline_window", "tested", "significant", "min_count", "alpha",
            "note") if emeta.get(k) is not None}
        for e in emerging:
            key = (e["framework_id"], e["skill_id"])
            if key in ranked:
                ranked[key] |= {"emerging": True, "growth": e["growth"], "tags": e["tags"]}
                chosen[key] = pool[key] = ranked[key]
    coverage = _coverage(con, set(chosen) | set(pool), max_siblings)
    skills = []
    for key, r in sorted(chosen.items(), key=lambda kv: kv[1]["rank"]):
        cov = coverage.get(key, {"covered_by": [], "related_by": []})
        status = ("covered" if cov["covered_by"] else
                  "partly covered" if cov["related_by"] else "uncovered")
        skills.append({
            "rank": r["rank"], "label": r["label"], "postings": r["postings"], "jobs": r["jobs"],
            "share": r["share"], "emerging": r["emerging"], "growth": r["growth"],
            "tags": r["tags"], "coverage": status, "covered_by": cov["covered_by"],
            "related_by": cov["related_by"] if status == "partly covered" else [],
            "framework_id": key[0], "skill_id": key[1],
        })
    uncovered = [{**r, "jobs_raw": r["jobs"]} for key, r in pool.items()
                 if not coverage.get(key, {}).get("covered_by")
                 and not coverage.get(key, {}).get("related_by") and r["jobs"] >= floor]
    proposed = proposals(con, params, uncovered, meta["postings"], min_pair=max(floor, 1),
                         min_lift=min_lift)
    credentials = credential_rows(con, params, in_demand_share, meta["postings"],
                                  meta["last_posted"], recent_months=recent_months,
                                  baseline_months=baseline_months, alpha=alpha)
    meta["coverage"] = {s: sum(r["coverage"] == s for r in skills)
                        for s in ("covered", "partly covered", "uncovered")}
    meta["credentials"] = len(credentials)
    meta["proposals"] = len(proposed)
    return {"skills": suppress(skills, floor, meta["postings"]), "proposals": proposed,
            "credentials": credentials, "meta": meta}
