"""`lmi train linker`: fit the linker's acceptance model (models/linker_acceptance)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from lmi.cli.common import DEFAULT_DB, DbOption, FormatOption
from lmi.cli.output import Format, fail, render

BENCH = Path("..") / "shared" / "bench"
TAUS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9)
# SkillSkape proposals (synthetic sentences, implied skills, seen by the ranker's adapter) get a
# small weight: at 1.0 they lowered the cross-fitted F1 (docs/linking.md)
SKILLSKAPE_WEIGHT = 0.1


def linker(
    db: DbOption = DEFAULT_DB,
    bench: Annotated[Path, typer.Option(
        "--bench", help="Folder with esco-linking-dev/ and skillskape/.")] = BENCH,
    skillskape_limit: Annotated[int, typer.Option(
        "--skillskape-limit", min=0, help="SkillSkape train sentences used (random sample).")
    ] = 250,
    seed: Annotated[int, typer.Option(
        "--seed", help="Seed of the SkillSkape sample (the trees themselves are deterministic).")
    ] = 0,
    tau: Annotated[float | None, typer.Option(
        "--tau", min=0.0, max=1.0,
        help="Acceptance threshold to ship (default: best cross-fitted F1).")] = None,
    one_per_span: Annotated[bool, typer.Option(
        "--one-per-span/--any-per-span",
        help="Overlapping spans assert one skill, the most probable (docs/linking.md).")
    ] = True,
    unseen_tau: Annotated[float, typer.Option(
        "--unseen-tau", min=0.0, max=1.0,
        help="Bar for skills outside the label prior, scored by trees without it "
             "(1.0: the main trees decide them, which almost never accept one).")] = 0.6,
    cache: Annotated[Path | None, typer.Option(
        "--cache", help="Scratch folder to keep collected proposals between runs.")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Model folder (default: models/linker_acceptance).")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Train the acceptance model; report the cross-fitted P-R curve on the ESCO-linking dev sets.

    Cross-fitting: train on tech dev + SkillSkape train, score house dev, and vice versa.
    The shipped model is then fitted on all three (its in-sample dev scores are not evidence).
    The label prior counts gold labels of all SkillSkape train sentences plus the training dev
    set(s); proposals (the rows the trees learn from) come from a sample of SkillSkape train.

    Example:

        lmi train linker --db /tmp/esco.duckdb --seed 0 --cache /tmp/lmi-linker
    """
    from lmi.config import MODELS_DIR
    from lmi.nlp import acceptance_train as at
    from lmi.nlp.extractor import SkillExtractor
    from lmi.warehouse.db import connect

    files = at.linker_files(bench)
    for path in files.values():
        if not path.is_file():
            raise fail(f"dataset not found: {path}")
    if not db.is_file():
        raise fail(f"no warehouse at {db}; import ESCO first (`lmi frameworks import esco ...`)")
    started, cpu = time.time(), time.process_time()
    con = connect(db, read_only=True)
    try:
        known = at.framework_labels(con, "esco")
        if not known:
            raise fail("framework 'esco' is not imported in this warehouse")
        # the tagger's spans are candidates wherever this model decides (ESCO)
        extractor = SkillExtractor.from_warehouse(con, ["esco"], span_model=True)
    finally:
        con.close()
    skillskape_all = at.restrict_gold(at.read_skillskape(files["skillskape"]), known)
    data = {}
    for name, sentences in at.linker_sets(files, known, skillskape_limit, seed).items():
        typer.echo(f"collecting proposals: {name} ({len(sentences)} sentences)", err=True)
        data[name] = at.cached_collect(extractor, name, sentences, cache,
                                       key=at.cache_key(name, seed))
    rows, pooled, models = cross_fit(data, skillskape_all, seed, one_per_span, unseen_tau)
    baseline = {held: at.micro_prf(data[held], at.threshold_sets(data[held]))
                for held in ("tech", "house")}
    chosen = tau if tau is not None else operating_point(rows, pooled, baseline)
    rows += [{"held_out": f"{held} (score threshold 0.70)", "tau": None, **scores}
             for held, scores in baseline.items()]
    for held, model in models.items():   # the same decisions through the real linker
        rows.append({"held_out": f"{held} (pipeline)", "tau": chosen,
                     **pipeline_scores(extractor, model, chosen, files[held], known)})
    for row in rows:
        row["operating_point"] = row["tau"] == chosen
    info = {"command": f"lmi train linker --skillskape-limit {skillskape_limit} --seed {seed}"
                       + (f" --tau {tau}" if tau is not None else "")
                       + ("" if one_per_span else " --any-per-span")
                       + f" --unseen-tau {unseen_tau}",
            "cross_fitted": [r for r in rows if r["tau"] == chosen],
            "training_rows": {k: len(v.proposals) for k, v in data.items()},
            "training_sentences": {k: len(v.sentences) for k, v in data.items()}}
    prior = at.label_prior([data["tech"].sentences, data["house"].sentences, skillskape_all])
    weights = {"skillskape": SKILLSKAPE_WEIGHT}
    model = at.fit_linker_model(list(data.values()), prior=prior, seed=seed, tau=chosen,
                                info=info, weights=weights, one_per_span=one_per_span,
                                unseen_tau=unseen_tau)
    path = model.save(output or MODELS_DIR / "linker_acceptance")
    render(rows, fmt, title="Cross-fitted extraction P-R curve (acceptance model)",
           meta={"model": str(path), "tau": chosen, "wall_s": round(time.time() - started, 1),
                 "cpu_s": round(time.process_time() - cpu, 1)})


