"""Training data and cross-fitting for the acceptance model (lmi.nlp.acceptance).

Each labelled sentence goes through the real extractor pipeline up to the linker; the linker's
`propose` gives every (span, skill) proposal it would consider; a proposal is positive iff its
skill is in the sentence's gold set. Sets: SkillSkape (sentence -> ESCO preferred labels, 'UNK'
dropped) and the ESCO-linking CSVs (LABEL NOT PRESENT / UNDERSPECIFIED dropped).
"""

from __future__ import annotations

import ast
import csv
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from lmi.nlp.acceptance import (
    MIN_SCORE,
    TOP_K,
    AcceptanceModel,
    Proposal,
    feature_matrix,
    one_skill_per_span,
    without_facts,
    without_label_prior,
)
from lmi.nlp.evaluation import read_linking_csv


@dataclass
class LabelledSentence:
    text: str
    gold: frozenset[str]          # lower-cased preferred labels


@dataclass
class Collected:
    """Proposals of a set of sentences: one row per (span, skill)."""

    name: str
    sentences: list[LabelledSentence]
    proposals: list[Proposal]
    sentence_of: np.ndarray       # row -> sentence position
    skill_of: list[str]           # row -> lower preferred label

    @property
    def y(self) -> np.ndarray:
        return np.array([lab in self.sentences[i].gold
                         for i, lab in zip(self.sentence_of, self.skill_of, strict=True)])


def read_skillskape(path: Path, limit: int | None = None, seed: int = 0
                    ) -> list[LabelledSentence]:
    """SkillSkape CSV rows (sentence, skills list); a random `limit` of them if given."""
    with Path(path).open(newline="", encoding="utf-8") as fh:
        rows = [LabelledSentence(r["sentence"].strip(), frozenset(
            s.strip().lower() for s in ast.literal_eval(r["skills"]) if s.strip() != "UNK"))
            for r in csv.DictReader(fh)]
    if limit is not None and limit < len(rows):
        rows = random.Random(seed).sample(rows, limit)
    return rows


def read_linking(path: Path) -> list[LabelledSentence]:
    """ESCO-linking CSV sentences with their gold preferred labels."""
    return [LabelledSentence(item.sentence, frozenset(lab.lower() for lab in item.labels))
            for item in read_linking_csv(path)]


def linker_files(bench: Path) -> dict[str, Path]:
    """The labelled files `lmi train linker` reads from a bench folder, by set name."""
    linking = Path(bench) / "esco-linking-dev"
    return {"tech": linking / "tech_validation_annotations.csv",
            "house": linking / "house_validation_annotations.csv",
            "skillskape": Path(bench) / "skillskape" / "train.csv"}


def linker_sets(files: dict[str, Path], known: set[str], skillskape_limit: int = 250,
                seed: int = 0) -> dict[str, list[LabelledSentence]]:
    """The sentences `lmi train linker` collects proposals for (gold the framework lacks
    dropped): both dev sets and a seeded sample of SkillSkape train."""
    sets = {"tech": read_linking(files["tech"]), "house": read_linking(files["house"]),
            "skillskape": read_skillskape(files["skillskape"], skillskape_limit, seed)}
    return {name: restrict_gold(sentences, known) for name, sentences in sets.items()}


def cache_key(name: str, seed: int) -> str:
    """cached_collect's key of a set: the SkillSkape sample depends on the seed."""
    return f"{name}-s{seed}" if name == "skillskape" else name


def framework_labels(con: Any, framework: str = "esco") -> set[str]:
    """Lower-cased preferred labels of a loaded framework (the gold labels it can assert)."""
    return {r[0] for r in con.execute(
        "SELECT lower(preferred_label) FROM skills WHERE framework_id = ?", [framework]
    ).fetchall()}


def restrict_gold(sentences: list[LabelledSentence], known: set[str]) -> list[LabelledSentence]:
    """Drop gold labels the framework lacks (as evaluate_extraction does)."""
    return [LabelledSentence(s.text, frozenset(g for g in s.gold if g in known))
            for s in sentences]


def collect(extractor: Any, name: str, sentences: list[LabelledSentence],
            top_k: int = TOP_K, batch_size: int = 64) -> Collected:
    """Run the pipeline up to the linker and gather its proposals for every sentence."""
    linker = extractor.nlp.get_pipe("lmi_skill_linker")
    linker.top_k = top_k
    proposals, sentence_of, skill_of = [], [], []
    texts = [s.text for s in sentences]
    docs = list(extractor.nlp.pipe(texts, batch_size=batch_size,
                                   disable=["lmi_skill_linker"]))
    for start in range(0, len(docs), batch_size):
        for offset, rows in enumerate(linker.propose(docs[start:start + batch_size])):
            for span, _, _, prop in rows:
                proposals.append(replace(prop, start=span.start_char, end=span.end_char))
                sentence_of.append(start + offset)
                skill_of.append(prop.labels[0].lower())
    return Collected(name, sentences, proposals, np.array(sentence_of, dtype=np.int64), skill_of)


