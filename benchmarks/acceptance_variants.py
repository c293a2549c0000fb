"""Acceptance-model variants, cross-fitted over the proposals `lmi train linker` cached.

Refits the fold models of `lmi train linker` (train on one ESCO-linking dev set + SkillSkape,
score the other) for each variant and seed, and prints the pooled P / R / F1 per tau. Variants:

* `base`: the recipe before the fourteenth session: GBT_PARAMS and FEATURES with scikit-learn's
  automatic early stopping, which on more than 10,000 rows holds out a random 10% for
  validation (the only use of the seed);
* `all-rows`: the same trees fitted on every row, no early stopping (the shipped GBT_PARAMS);
* `monotonic`: base with monotonic constraints (p rises with scores, cosines, lexical overlap
  and the label prior, falls with the gap to the top score);
* `bagged`: three base models per fit (seeds 100*s, 100*s + 1, 100*s + 2, i.e. three random
  validation splits) merged into one model whose score is the mean of their logits;
* `support`: base with five sentence-level columns added to FEATURES: how many proposals of
  the sentence name the same skill, that skill's best score in the sentence, whether this row
  is that best, the skill's rank among the sentence's skills, and the sentence's proposal count.

Fill the cache first with the shipped model's training command into a scratch folder:

    lmi train linker --db /tmp/esco_eval.duckdb --skillskape-limit 250 --seed 0 --tau 0.4 \\
        --unseen-tau 0.6 --cache /tmp/h4/cache -o /tmp/h4/tau04 --format json
    .venv/bin/python benchmarks/acceptance_variants.py --db /tmp/esco_eval.duckdb \\
        --cache /tmp/h4/cache --variant base --variant all-rows --variant monotonic \\
        --variant bagged --variant support
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

from lmi.cli import cmd_train_linker as train_linker
from lmi.nlp import acceptance, acceptance_train
from lmi.warehouse.db import connect

INCREASING = {"score", "inv_rank", "margin_next", "raw_cos", "adapter_cos", "sentence_sim",
              "lex_jaccard", "lex_label_in_span", "lex_label_in_sentence", "lex_span_in_label",
              "log_prior", "seen_prior", "score_x_lex", "score_sq"}
DECREASING = {"gap_top"}
SHOWN_TAUS = (0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6)


def support_columns(data: acceptance_train.Collected) -> np.ndarray:
    """Five sentence-level columns per proposal row (see the module docstring)."""
    scores = np.array([p.score for p in data.proposals])
    rows_of: dict[tuple[int, str], list[int]] = defaultdict(list)
    for row, (i, label) in enumerate(zip(data.sentence_of, data.skill_of, strict=True)):
        rows_of[(int(i), label)].append(row)
    best_of = {key: scores[rows].max() for key, rows in rows_of.items()}
    per_sentence: dict[int, list[float]] = defaultdict(list)
    for (i, _), best in best_of.items():
        per_sentence[i].append(best)
    out = np.zeros((len(scores), 5))
    for key, rows in rows_of.items():
        best, skills = best_of[key], np.array(per_sentence[key[0]])
        out[rows, 0] = np.log1p(len(rows))
        out[rows, 1] = best
        out[rows, 2] = scores[rows] >= best
        out[rows, 3] = 1.0 / (1 + (skills > best).sum())
    counts = np.bincount(data.sentence_of, minlength=len(data.sentences))
    out[:, 4] = np.log1p(counts[data.sentence_of])
    return out


def bagged(fit, n: int = 3):
    """AcceptanceModel.fit replaced by n fits on other seeds, merged (mean of their logits)."""
    def fit_bagged(cls, X, y, *, seed: int = 0, **kwargs):
        models = [fit(cls, X, y, seed=100 * seed + k, **kwargs) for k in range(n)]
        merged = models[0]
        merged.trees = [replace(t, value=t.value / n) for m in models for t in m.trees]
        merged.baseline = sum(m.baseline for m in models) / n
        return merged
    return fit_bagged


def pooled_curve(data: dict, skillskape: list, seed: int) -> dict[float, dict]:
    """The pooled rows of `lmi train linker`'s cross-fit, by tau."""
    _, pooled, _ = train_linker.cross_fit(data, skillskape, seed, True, 0.6)
    return {row["tau"]: row for row in pooled}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="warehouse with ESCO imported")
    parser.add_argument("--cache", type=Path, required=True,
                        help="the --cache folder of a `lmi train linker` run")
    parser.add_argument("--bench", type=Path, default=Path("..") / "shared" / "bench")
    parser.add_argument("--variant", action="append",
                        choices=("base", "monotonic", "all-rows", "bagged", "support"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--skillskape-limit", type=int, default=250,
                        help="the run's --skillskape-limit")
    parser.add_argument("--skillskape-seed", type=int, default=0,
                        help="seed of the cached SkillSkape sample (the run's --seed)")
    args = parser.parse_args()
    con = connect(args.db, read_only=True)
    known = acceptance_train.framework_labels(con, "esco")
    files = acceptance_train.linker_files(args.bench)
    sets = acceptance_train.linker_sets(files, known, args.skillskape_limit, args.skillskape_seed)
    try:
        data = acceptance_train.cached_linker_sets(args.cache, sets, args.skillskape_seed)
    except FileNotFoundError as err:
        parser.error(str(err))
    skillskape = acceptance_train.restrict_gold(
        acceptance_train.read_skillskape(files["skillskape"]), known)
    shipped_params, shipped_design = dict(acceptance.GBT_PARAMS), acceptance_train.design
    shipped_fit = acceptance.AcceptanceModel.fit
    report = {}
    for variant in args.variant or ["base"]:
        acceptance.GBT_PARAMS.clear()
        acceptance.GBT_PARAMS.update(shipped_params, early_stopping="auto")
        acceptance_train.design = shipped_design
        acceptance.AcceptanceModel.fit = shipped_fit
        if variant == "monotonic":
            acceptance.GBT_PARAMS["monotonic_cst"] = [
                1 if f in INCREASING else -1 if f in DECREASING else 0
                for f in acceptance.FEATURES]
        elif variant == "all-rows":
            acceptance.GBT_PARAMS["early_stopping"] = False
        elif variant == "bagged":
            acceptance.AcceptanceModel.fit = classmethod(bagged(shipped_fit.__func__))
        elif variant == "support":
            def with_support(data, prior, *, exclude_own=False):
                return np.hstack([shipped_design(data, prior, exclude_own=exclude_own),
                                  support_columns(data)])
            acceptance_train.design = with_support
        curves = [pooled_curve(data, skillskape, seed) for seed in args.seeds]
        report[variant] = {}
        print(variant)
        for tau in SHOWN_TAUS:
            rows = [c[tau] for c in curves]
            mean = {k: float(np.mean([r[k] for r in rows])) for k in ("precision", "recall", "f1")}
            report[variant][tau] = {"per_seed": [{k: round(r[k], 3) for k in
                                                  ("precision", "recall", "f1")} for r in rows],
                                    "mean": {k: round(v, 3) for k, v in mean.items()}}
            print(f"  tau {tau:.2f}: mean P {mean['precision']:.3f} R {mean['recall']:.3f} "
                  f"F1 {mean['f1']:.3f}  per seed "
                  + "  ".join(f"{r['precision']:.3f}/{r['recall']:.3f}" for r in rows))
    acceptance.GBT_PARAMS.clear()
    acceptance.GBT_PARAMS.update(shipped_params)
    acceptance_train.design = shipped_design
    acceptance.AcceptanceModel.fit = shipped_fit
    print(json.dumps({"seeds": args.seeds, "variants": report}))


if __name__ == "__main__":
    main()
