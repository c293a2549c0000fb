"""`lmi eval linking` / `lmi eval extraction`: skill linking and extraction on ESCO-linking CSVs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lmi.cli.common import DEFAULT_DB, DbOption, FormatOption
from lmi.cli.output import Format, fail, render

DatasetOption = Annotated[
    Path, typer.Option("--dataset", "-d", help="CSV with columns sentence,span,sub_span,label.")
]
FrameworkOption = Annotated[str, typer.Option("--framework", help="Framework id in the warehouse.")]


def _open(db: Path) -> Any:
    from lmi.warehouse.db import WarehouseError, connect

    try:
        return connect(db, create=False, read_only=True)
    except WarehouseError as exc:
        raise fail(f"{exc} Then import a framework: `lmi frameworks import esco PATH`.") from exc


def _rows(result: dict[str, Any], metrics: list[str]) -> list[dict[str, Any]]:
    return [{"metric": m, "value": result[m]} for m in metrics]


def linking(
    dataset: DatasetOption,
    framework: FrameworkOption = "esco",
    mode: Annotated[str, typer.Option(
        "--mode", help="sentence: rank with the sentence (published protocol); "
                       "spans: rank the annotated spans and fuse (oracle-span diagnostic).")
    ] = "sentence",
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = Format.table,
) -> None:
    """Rank all framework skills per sentence; report RP@1/5/10 (%) and MRR.

    Example:

        lmi eval linking --dataset ../shared/bench/esco-linking-dev/tech_validation_annotations.csv
    """
    from lmi.nlp.evaluation import EvaluationError, evaluate_linking

    if mode not in ("sentence", "spans"):
        raise fail("--mode must be 'sentence' or 'spans'")
    con = _open(db)
    try:
        result = evaluate_linking(con, dataset, framework_id=framework, mode=mode)
    except EvaluationError as exc:
        raise fail(str(exc)) from exc
    finally:
        con.close()
    meta = {"dataset": str(dataset), "framework": framework, "mode": mode,
            "n_sentences": result["n_sentences"], "n_gold": result["n_gold"],
            "labels_not_in_framework": result["n_labels_not_in_framework"]}
    render(_rows(result, ["rp@1", "rp@5", "rp@10", "mrr", "n_sentences"]), fmt,
           title="Skill linking", meta=meta)


def extraction(
    dataset: DatasetOption,
    framework: FrameworkOption = "esco",
    threshold: Annotated[float | None, typer.Option(
        "--threshold", min=0.0, max=1.0,
        help="Confidence threshold for asserting a skill (default: the calibrated one).")] = None,
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = Format.table,
) -> None:
    """Compare the skills the extractor asserts per sentence with the gold skills (micro P/R/F1).

    Example:

        lmi eval extraction --threshold 0.6 \
            --dataset ../shared/bench/esco-linking-dev/house_validation_annotations.csv
    """
    from lmi.nlp.evaluation import EvaluationError, evaluate_extraction, framework_label_map

    con = _open(db)
    try:
        framework_label_map(con, framework)
        from lmi.nlp.extractor import SkillExtractor

        kwargs = {"threshold": threshold} if threshold is not None else {}
        extractor = SkillExtractor.from_warehouse(con, **kwargs)
        result = evaluate_extraction(con, dataset, extractor, framework_id=framework)
    except EvaluationError as exc:
        raise fail(str(exc)) from exc
    finally:
        con.close()
    meta = {"dataset": str(dataset), "framework": framework, "threshold": threshold}
    render(_rows(result, ["precision", "recall", "f1", "tp", "fp", "fn", "n_sentences"]), fmt,
           title="Skill extraction", meta=meta)


def register(eval_app: typer.Typer) -> None:
    """Attach `lmi eval linking` and `lmi eval extraction`."""
    eval_app.command("linking")(linking)
    eval_app.command("extraction")(extraction)
