"""Held-out-label check of the acceptance model on skills outside its label prior.

    python benchmarks/unseen_skills.py --db /tmp/xw.duckdb --bench ../shared/bench \
        --cache /tmp/lmi-linker

The label prior (gold counts of training labels) lets the main trees veto every skill they never
saw; the unseen trees (`lmi train linker --unseen-tau`) score such skills without it. The dev
sets cannot show whether that works (about 95% of their gold is inside the prior), so this
script hides labels instead: for each seed, a random quarter of the training labels is removed
from the prior *and* from the training rows, the model is fitted as `lmi train linker` does
(tech + house + 250 SkillSkape train sentences), and it is scored on SkillSkape dev sentences
(used by no training step) whose gold includes a hidden label. Rows: tau 0.40, the unseen trees
off (the label prior decides) or on at several bars; recall and precision on the hidden labels
("unseen") and over all skills. SkillSkape gold names one or two skills per synthetic
sentence, so precision is a lower bound for every variant alike. Findings: docs/linking.md.
"""
from __future__ import annotations

import argparse
import json
import random
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np

from lmi.cli.cmd_train_linker import SKILLSKAPE_WEIGHT
from lmi.nlp import acceptance_train as at
from lmi.nlp.extractor import SkillExtractor

TAU = 0.40


def only_rows(data: at.Collected, keep_row) -> at.Collected:
    """The proposal rows of data for which keep_row(skill label) holds."""
    rows = [j for j, lab in enumerate(data.skill_of) if keep_row(lab)]
    return at.Collected(data.name, data.sentences, [data.proposals[j] for j in rows],
                        data.sentence_of[rows], [data.skill_of[j] for j in rows])


def only_sentences(data: at.Collected, keep: set[int]) -> at.Collected:
    """The sentences at positions `keep` and their rows, renumbered."""
    order = sorted(keep)
    new = {old: i for i, old in enumerate(order)}
    rows = [j for j, i in enumerate(data.sentence_of) if i in new]
    return at.Collected(data.name, [data.sentences[i] for i in order],
                        [data.proposals[j] for j in rows],
                        np.array([new[data.sentence_of[j]] for j in rows], dtype=np.int64),
                        [data.skill_of[j] for j in rows])


def score(model, data: at.Collected, hidden: set[str], tau: float) -> dict:
    """Micro P/R over all skills and over the hidden labels."""
    predicted = at.predicted_sets(model, data, tau)
    out = {}
    for key, keep in (("all", lambda lab: True), ("unseen", lambda lab: lab in hidden)):
        tp = n_pred = n_gold = 0
        for pred, s in zip(predicted, data.sentences, strict=True):
            p = {lab for lab in pred if keep(lab)}
            g = {lab for lab in s.gold if keep(lab)}
            tp, n_pred, n_gold = tp + len(p & g), n_pred + len(p), n_gold + len(g)
        out[key] = {"precision": round(tp / max(n_pred, 1), 3),
                    "recall": round(tp / max(n_gold, 1), 3),
                    "tp": tp, "n_predicted": n_pred, "n_gold": n_gold}
    return out


def run_seed(seed: int, data: dict, dev: at.Collected, skillskape_all: list, bars: list[float],
             share: float) -> list[dict]:
    labels = sorted(at.label_prior([data["tech"].sentences, data["house"].sentences,
                                    skillskape_all]))
    hidden = set(random.Random(seed).sample(labels, round(share * len(labels))))
    prior = {lab: n for lab, n in at.label_prior(
        [data["tech"].sentences, data["house"].sentences, skillskape_all]).items()
        if lab not in hidden}
    train = [only_rows(d, lambda lab: lab not in hidden) for d in data.values()]
    weights = {"skillskape": SKILLSKAPE_WEIGHT}
    model = at.fit_linker_model(train, prior=prior, seed=seed, tau=TAU, weights=weights)
    unseen = at.fit_unseen(train, prior=prior, seed=seed, weights=weights)
    test = only_sentences(dev, {i for i, s in enumerate(dev.sentences) if s.gold & hidden})
    rows = [{"seed": seed, "variant": "no unseen trees", **score(model, test, hidden, TAU)}]
    for bar in bars:
        model.attach_unseen(unseen, bar)
        rows.append({"seed": seed, "variant": f"unseen bar {bar}",
                     **score(model, test, hidden, TAU)})
    for row in rows:
        row.update(hidden_labels=len(hidden), test_sentences=len(test.sentences))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="warehouse with ESCO imported")
    parser.add_argument("--bench", type=Path, required=True,
                        help="folder with esco-linking-dev/ and skillskape/")
    parser.add_argument("--cache", type=Path, help="scratch folder for collected proposals")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--share", type=float, default=0.25, help="share of labels hidden")
    parser.add_argument("--bars", type=float, nargs="+", default=[0.5, 0.6, 0.7, 0.8])
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args()
    con = duckdb.connect(args.db, read_only=True)
    known = at.framework_labels(con, "esco")
    extractor = SkillExtractor.from_warehouse(con, ["esco"], span_model=True)
    linking = args.bench / "esco-linking-dev"
    skillskape = args.bench / "skillskape"
    sets = {"tech": at.read_linking(linking / "tech_validation_annotations.csv"),
            "house": at.read_linking(linking / "house_validation_annotations.csv"),
            "skillskape": at.read_skillskape(skillskape / "train.csv", 250, 0)}
    data = {name: at.cached_collect(extractor, name, at.restrict_gold(s, known), args.cache,
                                    key="skillskape-s0" if name == "skillskape" else name)
            for name, s in sets.items()}
    skillskape_all = at.restrict_gold(at.read_skillskape(skillskape / "train.csv"), known)
    dev_sentences = [s for s in at.restrict_gold(at.read_skillskape(skillskape / "dev.csv"),
                                                 known) if s.gold]
    dev = at.cached_collect(extractor, "skillskape-dev", dev_sentences, args.cache)
    dev = replace(dev, name="skillskape-dev")
    rows = [r for seed in args.seeds
            for r in run_seed(seed, data, dev, skillskape_all, args.bars, args.share)]
    if args.format == "json":
        print(json.dumps(rows, indent=2))
        return
    for r in rows:
        u, a = r["unseen"], r["all"]
        print(f"seed {r['seed']} {r['variant']:<16} hidden-label P {u['precision']:.3f} "
              f"R {u['recall']:.3f} ({u['tp']}/{u['n_predicted']} of {u['n_gold']}) | all P "
              f"{a['precision']:.3f} R {a['recall']:.3f} ({a['tp']}/{a['n_predicted']} of "
              f"{a['n_gold']}) | {r['test_sentences']} sentences, {r['hidden_labels']} hidden")


if __name__ == "__main__":
    main()
