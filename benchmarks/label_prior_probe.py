"""Probe the acceptance model's label prior: which skills does the extractor assert for
sentences naming common skills, and is each asserted skill inside the prior?

    python benchmarks/label_prior_probe.py --db /tmp/xw.duckdb --bench ../shared/bench

With --bench it also prints the share of each dev set's gold skills that lie inside the prior a
cross-fitted fold trains with (SkillSkape train + the other dev set): why the dev sets hide it.

Findings and the fix (unseen-skill trees): docs/linking.md, "Skills outside the label prior";
held-out measurement: benchmarks/unseen_skills.py.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

from lmi.nlp import acceptance_train as at
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


def fold_prior_coverage(con: duckdb.DuckDBPyConnection, bench: Path) -> dict[str, float]:
    """Per dev set: share of its (ESCO) gold mentions whose label is in the fold's prior."""
    known = at.framework_labels(con, "esco")
    linking = bench / "esco-linking-dev"
    dev = {name: at.restrict_gold(at.read_linking(linking / f"{name}_validation_annotations.csv"),
                                  known) for name in ("tech", "house")}
    skillskape = at.restrict_gold(at.read_skillskape(bench / "skillskape" / "train.csv"), known)
    shares = {}
    for name, other in (("tech", "house"), ("house", "tech")):
        prior = at.label_prior([dev[other], skillskape])
        gold = [g for s in dev[name] for g in s.gold]
        shares[name] = sum(g in prior for g in gold) / len(gold)
    return shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="warehouse with ESCO imported")
    parser.add_argument("--bench", type=Path, help="folder with esco-linking-dev/, skillskape/")
    args = parser.parse_args()
    con = duckdb.connect(args.db, read_only=True)
    if args.bench:
        for name, share in fold_prior_coverage(con, args.bench).items():
            print(f"{name} dev gold inside its fold's label prior: {share:.1%}")
    extractor = SkillExtractor.from_warehouse(con, ["esco"])
    model = extractor.nlp.get_pipe("lmi_skill_linker").acceptance   # the one it decides with
    print(f"labels in the shipped label prior: {len(model.prior) if model else 0}")
    for sentence in SENTENCES:
        found = extractor.extract(sentence)
        skills = [(m.label, round(m.confidence, 2),
                   "in prior" if model and model.prior_count(m.label) else "unseen")
                  for m in found.skills]
        print(f"{sentence}\n    skills: {skills}\n    unlinked: {[u.text for u in found.unlinked]}")


if __name__ == "__main__":
    main()
