"""`lmi eval spans`: exact-match span P/R/F1 of the span tagger on a SkillSpan-format file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lmi.cli.common import FormatOption
from lmi.cli.output import Format, fail, render

ORDER = ("skill", "knowledge", "both", "any")


def spans(
    dataset: Annotated[Path, typer.Option(
        "--dataset", "-d", help="SkillSpan JSON lines: tokens, tags_skill, tags_knowledge.")],
    model: Annotated[Path | None, typer.Option(
        "--model", "-m",
        help="Span model folder, MiniLM or CNN (kind detected; default: the shipped best).")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Score predicted skill/knowledge spans against gold (exact token boundaries and label).

    Rows: skill, knowledge, both (typed, all labels together), any (boundaries only).

    Example:

        lmi eval spans --dataset ../shared/bench/skillspan/json/dev.json --format json

        lmi eval spans -d ../shared/bench/skillspan/json/dev.json -m models/skillspan_spans
    """
    from lmi.nlp.span_component import default_model_dir, model_kind
    from lmi.nlp.span_eval import evaluate_spans

    if not dataset.is_file():
        raise fail(f"dataset not found: {dataset}")
    folder = model or default_model_dir()
    try:
        kind = model_kind(folder)
    except FileNotFoundError:
        raise fail(f"no trained span model in {folder} (train one: `lmi train spans`)") from None
    try:
        result = evaluate_spans(dataset, model_dir=model)
    except (KeyError, ValueError) as exc:
        raise fail(f"cannot read {dataset} as SkillSpan JSON lines: {exc}") from exc
    except FileNotFoundError as exc:
        raise fail(str(exc)) from exc
    rows = [{"label": name, **result["scores"][name]} for name in ORDER]
    meta = {"dataset": str(dataset), "model": str(folder), "kind": kind,
            "docs": result["docs"], "gold_spans": result["gold_spans"],
            "predicted_spans": result["predicted_spans"], "match": "exact token span + label"}
    render(rows, fmt, title="Span extraction (exact match)", meta=meta)


def register(eval_app: typer.Typer) -> None:
    """Attach `lmi eval spans`."""
    eval_app.command("spans")(spans)