def operating_point(rows: list[dict], pooled: list[dict], baseline: dict) -> float:
    """Best pooled F1 among the taus whose precision beats the score-threshold linker on each
    held-out set (the target is precision first); best pooled F1 if none does."""
    better = [t for t in TAUS if all(
        r["precision"] > baseline[r["held_out"]]["precision"]
        for r in rows if r["tau"] == t and r["held_out"] in baseline)]
    candidates = [r for r in pooled if r["tau"] in better] or pooled
    return max(candidates, key=lambda r: (r["f1"], r["tau"]))["tau"]


def cross_fit(data: dict, skillskape_all: list, seed: int, one_per_span: bool = True,
              unseen_tau: float = 1.0) -> tuple[list[dict], list[dict], dict]:
    """Rows per (held-out set, tau), pooled rows per tau (tech + house, micro), fold models."""
    from lmi.nlp import acceptance_train as at

    rows, counts, models = [], {t: [0, 0, 0, 0, 0] for t in TAUS}, {}
    weights = {"skillskape": SKILLSKAPE_WEIGHT}
    for held, other in (("house", "tech"), ("tech", "house")):
        prior = at.label_prior([data[other].sentences, skillskape_all])
        train = [data[other], data["skillskape"]]
        model = models[held] = at.fit_linker_model(
            train, prior=prior, seed=seed, weights=weights, one_per_span=one_per_span,
            unseen_tau=unseen_tau)
        for row in at.pr_curve(model, data[held], TAUS):
            rows.append({"held_out": held, **row})
            for j, key in enumerate(("tp", "n_predicted", "n_gold", "unseen_predicted",
                                     "unseen_tp")):
                counts[row["tau"]][j] += row[key]
    pooled = []
    for t, (tp, n_pred, n_gold, unseen_pred, unseen_tp) in counts.items():
        p, r = (tp / n_pred if n_pred else 0.0), tp / max(n_gold, 1)
        pooled.append({"held_out": "pooled", "tau": t, "precision": p, "recall": r,
                       "f1": 2 * p * r / (p + r) if p + r else 0.0, "tp": tp,
                       "n_predicted": n_pred, "n_gold": n_gold,
                       "unseen_predicted": unseen_pred, "unseen_tp": unseen_tp})
    return rows + pooled, pooled, models


def pipeline_scores(extractor, model, tau: float, dataset: Path, known: set[str]) -> dict:
    """evaluate_extraction-style micro P/R/F1 of the extractor with this acceptance model."""
    from lmi.nlp import acceptance_train as at

    linker = extractor.nlp.get_pipe("lmi_skill_linker")
    linker.use_acceptance(model, tau)
    sentences = at.restrict_gold(at.read_linking(dataset), known)
    tp = n_pred = n_gold = 0
    for item, found in zip(sentences, extractor.extract_many(s.text for s in sentences),
                           strict=True):
        asserted = {m.label.lower() for m in found.skills}
        tp, n_pred, n_gold = tp + len(asserted & item.gold), n_pred + len(asserted), \
            n_gold + len(item.gold)
    p, r = tp / max(n_pred, 1), tp / max(n_gold, 1)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "tp": tp,
            "n_predicted": n_pred, "n_gold": n_gold}


def register(app: typer.Typer) -> None:
    """Attach `lmi train linker` to the `lmi train` group."""
    from lmi.cli.cmd_train import train_app

    train_app.command("linker")(linker)
