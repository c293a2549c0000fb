"""`lmi train ...`: train the models shipped under models/."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lmi.cli.common import FormatOption
from lmi.cli.output import Format, fail, render

SKILLSPAN = Path("..") / "shared" / "bench" / "skillspan" / "json"
ARCHS = ("cnn", "minilm")

train_app = typer.Typer(help="Train the models shipped under models/.", no_args_is_help=True)


@train_app.command("spans")
def spans(
    train: Annotated[list[Path] | None, typer.Option(
        "--train", help="SkillSpan-format training file; repeat to train on several "
        "(minilm). Default: ../shared/bench/skillspan/json/train.json.")] = None,
    dev: Annotated[Path, typer.Option(
        "--dev", help="SkillSpan-format dev file (model selection only).")
    ] = SKILLSPAN / "dev.json",
    arch: Annotated[str, typer.Option(
        "--arch", help="cnn: spaCy CNN NER; minilm: fine-tuned packaged MiniLM, two BIO heads.")
    ] = "cnn",
    output: Annotated[Path | None, typer.Option(
        "--output", "-o",
        help="Output folder (default: models/skillspan_spans or models/skillspan_minilm).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    max_epochs: Annotated[int | None, typer.Option(
        "--max-epochs", min=1, help="Epoch cap (default: cnn 30, minilm 5).")] = None,
    max_steps: Annotated[int | None, typer.Option(
        "--max-steps", min=0, help="Optimizer-step cap, 0: epochs only (default: cnn 4000, "
        "minilm 0).")] = None,
    mode: Annotated[str, typer.Option(
        "--mode", help="cnn only. separate: one NER per label (overlaps allowed); joint: one "
        "2-label NER.")] = "joint",
    workers: Annotated[int, typer.Option("--workers", min=1, help="cnn: parallel trainers.")] = 2,
    tuned_layers: Annotated[int, typer.Option(
        "--tuned-layers", min=1, max=6, help="minilm: top encoder layers fine-tuned.")] = 3,
    learn_rate: Annotated[float, typer.Option(
        "--learn-rate", help="minilm: peak AdamW rate of the tuned layers.")] = 2e-4,
    batch_size: Annotated[int, typer.Option(
        "--batch-size", min=1, help="minilm: sentences per step.")] = 16,
    span_weight: Annotated[float, typer.Option(
        "--span-weight", help="minilm: loss weight of B/I tags relative to O.")] = 1.0,
    threads: Annotated[int, typer.Option(
        "--threads", min=1, help="minilm: torch CPU threads (1 is faster on a busy CPU).")] = 2,
    layer_decay: Annotated[float, typer.Option(
        "--layer-decay", help="minilm: lr factor per layer below the top (1 = same lr).")] = 1.0,
    label_smoothing: Annotated[float, typer.Option(
        "--label-smoothing", min=0.0, max=0.5, help="minilm: cross-entropy label smoothing.")
    ] = 0.0,
    bucket: Annotated[bool, typer.Option(
        "--bucket/--no-bucket", help="minilm: batch sentences of similar length.")] = True,
    precision: Annotated[str, typer.Option(
        "--precision", help="minilm: fp32, or bf16 autocast (about 2x faster where the CPU has "
        "AVX512-BF16/AMX).")] = "fp32",
    crf: Annotated[bool, typer.Option(
        "--crf", help="minilm: train a CRF per label (learned BIO transitions, used when "
        "decoding) instead of per-token cross-entropy.")] = False,
    keep: Annotated[str, typer.Option(
        "--keep", help="minilm: best = the best epoch on --dev; last = the final epoch (use "
        "when --dev is also a --train file: its scores are then in-sample).")] = "best",
    average_from: Annotated[float, typer.Option(
        "--average-from", min=0.0, max=1.0, help="minilm, with --keep last: save the mean of "
        "the weights taken every 10 steps from this fraction of the run on (0 = off; 0.5 = "
        "the second half).")] = 0.0,
    fmt: FormatOption = Format.table,
) -> None:
    """Train the SkillSpan skill/knowledge span tagger and save the best-on-dev model.

    Example:

        lmi train spans --arch minilm --max-epochs 4 --tuned-layers 6 --layer-decay 0.9

        lmi train spans --seed 0 --max-epochs 30 --max-steps 4000 --mode joint

    Train on train + dev for a fixed schedule (dev scores then in-sample):

        lmi train spans --arch minilm --crf --train ../shared/bench/skillspan/json/train.json
        --train ../shared/bench/skillspan/json/dev.json --keep last --max-epochs 8
    """
    from lmi.config import MODELS_DIR

    train = train or [SKILLSPAN / "train.json"]
    for path in (*train, dev):
        if not path.is_file():
            raise fail(f"dataset not found: {path}")
    if arch not in ARCHS:
        raise fail(f"--arch must be one of {', '.join(ARCHS)}")
    if keep not in ("best", "last"):
        raise fail("--keep must be best or last")
    if arch != "minilm" and (len(train) > 1 or keep != "best"):
        raise fail("several --train files and --keep last need --arch minilm")
    if precision not in ("fp32", "bf16"):
        raise fail("--precision must be fp32 or bf16")
    if arch == "minilm":
        from lmi.nlp.span_transformer import Settings, train_transformer

        output = output or MODELS_DIR / "skillspan_minilm"
        try:
            settings = Settings(tuned_layers=tuned_layers, epochs=max_epochs or 5,
                                max_steps=max_steps or 0, learn_rate=learn_rate,
                                batch_size=batch_size, span_weight=span_weight, seed=seed,
                                threads=threads, layer_decay=layer_decay,
                                label_smoothing=label_smoothing, bucket=bucket,
                                precision=precision, crf=crf, keep=keep,
                                average_from=average_from)
        except ValueError as error:
            raise fail(f"--average-from needs --keep last ({error})") from None
        result = train_transformer(train, dev, output, settings,
                                   log=lambda m: typer.echo(m, err=True))
        scores = result["dev"]["scores"]
        meta = {"output": str(output), "arch": arch, "seed": seed, "seconds": result["seconds"],
                "best_epoch": result["best_epoch"], "dev": str(dev)}
    else:
        from lmi.nlp.spans_train import MODES, train_spans

        if mode not in MODES:
            raise fail(f"--mode must be one of {', '.join(MODES)}")
        output = output or MODELS_DIR / "skillspan_spans"
        result = train_spans(train[0], dev, output, seed=seed, max_epochs=max_epochs or 30,
                             max_steps=4000 if max_steps is None else max_steps, mode=mode,
                             workers=workers)
        scores = result["dev"]["scores"]
        meta = {"output": str(output), "arch": arch, "seed": seed, "mode": mode,
                "seconds": result["seconds"], "dev": str(dev)}
    rows = [{"label": name, **scores[name]} for name in ("skill", "knowledge", "both", "any")]
    render(rows, fmt, title="Dev scores of the saved model", meta=meta)


@train_app.command("combine-spans")
def combine_spans(
    members: Annotated[list[Path], typer.Argument(
        help="Two or more MiniLM tagger folders (from `lmi train spans --arch minilm`).")],
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Output folder (default: models/skillspan_minilm).")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Combine trained MiniLM span taggers into one ensemble folder and score it on dev.

    At run time the members' per-token log-probabilities are averaged before decoding: more
    accurate, one network pass per member on each new sentence.

    Example:

        lmi train combine-spans /tmp/tagger_a /tmp/tagger_b --output models/skillspan_minilm
    """
    from lmi.config import MODELS_DIR
    from lmi.nlp.span_transformer import combine_taggers, is_transformer_dir

    for folder in members:
        if not is_transformer_dir(folder):
            raise fail(f"not a MiniLM tagger folder: {folder}")
    output = output or MODELS_DIR / "skillspan_minilm"
    try:
        result = combine_taggers(members, output)
    except ValueError as err:
        raise fail(str(err)) from err
    scores = result["dev"]["scores"]
    rows = [{"label": name, **scores[name]} for name in ("skill", "knowledge", "both", "any")]
    render(rows, fmt, title="Dev scores of the ensemble", meta={
        "output": str(output), "members": [m["source"] for m in result["members"]],
        "members_dev_both_f1": [m["dev_both_f1"] for m in result["members"]]})


def register(app: typer.Typer) -> None:
    """Attach the `lmi train` group to the root app."""
    app.add_typer(train_app, name="train")
