"""Sector accuracy on a labelled posting file (industry, employer, title, snippet, label).

A row counts as right only when the answer equals the label; "unknown" (no sector above the
thresholds) is never right, so accuracy = coverage x accuracy on answered rows.
"""

from __future__ import annotations

from collections import Counter

import duckdb

from lmi.normalise.sector import (
    SectorEvidence,
    SectorResult,
    classify_sectors,
    employer_parent,
    sector_classifier,
)
from lmi.normalise.sector_hints import sector_of

REQUIRED = ("industry", "employer", "title", "description_snippet", "naics_sector")
SOURCES = ("industry", "employer", "classifier")


def evidence_kind(row: dict[str, str]) -> str:
    """What the row offers: an industry field, else an employer name, else only title and text."""
    if row.get("industry"):
        return "industry field"
    if row.get("employer"):
        return "employer, no industry"
    return "title + text only"


def _group(name: str, pairs: list[tuple[dict[str, str], SectorResult]]) -> dict:
    answered = [(r, res) for r, res in pairs if res.code]
    right = sum(res.code == sector_of(r["naics_sector"]) for r, res in answered)
    confusions = Counter(
        f"{sector_of(r['naics_sector'])}->{res.code or 'unknown'}"
        for r, res in pairs
        if res.code != sector_of(r["naics_sector"])
    )
    n = len(pairs)
    return {
        "group": name,
        "rows": n,
        "answered": len(answered),
        "coverage": round(len(answered) / n, 4) if n else 0.0,
        "accuracy": round(right / n, 4) if n else 0.0,
        "answered_accuracy": round(right / len(answered), 4) if answered else 0.0,
        "top_confusions": [f"{k} x{v}" for k, v in confusions.most_common(4)],
    }


def eval_sectors(
    rows: list[dict[str, str]], con: duckdb.DuckDBPyConnection | None = None
) -> tuple[list[dict], list[dict]]:
    """(summary rows: overall, per answering source, per evidence kind; the wrong rows)."""
    rows = [r for r in rows if r.get("naics_sector")]
    evidence = [
        SectorEvidence(
            r.get("industry") or None,
            r.get("employer") or None,
            r.get("title") or None,
            r.get("description_snippet") or None,
        )
        for r in rows
    ]
    results = classify_sectors(evidence, sector_classifier(con))
    pairs = list(zip(rows, results, strict=True))
    summary = [_group("overall", pairs)]
    for source in (*SOURCES, None):
        chosen = [(r, res) for r, res in pairs if res.source == source]
        if chosen:
            summary.append(_group(f"source: {source or 'none (unknown)'}", chosen))
    for kind in ("industry field", "employer, no industry", "title + text only"):
        chosen = [(r, res) for r, res in pairs if evidence_kind(r) == kind]
        if chosen:
            summary.append(_group(f"given: {kind}", chosen))
    listed = [(r, res) for r, res in pairs if r.get("employer") and employer_parent(r["employer"])]
    if listed:
        summary.append(_group("employer in employers.csv", listed))
    errors = [
        {
            "industry": r.get("industry", ""),
            "employer": r.get("employer", ""),
            "title": r.get("title", ""),
            "gold": sector_of(r["naics_sector"]),
            "answer": res.code or "unknown",
            "source": res.source or "",
            "confidence": res.confidence,
        }
        for r, res in pairs
        if res.code != sector_of(r["naics_sector"])
    ]
    return summary, errors
