"""Crosswalks between frameworks: occupation crosswalk files and equivalent skills.

Equivalents pair each skill of one loaded framework with its closest skills in another: the best
label-to-label cosine (MiniLM, every preferred and alternative label of both), classed as
`same_label` (a label in common once case, spacing and punctuation are ignored), `close`
(cosine >= CLOSE) or `related` (>= RELATED). Where an occupation crosswalk is loaded (Nesta's
ESCO -> O*NET-SOC file in ../shared/data/crosswalks, or any file in the generic format), every
pair also counts the crosswalked occupations that ask for both skills: independent evidence
that the two are used for the same work.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from lmi.nlp.embeddings import Encoder, LabelIndex, get_encoder
from lmi.warehouse.db import rows, sql

CLOSE = 0.85
RELATED = 0.75
TOP = 3
OVERFETCH = 2          # extra candidates per skill, for tie-breaking
CHUNK_LABELS = 4096
Progress = Callable[[int, int], None]
# (framework, skill, other framework, other skill, rank, match, similarity, matched label,
#  other matched label, shared occupations, occupations)
Record = tuple[str, str, str, str, int, str, float, str, str, int, int]

# (required columns, source framework, source column, target framework, target column, confidence)
_FORMATS: list[tuple[set[str], str | None, str, str | None, str, str | None]] = [
    ({"concept_uri", "onet_code"}, "esco", "concept_uri", "onet", "onet_code", "confidence"),
    ({"noc", "onet"}, "noc2016", "noc", "onet", "onet", None),
    ({"source_framework", "source_code", "target_framework", "target_code"},
     None, "source_code", None, "target_code", "confidence"),
]


def _crosswalk_pairs(path: Path) -> tuple[list[tuple[str, str, str, str, float | None]], str]:
    """(source fw, source code, target fw, target code, confidence) rows and the format name."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = set(reader.fieldnames or [])
        chosen = next((f for f in _FORMATS if f[0] <= header), None)
        if chosen is None:
            raise ValueError(
                f"{path}: unknown crosswalk format (columns {sorted(header)}); expected Nesta "
                "ESCO->O*NET (concept_uri, onet_code), NOC->O*NET (noc, onet) or generic "
                "(source_framework, source_code, target_framework, target_code[, confidence])")
        _, src_fw, src_col, dst_fw, dst_col, conf_col = chosen
        out = []
        for line, rec in enumerate(reader, start=2):
            source, target = (rec.get(src_col) or "").strip(), (rec.get(dst_col) or "").strip()
            sfw = src_fw or (rec.get("source_framework") or "").strip()
            tfw = dst_fw or (rec.get("target_framework") or "").strip()
            if not (source and target and sfw and tfw):
                raise ValueError(f"{path}: line {line}: empty code or framework")
            raw = (rec.get(conf_col) or "").strip() if conf_col else ""
            try:
                confidence = float(raw) if raw else None
            except ValueError:
                raise ValueError(f"{path}: line {line}: confidence {raw!r} is not a number"
                                 ) from None
            out.append((sfw, source, tfw, target, confidence))
    name = "generic" if src_fw is None else f"{src_fw}->{dst_fw}"
    return out, name


def import_crosswalk(con: duckdb.DuckDBPyConnection, path: str | Path, *,
                     crosswalk_id: str | None = None) -> dict[str, Any]:
    """Load an occupation crosswalk CSV (replacing one of the same id); returns its list row."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no crosswalk file at {path}")
    pairs, _ = _crosswalk_pairs(path)
    if not pairs:
        raise ValueError(f"{path}: no rows")
    crosswalk_id = crosswalk_id or path.stem
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(sql("crosswalks/delete_crosswalk"), {"crosswalk_id": crosswalk_id})
        groups: dict[tuple[str, str], list[tuple[str, str, float | None]]] = {}
        for sfw, source, tfw, target, confidence in pairs:
            groups.setdefault((sfw, tfw), []).append((source, target, confidence))
        for (sfw, tfw), group in groups.items():
            con.execute(sql("crosswalks/insert_crosswalk"), {
                "crosswalk_id": crosswalk_id, "source_framework": sfw, "target_framework": tfw,
                "source_code": [g[0] for g in group], "target_code": [g[1] for g in group],
                "confidence": [g[2] for g in group]})
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return next(r for r in list_crosswalks(con) if r["crosswalk_id"] == crosswalk_id)


def list_crosswalks(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Loaded crosswalks: pairs and how many of their codes have skills in the frameworks."""
    return rows(con, sql("crosswalks/list"))