def cached_collect(extractor: Any, name: str, sentences: list[LabelledSentence],
                   cache: Path | None, key: str | None = None) -> Collected:
    """collect(), pickled in the cache folder (a scratch dir you own) keyed by `key` (default:
    name) and size; a cached file whose sentences differ is collected again."""
    import pickle

    path = proposals_file(cache, key or name, len(sentences)) if cache else None
    if path is not None and path.exists():
        data = pickle.loads(path.read_bytes())
        if [s.text for s in data.sentences] == [s.text for s in sentences]:
            data.name = name
            return keep_rows(data, [p.method != "semantic" or p.score >= MIN_SCORE
                                    for p in data.proposals])
    data = collect(extractor, name, sentences)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(data))
    return data


def cached_linker_sets(cache: Path, sets: dict[str, list[LabelledSentence]], seed: int
                       ) -> dict[str, Collected]:
    """The proposals a `lmi train linker --cache CACHE --seed SEED` run kept for `sets`, read
    without an extractor; FileNotFoundError names the first one missing."""
    data = {}
    for name, sentences in sets.items():
        key = cache_key(name, seed)
        path = proposals_file(cache, key, len(sentences))
        if not path.is_file():
            raise FileNotFoundError(f"{path} missing: run `lmi train linker --cache {cache} "
                                    f"--seed {seed}` first")
        data[name] = cached_collect(None, name, sentences, cache, key)
    return data


def proposals_file(cache: Path, key: str, n_sentences: int) -> Path:
    """Where cached_collect keeps the proposals of `n_sentences` sentences under `key`."""
    return Path(cache) / f"proposals-v3-{key}-{n_sentences}.pkl"


def keep_rows(data: Collected, keep: Sequence[bool]) -> Collected:
    """The same sentences with only the kept proposal rows."""
    idx = [i for i, k in enumerate(keep) if k]
    return Collected(data.name, data.sentences, [data.proposals[i] for i in idx],
                     data.sentence_of[idx], [data.skill_of[i] for i in idx])


def label_prior(sets: Iterable[list[LabelledSentence]]) -> dict[str, int]:
    """How often each preferred label is gold in the training sentences."""
    counts: Counter[str] = Counter()
    for sentences in sets:
        for s in sentences:
            counts.update(s.gold)
    return dict(counts)


def design(data: Collected, prior: dict[str, int], *, exclude_own: bool = False) -> np.ndarray:
    """Feature matrix with prior counts from `prior`; exclude_own subtracts the sentence's own
    gold (leave-one-out, so training rows see the prior as unseen data will)."""
    total = sum(prior.values())
    props = []
    for p, i, lab in zip(data.proposals, data.sentence_of, data.skill_of, strict=True):
        count = prior.get(lab, 0)
        if exclude_own and lab in data.sentences[i].gold:
            count -= 1
        props.append(replace(p, prior_count=max(count, 0)))
    return feature_matrix(props, total)


def _training_matrix(train: Sequence[Collected], prior: dict[str, int] | None,
                     weights: dict[str, float] | None
                     ) -> tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray]:
    """(prior, X, y, row weights) over the training sets; the prior defaults to their gold."""
    prior = prior if prior is not None else label_prior(d.sentences for d in train)
    X = np.vstack([design(d, prior, exclude_own=True) for d in train])
    y = np.concatenate([d.y for d in train])
    w = np.concatenate([np.full(len(d.proposals), (weights or {}).get(d.name, 1.0))
                        for d in train])
    return prior, X, y, w


def fit(train: Sequence[Collected], *, prior: dict[str, int] | None = None, seed: int = 0,
        tau: float = 0.5, info: dict | None = None,
        weights: dict[str, float] | None = None) -> AcceptanceModel:
    """Fit the main trees (framework facts zeroed) on the proposals of the training sets (rows
    weighted per set name by `weights`).
    The label prior defaults to their gold labels; a given prior must include those sentences
    (each row's own gold is left out)."""
    prior, X, y, w = _training_matrix(train, prior, weights)
    return AcceptanceModel.fit(without_facts(X), y, tau=tau, seed=seed, prior=prior, info=info,
                               sample_weight=w)


