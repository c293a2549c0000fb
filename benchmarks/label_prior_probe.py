"""Probe the acceptance model's label prior: which skills does the extractor assert for
sentences naming common skills, and is each asserted skill inside the prior?

    python benchmarks/label_prior_probe.py --db /tmp/xw.duckdb

Findings and the open fix: docs/linking.md#skills-outside-the-label-prior-open.
"""
from __future__ import annotations

import argparse

import duckdb

from lmi.nlp.components import acceptance_model_for
from lmi.nlp.extractor import SkillExtractor

SENTENCES = (
    "You must be comfortable working independently.",      # skills inside the prior
    "Experience with Python and SQL is an asset.",
    "You will operate a forklift in our warehouse.",
    "Experience in TIG welding is required.",                # ESCO skills outside it
    "You will do bookkeeping for small clients.",
    "Knowledge of plumbing codes is an asset.",
    "You will prune fruit trees.",
    "Speak Icelandic fluently.",
    "You will install drywall and tape joints.",
    "Experience in beekeeping.",
    "You will train apprentices in carpentry.",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="warehouse with ESCO imported")
    args = parser.parse_args()
    con = duckdb.connect(args.db, read_only=True)
    model = acceptance_model_for(["esco"])
    print(f"labels in the shipped label prior: {len(model.prior) if model else 0}")
    extractor = SkillExtractor.from_warehouse(con, ["esco"])
    for sentence in SENTENCES:
        found = extractor.extract(sentence)
        skills = [(m.label, round(m.confidence, 2),
                   "in prior" if model and model.prior_count(m.label) else "unseen")
                  for m in found.skills]
        print(f"{sentence}\n    skills: {skills}\n    unlinked: {[u.text for u in found.unlinked]}")


if __name__ == "__main__":
    main()