def normalise_label(label: str) -> str:
    """Case, spacing and punctuation folded: 'Microsoft  Excel.' -> 'microsoft excel'."""
    return " ".join(re.findall(r"[a-z0-9+#]+", label.lower()))


def _best_pairs(a: LabelIndex, b: LabelIndex, top: int, floor: float,
                progress: Progress | None) -> tuple[list[tuple[int, int, float]],
                                                    list[tuple[int, int, float]]]:
    """Top skill pairs by max label cosine: (a skill, b skill, sim) best-first per a and per b."""
    n_a, n_b = len(a.skills), len(b.skills)
    if not n_a or not n_b:
        return [], []
    k_a, k_b = min(top, n_b), min(top, n_a)
    best_b_score = np.full((n_b, k_b), -np.inf, np.float32)
    best_b_skill = np.zeros((n_b, k_b), np.int64)
    by_a: list[tuple[int, int, float]] = []
    ends = np.append(a.skill_starts, len(a))
    skill = 0
    while skill < n_a:
        last = int(np.searchsorted(ends, ends[skill] + CHUNK_LABELS, side="right")) - 1
        last = max(last, skill + 1)                       # skills [skill, last) in this chunk
        lo, hi = int(ends[skill]), int(ends[last])
        sims = a.vectors[lo:hi] @ b.vectors.T
        per_b = np.maximum.reduceat(sims, b.skill_starts, axis=1)
        per_pair = np.maximum.reduceat(per_b, a.skill_starts[skill:last] - lo, axis=0)
        top_b = np.argpartition(-per_pair, k_a - 1, axis=1)[:, :k_a]
        for row, cols in enumerate(top_b):
            scores = per_pair[row, cols]
            for col in cols[np.argsort(-scores, kind="stable")]:
                if per_pair[row, col] >= floor:
                    by_a.append((skill + row, int(col), float(per_pair[row, col])))
        k = min(k_b, len(per_pair))
        top_a = np.argpartition(-per_pair, k - 1, axis=0)[:k]          # (k, n_b)
        cand_score = np.vstack([best_b_score.T, np.take_along_axis(per_pair, top_a, axis=0)])
        cand_skill = np.vstack([best_b_skill.T, top_a + skill])
        keep = np.argsort(-cand_score, axis=0, kind="stable")[:k_b]
        best_b_score = np.take_along_axis(cand_score, keep, axis=0).T.copy()
        best_b_skill = np.take_along_axis(cand_skill, keep, axis=0).T.copy()
        skill = last
        if progress:
            progress(skill, n_a)
    by_b = [(int(best_b_skill[j, r]), j, float(best_b_score[j, r]))
            for j in range(n_b) for r in range(k_b) if best_b_score[j, r] >= floor]
    return by_a, by_b


def _label_keys(index: LabelIndex) -> list[set[str]]:
    keys: list[set[str]] = [set() for _ in index.skills]
    ends = np.append(index.skill_starts, len(index))
    for i in range(len(index.skills)):
        keys[i] = {normalise_label(index.labels[r]) for r in range(ends[i], ends[i + 1])} - {""}
    return keys