def fit_unseen(train: Sequence[Collected], *, prior: dict[str, int] | None = None,
               seed: int = 0, weights: dict[str, float] | None = None) -> AcceptanceModel:
    """Trees for skills outside the label prior: the same rows, label-prior features zeroed,
    so the framework's own facts (occupations, reuse level) stand in for it."""
    prior, X, y, w = _training_matrix(train, prior, weights)
    return AcceptanceModel.fit(without_label_prior(X), y, seed=seed, prior=prior,
                               sample_weight=w)


def fit_linker_model(train: Sequence[Collected], *, prior: dict[str, int] | None = None,
                     seed: int = 0, tau: float = 0.5, info: dict | None = None,
                     weights: dict[str, float] | None = None, one_per_span: bool = True,
                     unseen_tau: float = 1.0) -> AcceptanceModel:
    """The model the linker loads: main trees, its one-skill-per-span rule and, when
    unseen_tau < 1, the unseen-skill trees at that bar (1.0: none)."""
    model = fit(train, prior=prior, seed=seed, tau=tau, info=info, weights=weights)
    model.one_per_span = one_per_span
    if unseen_tau < 1.0:
        model.attach_unseen(fit_unseen(train, prior=prior, seed=seed, weights=weights),
                            unseen_tau)
    return model


def seen_rows(model: AcceptanceModel, data: Collected) -> np.ndarray:
    """Per proposal row: is its skill in the model's label prior?"""
    prior = model.prior or {}
    return np.array([prior.get(lab, 0) > 0 for lab in data.skill_of], dtype=bool)


def predicted_sets(model: AcceptanceModel, data: Collected, tau: float
                   ) -> list[set[str]]:
    """Per sentence, the skills asserted at tau (max p over a skill's proposals), with the
    model's unseen-skill bar and one-skill-per-span rule as the linker applies them."""
    seen = seen_rows(model, data)
    probs = model.predict(design(data, model.prior or {}), seen)
    bars = model.bars(seen, tau)
    accepted: list[list[tuple[int, int, str, str, float]]] = [[] for _ in data.sentences]
    for p, bar, i, lab, prop in zip(probs, bars, data.sentence_of, data.skill_of,
                                    data.proposals, strict=True):
        if p >= bar:
            accepted[i].append((prop.start, prop.end, "", lab, float(p)))
    out: list[set[str]] = []
    for items in accepted:
        keep = one_skill_per_span(items) if model.one_per_span else [True] * len(items)
        out.append({lab for (_, _, _, lab, _), k in zip(items, keep, strict=True) if k})
    return out


def micro_prf(data: Collected, predicted: list[set[str]]) -> dict[str, float]:
    """Micro P/R/F1 of predicted sets against the gold sets."""
    tp = sum(len(p & s.gold) for p, s in zip(predicted, data.sentences, strict=True))
    n_pred = sum(len(p) for p in predicted)
    n_gold = sum(len(s.gold) for s in data.sentences)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp,
            "n_predicted": n_pred, "n_gold": n_gold}


def threshold_sets(data: Collected, threshold: float = 0.70, single_word: float = 0.90
                   ) -> list[set[str]]:
    """The score-threshold linker's decisions on the same proposals (the baseline): every ruler
    match, plus the top skill of each winning semantic span scoring >= the threshold."""
    out: list[set[str]] = [set() for _ in data.sentences]
    for p, i, lab in zip(data.proposals, data.sentence_of, data.skill_of, strict=True):
        bar = single_word if len(p.span.split()) == 1 else threshold
        if p.method != "semantic" or (p.rank == 0 and p.winner and p.score >= bar):
            out[i].add(lab)
    return out


def pr_curve(model: AcceptanceModel, data: Collected, taus: Sequence[float]
             ) -> list[dict[str, float]]:
    """P/R/F1 at each tau, and how many asserted skills lie outside the label prior
    (`unseen_predicted`) and are right (`unseen_tp`)."""
    prior = model.prior or {}
    rows = []
    for t in taus:
        predicted = predicted_sets(model, data, t)
        unseen = [{lab for lab in p if prior.get(lab, 0) == 0} for p in predicted]
        rows.append({"tau": t, **micro_prf(data, predicted),
                     "unseen_predicted": sum(map(len, unseen)),
                     "unseen_tp": sum(len(u & s.gold) for u, s in
                                      zip(unseen, data.sentences, strict=True))})
    return rows


def candidate_recall(data: Collected) -> float:
    """Share of gold skills that appear among the proposals at all (the ceiling of recall)."""
    seen = [set() for _ in data.sentences]
    for i, lab in zip(data.sentence_of, data.skill_of, strict=True):
        seen[i].add(lab)
    n_gold = sum(len(s.gold) for s in data.sentences)
    return sum(len(seen[i] & s.gold) for i, s in enumerate(data.sentences)) / max(n_gold, 1)
