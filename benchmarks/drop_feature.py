"""Ablation: `lmi train linker` with some acceptance features zeroed, in training and scoring.

Zeroed columns are never split on, so the cross-fitted P-R curve shows what the features are
worth. Used to ask whether the linker could skip work behind a feature (e.g. `sentence_sim`
needs one encoder pass per sentence, 45% of a cold pass's encoder tokens; docs/speed.md).
Arguments after `--` go to `lmi train linker`; write the model to a scratch folder (`-o`), never
over the shipped one:

    .venv/bin/python benchmarks/drop_feature.py --feature sentence_sim -- \\
        --db /tmp/esco_eval.duckdb --seed 0 --cache /tmp/h3/cache -o /tmp/h3/nosent --format json

Compare with the same `lmi train linker ...` arguments without the ablation (another `-o`).
"""

from __future__ import annotations

import argparse
import sys

from lmi.nlp import acceptance, acceptance_train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feature", action="append", required=True,
                        choices=acceptance.FEATURES, help="feature to zero (repeatable)")
    parser.add_argument("train_args", nargs=argparse.REMAINDER,
                        help="-- then the arguments of `lmi train linker`")
    args = parser.parse_args()
    columns = [acceptance.FEATURES.index(f) for f in args.feature]
    full = acceptance.feature_matrix

    def ablated(proposals, prior_total=0):
        matrix = full(proposals, prior_total)
        matrix[:, columns] = 0.0
        return matrix
    acceptance.feature_matrix = ablated          # scoring (AcceptanceModel.score)
    acceptance_train.feature_matrix = ablated    # training rows (design)
    train_linker(args.train_args)


def train_linker(args: list[str]) -> None:
    """Run `lmi train linker ARGS` in this process (so the patches above apply)."""
    from lmi.cli.main import app

    rest = args[1:] if args[:1] == ["--"] else args
    sys.argv = ["lmi", "train", "linker", *rest]
    app()


if __name__ == "__main__":
    main()