def _support(con: duckdb.DuckDBPyConnection, framework_a: str, framework_b: str,
             pairs: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int]]:
    if not pairs:
        return {}
    found = con.execute(sql("crosswalks/occupation_support"), {
        "framework_a": framework_a, "framework_b": framework_b,
        "skill_a": [p[0] for p in pairs], "skill_b": [p[1] for p in pairs]}).fetchall()
    return {(a, b): (shared, total) for a, b, shared, total in found}


def compute_equivalents(con: duckdb.DuckDBPyConnection, framework_a: str, framework_b: str,
                        encoder: Encoder | None = None, *, top: int = TOP,
                        min_similarity: float = RELATED,
                        progress: Progress | None = None) -> dict[str, Any]:
    """Find and store the equivalents between two loaded frameworks, both directions.

    Each skill keeps its `top` best skills of the other framework with label cosine >=
    min_similarity. Returns counts per match class and direction.
    """
    if framework_a == framework_b:
        raise ValueError("pick two different frameworks")
    encoder = encoder or get_encoder()
    index_a = LabelIndex.build(con, framework_a, encoder)
    index_b = LabelIndex.build(con, framework_b, encoder)
    by_a, by_b = _best_pairs(index_a, index_b, top + OVERFETCH, min_similarity, progress)
    records: list[Record] = []
    summary: dict[str, Any] = {"from": framework_a, "to": framework_b}
    for pairs, src_index, dst_index, flip in ((by_a, index_a, index_b, False),
                                              (by_b, index_b, index_a, True)):
        oriented = [(j, i, sim) if flip else (i, j, sim) for i, j, sim in pairs]
        src, dst = src_index.framework_id, dst_index.framework_id
        found = _direction(con, src_index, dst_index, oriented, top)
        records.extend(found)
        counts = {m: sum(1 for r in found if r[5] == m) for m in ("same_label", "close", "related")}
        summary[f"{src}->{dst}"] = {
            **counts, "skills": len(src_index.skills),
            "skills_with_equivalent": len({r[1] for r in found}),
            "pairs_with_shared_occupation": sum(1 for r in found if r[9] > 0)}
    _store(con, framework_a, framework_b, records)
    return summary


def _direction(con: duckdb.DuckDBPyConnection, src: LabelIndex, dst: LabelIndex,
               pairs: list[tuple[int, int, float]], top: int
               ) -> list[Record]:
    """One direction's records: candidates ordered by label cosine (ties within 0.001 broken by
    shared occupations, then by preferred-label cosine), `top` kept per skill."""
    ids = [(src.skills[i], dst.skills[j]) for i, j, _ in pairs]
    support = _support(con, src.framework_id, dst.framework_id, ids)
    src_keys, dst_keys = _label_keys(src), _label_keys(dst)
    src_pref, dst_pref = src.vectors[src.skill_starts], dst.vectors[dst.skill_starts]
    by_skill: dict[int, list[tuple[float, int, float, int, float]]] = {}
    for (i, j, sim), key in zip(pairs, ids, strict=True):
        shared, _ = support.get(key, (0, 0))
        pref = float(src_pref[i] @ dst_pref[j])
        by_skill.setdefault(i, []).append((round(sim, 3), shared, pref, j, sim))
    out = []
    for i, cands in by_skill.items():
        cands.sort(key=lambda c: (-c[0], -c[1], -c[2]))
        for rank, (_, shared, _, j, sim) in enumerate(cands[:top], start=1):
            if src_keys[i] & dst_keys[j]:
                match = "same_label"
            else:
                match = "close" if sim >= CLOSE else "related"
            total = support.get((src.skills[i], dst.skills[j]), (0, 0))[1]
            label, other = _matched_labels(src, dst, i, j)
            out.append((src.framework_id, src.skills[i], dst.framework_id, dst.skills[j], rank,
                        match, min(sim, 1.0), label, other, shared, total))
    return out


