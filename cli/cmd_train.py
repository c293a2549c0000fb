"""`lmi train ...`: train the models shipped under models/."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lmi.cli.common import FormatOption
from lmi.cli.output import Format, fail, render

SKILLSPAN = Path("..") / "shared" / "bench" / "skillspan" / "json"

train_app = typer.Typer(help="Train the models shipped under models/.", no_args_is_help=True)


@train_app.command("spans")
def spans(
    train: Annotated[Path, typer.Option(
        "--train", help="SkillSpan-format training file.")] = SKILLSPAN / "train.json",
    dev: Annotated[Path, typer.Option(
        "--dev", help="SkillSpan-format dev file (model selection only).")
    ] = SKILLSPAN / "dev.json",
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Folder for the trained pipeline (default: models/skillspan_spans).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    max_epochs: Annotated[int, typer.Option("--max-epochs", min=1, help="Epoch cap.")] = 30,
    max_steps: Annotated[int, typer.Option(
        "--max-steps", min=0, help="Optimizer-step cap (0: epochs only).")] = 4000,
    mode: Annotated[str, typer.Option(
        "--mode", help="separate: one NER per label (overlaps allowed); joint: one 2-label NER.")
    ] = "joint",
    workers: Annotated[int, typer.Option("--workers", min=1, help="Parallel trainers.")] = 2,
    fmt: FormatOption = Format.table,
) -> None:
    """Train the SkillSpan skill/knowledge span tagger (CNN + NER) and save the best-on-dev model.

    Example:

        lmi train spans --seed 0 --max-epochs 30 --max-steps 4000 --mode joint
    """
    from lmi.nlp.span_component import default_model_dir
    from lmi.nlp.spans_train import MODES, train_spans

    for path in (train, dev):
        if not path.is_file():
            raise fail(f"dataset not found: {path}")
    if mode not in MODES:
        raise fail(f"--mode must be one of {', '.join(MODES)}")
    result = train_spans(train, dev, output or default_model_dir(), seed=seed,
                         max_epochs=max_epochs, max_steps=max_steps, mode=mode,
                         workers=workers)
    rows = [{"label": name, **result["dev"]["scores"][name]}
            for name in ("skill", "knowledge", "both", "any")]
    meta = {"output": str(output or default_model_dir()), "seed": seed, "mode": mode,
            "seconds": result["seconds"], "dev": str(dev)}
    render(rows, fmt, title="Dev scores of the saved model", meta=meta)


def register(app: typer.Typer) -> None:
    """Attach the `lmi train` group to the root app."""
    app.add_typer(train_app, name="train")
