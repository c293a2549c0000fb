"""`lmi eval dedup`: precision, recall and F1 of posting deduplication on labelled pairs."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from lmi.cli.common import FormatOption
from lmi.cli.output import Format, fail, render


def load_pairs(path: Path) -> list[dict[str, Any]]:
    """Rows of a pairs JSONL file: {"a": posting, "b": posting, "label": 0|1, "case": str}."""
    pairs = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                missing = [k for k in ("a", "b") if "posting_id" not in row[k]]
                if missing or int(row["label"]) not in (0, 1):
                    raise ValueError(f"bad posting {missing} or label")
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{n}: not a labelled pair ({exc})") from exc
            pairs.append(row)
    return pairs


def _metrics(case: str, tp: int, fp: int, fn: int, tn: int) -> dict[str, Any]:
    """Scores of one case; precision/recall/F1 are None for a case without duplicates
    (negative-only cases are judged by accuracy = share of pairs kept apart)."""
    has_dups = tp + fn > 0
    precision = tp / (tp + fp) if has_dups and tp + fp else (0.0 if has_dups else None)
    recall = tp / (tp + fn) if has_dups else None
    f1 = (2 * precision * recall / (precision + recall) if precision and recall
          else (0.0 if has_dups else None))
    return {"case": case, "pairs": tp + fp + fn + tn, "dups": tp + fn, "tp": tp, "fp": fp,
            "fn": fn, "tn": tn, "precision": precision, "recall": recall, "f1": f1,
            "accuracy": (tp + tn) / (tp + fp + fn + tn)}


def evaluate_pairs(pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run the full clustering (exact keys, LSH, pair decision) on each pair; one row per case
    plus an 'ALL' row. A pair is predicted duplicate when both postings share a cluster."""
    from lmi.warehouse.dedup import find_duplicate_clusters

    counts: dict[str, list[int]] = {}
    for row in pairs:
        a, b = dict(row["a"]), dict(row["b"])
        if a["posting_id"] == b["posting_id"]:
            b["posting_id"] = f"{b['posting_id']}#b"
        clusters = find_duplicate_clusters([a, b])
        predicted = clusters[a["posting_id"]] == clusters[b["posting_id"]]
        cell = (0 if predicted else 2) if int(row["label"]) else (1 if predicted else 3)
        for case in (row.get("case") or "unlabelled", "ALL"):
            counts.setdefault(case, [0, 0, 0, 0])[cell] += 1
    return [_metrics(case, *counts[case]) for case in sorted(counts, key=lambda c: (c == "ALL", c))]


def register(eval_app: typer.Typer) -> None:
    """Attach `lmi eval dedup`."""

    @eval_app.command("dedup")
    def eval_dedup(
        dataset: Annotated[Path, typer.Option("--dataset", "-d", help="Labelled pairs (JSONL).")],
        fmt: FormatOption = Format.table,
    ) -> None:
        """Precision, recall and F1 of duplicate detection, overall and per case.

        Example: lmi eval dedup --dataset benchmarks/data/dedup_pairs.jsonl --format json
        """
        if not dataset.exists():
            raise fail(f"no dataset at {dataset}")
        try:
            pairs = load_pairs(dataset)
        except ValueError as exc:
            raise fail(str(exc)) from None
        if not pairs:
            raise fail(f"{dataset} has no pairs")
        start = time.perf_counter()
        result = evaluate_pairs(pairs)
        meta = {"dataset": str(dataset), "pairs": len(pairs),
                "seconds": round(time.perf_counter() - start, 2)}
        render(result, fmt, title="Posting deduplication", meta=meta)