def _matched_labels(src: LabelIndex, dst: LabelIndex, i: int, j: int) -> tuple[str, str]:
    """The label of skill i and of skill j whose cosine is the pair's similarity."""
    src_end = src.skill_starts[i + 1] if i + 1 < len(src.skills) else len(src)
    dst_end = dst.skill_starts[j + 1] if j + 1 < len(dst.skills) else len(dst)
    sims = src.vectors[src.skill_starts[i]:src_end] @ dst.vectors[dst.skill_starts[j]:dst_end].T
    row, col = np.unravel_index(int(np.argmax(sims)), sims.shape)
    return src.labels[src.skill_starts[i] + row], dst.labels[dst.skill_starts[j] + col]


def _store(con: duckdb.DuckDBPyConnection, framework_a: str, framework_b: str,
           records: list[Record]) -> None:
    names = ["framework_id", "skill_id", "other_framework_id", "other_skill_id", "rank", "match",
             "similarity", "matched_label", "other_matched_label", "shared_occupations",
             "occupations"]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(sql("crosswalks/delete_equivalents"),
                    {"framework_a": framework_a, "framework_b": framework_b})
        if records:
            columns = {name: [r[k] for r in records] for k, name in enumerate(names)}
            con.execute(sql("crosswalks/insert_equivalents"), columns)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def find_skill(con: duckdb.DuckDBPyConnection, framework_id: str, query: str
               ) -> dict[str, Any] | None:
    """A framework's skill by id, preferred or alternative label (case-insensitive)."""
    found = rows(con, sql("crosswalks/find_skill"), {"framework_id": framework_id,
                                                     "query": query})
    return found[0] if found else None


def equivalents_of(con: duckdb.DuckDBPyConnection, framework_id: str, skill_id: str
                   ) -> list[dict[str, Any]]:
    """A skill's stored equivalents in every other framework, best first per framework."""
    return rows(con, sql("crosswalks/skill_equivalents"),
                {"framework_id": framework_id, "skill_id": skill_id})


def equivalents_between(con: duckdb.DuckDBPyConnection, framework_id: str,
                        other_framework_id: str, *, match: str | None = None,
                        max_rank: int = 1, limit: int = 50) -> list[dict[str, Any]]:
    """Stored pairs from one framework to another, most similar first."""
    return rows(con, sql("crosswalks/equivalents_between"), {
        "framework_id": framework_id, "other_framework_id": other_framework_id,
        "match": match, "max_rank": max_rank, "limit": limit})


EQUIVALENT_FIELDS = ("equivalent", "equivalent_match", "equivalent_similarity", "equivalent_id")


def attach_equivalents(con: duckdb.DuckDBPyConnection, found: list[dict[str, Any]],
                       other_framework_id: str) -> list[dict[str, Any]]:
    """Report rows (framework_id, skill_id) with their best equivalent in another framework.

    Adds EQUIVALENT_FIELDS (None where no equivalent is stored). Raises KeyError when no
    equivalents into that framework are stored at all.
    """
    stored = con.execute("SELECT count(*) FROM skill_equivalents WHERE other_framework_id = ?",
                         [other_framework_id]).fetchone()[0]
    if not stored:
        raise KeyError(f"no equivalents into {other_framework_id!r} stored: run "
                       f"`lmi frameworks match <framework> {other_framework_id}`")
    keys = sorted({f"{r['framework_id']}|{r['skill_id']}" for r in found
                   if r.get("skill_id") is not None})
    best = {(r["framework_id"], r["skill_id"]): r for r in rows(
        con, sql("crosswalks/best_equivalents"),
        {"other_framework_id": other_framework_id, "keys": keys})}
    empty = dict.fromkeys(EQUIVALENT_FIELDS)
    out = []
    for r in found:
        match = best.get((r.get("framework_id"), r.get("skill_id")))
        out.append({**r, **({k: match[k] for k in EQUIVALENT_FIELDS} if match else empty)})
    return out
