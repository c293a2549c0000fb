"""Training the acceptance model (lmi.nlp.acceptance_train) on hand-made proposal sets."""

from __future__ import annotations

import random

import numpy as np
import pytest

from lmi.nlp import acceptance_train as at
from lmi.nlp.acceptance import Proposal

SKILLS = [f"skill {i}" for i in range(12)]


def _collected(name: str, n_sentences: int, seed: int) -> at.Collected:
    """Sentences whose gold skill is proposed with a high score; distractors with a low one.
    Skills 0-7 are gold somewhere; 8-11 only ever appear as distractors."""
    rng = random.Random(seed)
    sentences, proposals, sentence_of, skill_of = [], [], [], []
    for i in range(n_sentences):
        gold = SKILLS[rng.randrange(8)]
        wrong = [s for s in SKILLS if s != gold]
        rng.shuffle(wrong)
        sentences.append(at.LabelledSentence(f"Experience with {gold}.", frozenset({gold})))
        for rank, (skill, score) in enumerate([(gold, rng.uniform(0.75, 0.95)),
                                               *((s, rng.uniform(0.45, 0.6)) for s in wrong[:3])]):
            proposals.append(Proposal(span=gold, sentence=sentences[-1].text, labels=(skill,),
                                      method="semantic", score=score, rank=rank,
                                      raw_cos=score, adapter_cos=score, sentence_sim=score / 2,
                                      start=16, end=16 + len(gold)))
            sentence_of.append(i)
            skill_of.append(skill)
    return at.Collected(name, sentences, proposals, np.array(sentence_of), skill_of)


@pytest.fixture(scope="module")
def sets() -> tuple[at.Collected, at.Collected]:
    return _collected("train", 120, 0), _collected("held", 40, 1)


def test_linker_model_learns_to_accept_gold_and_reject_distractors(sets):
    train, held = sets
    model = at.fit_linker_model([train], seed=0, tau=0.5)
    assert model.one_per_span and model.unseen_trees is None
    scores = at.micro_prf(held, at.predicted_sets(model, held, 0.5))
    assert scores["precision"] >= 0.9 and scores["recall"] >= 0.9
    curve = at.pr_curve(model, held, [0.05, 0.5, 0.95])
    assert [r["tau"] for r in curve] == [0.05, 0.5, 0.95]
    assert curve[0]["n_predicted"] >= curve[1]["n_predicted"] >= curve[2]["n_predicted"]


def test_unseen_trees_are_attached_only_below_a_bar_of_one(sets):
    train, held = sets
    with_unseen = at.fit_linker_model([train], seed=0, unseen_tau=0.6, one_per_span=False)
    assert with_unseen.unseen_trees and with_unseen.unseen_tau == 0.6
    assert not with_unseen.one_per_span
    # the default prior is the training gold: distractor-only skills are unseen
    seen = at.seen_rows(with_unseen, held)
    never_gold = np.array([s in SKILLS[8:] for s in held.skill_of])
    assert never_gold.any() and not seen[never_gold].any() and seen[~never_gold].all()


def test_row_weights_change_the_fit(sets):
    train, _ = sets
    other = _collected("other", 60, 2)
    plain = at.fit([train, other], seed=0)
    weighted = at.fit([train, other], seed=0, weights={"other": 0.01})
    assert [t.to_json() for t in plain.trees] != [t.to_json() for t in weighted.trees]
