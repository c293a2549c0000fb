"""Pick the near-duplicate thresholds of lmi.warehouse.dedup on the TUNE half only.

    .venv/bin/python benchmarks/tune_dedup.py benchmarks/data/dedup_pairs.tune.jsonl
    .venv/bin/python benchmarks/tune_dedup.py --baseline   # text-only baseline, tune -> report

For each employer relation (same / hidden / other) it grid-searches the Jaccard and containment
cut-offs that minimise errors on pairs that reach the text decision (no exact key, no place
conflict, titles compatible); ties go to the stricter thresholds. Prints the values to copy into
dedup.py. Never run it on the report half.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections import defaultdict

from lmi.warehouse import dedup


def main(path: str) -> None:
    groups: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            fa, fb = dedup.features(row["a"]), dedup.features(row["b"])
            if set(fa.keys) & set(fb.keys):
                continue
            _, info = dedup.text_decision(fa, fb)
            if info["place_conflict"] or info["title"] < dedup.TITLE_MIN:
                continue
            groups[info["employer"]].append((info["jaccard"], info["containment"], row["label"]))
    grid_j = [round(0.30 + 0.025 * i, 3) for i in range(27)]
    grid_c = [round(0.50 + 0.025 * i, 3) for i in range(21)] + [1.01]
    for relation, pts in sorted(groups.items()):
        best = min(
            itertools.product(grid_j, grid_c),
            key=lambda jc: (sum((j >= jc[0] or c >= jc[1]) != bool(y) for j, c, y in pts),
                            -jc[0] - jc[1]))
        errors = sum((j >= best[0] or c >= best[1]) != bool(y) for j, c, y in pts)
        pos = sum(y for _, _, y in pts)
        print(f"{relation:7s} pairs={len(pts):4d} dup={pos:4d} jaccard>={best[0]} "
              f"containment>={best[1]} errors={errors}")


def _jaccard_rows(path: str) -> list[tuple[bool, float, int]]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            fa, fb = dedup.features(row["a"]), dedup.features(row["b"])
            jac, _ = dedup._overlap(fa.shingles, fb.shingles)
            out.append((bool(set(fa.keys) & set(fb.keys)), jac, row["label"]))
    return out


def _prf(rows: list[tuple[bool, float, int]], cut: float) -> tuple[float, float, float]:
    pred = [(exact or jac >= cut, y) for exact, jac, y in rows]
    tp = sum(p and y for p, y in pred)
    fp = sum(p and not y for p, y in pred)
    fn = sum(not p and y for p, y in pred)
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return precision, recall, 2 * precision * recall / max(precision + recall, 1e-9)


def baseline(tune: str, report: str) -> None:
    """Exact keys + one text-Jaccard cut-off (chosen on tune), scored on report."""
    tune_rows, report_rows = _jaccard_rows(tune), _jaccard_rows(report)
    cut = max((round(0.2 + 0.01 * i, 2) for i in range(80)), key=lambda c: _prf(tune_rows, c)[2])
    p, r, f = _prf(report_rows, cut)
    print(f"text-only baseline: jaccard>={cut} (tune F1={_prf(tune_rows, cut)[2]:.3f}) "
          f"report P={p:.3f} R={r:.3f} F1={f:.3f}")


if __name__ == "__main__":
    if "--baseline" in sys.argv:
        baseline("benchmarks/data/dedup_pairs.tune.jsonl", "benchmarks/data/dedup_pairs.jsonl")
    else:
        main(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/data/dedup_pairs.tune.jsonl")
