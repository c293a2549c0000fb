"""The learned acceptance step of the linker: features, the packaged model, the linker decision."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from lmi.nlp import components
from lmi.nlp import extractor as extractor_mod
from lmi.nlp.acceptance import (
    FEATURES,
    AcceptanceModel,
    Proposal,
    candidate_features,
    one_skill_per_span,
    sentence_bounds,
    stem,
    stems,
)
from lmi.nlp.extractor import SkillExtractor
from tests.small_framework import small_warehouse

SKILLS = [
    {"id": "py", "label": "Python (computer programming)", "alt_labels": ["Python3"]},
    {"id": "sql", "label": "SQL", "alt_labels": ["structured query language"]},
    {"id": "pm", "label": "project management", "alt_labels": ["manage projects"]},
    {"id": "cs", "label": "customer service", "alt_labels": ["client care"]},
    {"id": "forklift", "label": "operate forklift", "alt_labels": ["drive a forklift truck"]},
    {"id": "java", "label": "Java programming language", "alt_labels": ["java"]},
]


def _features(p: Proposal, prior_total: int = 0) -> dict[str, float]:
    return dict(zip(FEATURES, candidate_features(p, prior_total), strict=True))


def test_stemming_and_sentences():
    assert stem("managing") == stem("manage") == stem("management")
    assert stems("Managing the projects") == {"manag", "project"}
    text = "Strong SQL.\nManage projects; lead teams"
    assert [text[s:e] for s, e in sentence_bounds(text)] == [
        "Strong SQL.", "Manage projects;", "lead teams"]


def test_features_of_a_hand_made_proposal():
    p = Proposal(span="managing projects", sentence="Experience managing projects, budgets, staff",
                 labels=("project management", "manage projects"), method="semantic",
                 score=0.8, rank=1, next_score=0.7, top_score=0.85, raw_cos=0.75,
                 adapter_cos=0.7, sentence_sim=0.5, winner=False, prior_count=3)
    f = _features(p, prior_total=99)
    assert f["inv_rank"] == pytest.approx(0.5)
    assert f["margin_next"] == pytest.approx(0.1)
    assert f["gap_top"] == pytest.approx(0.05)
    assert f["lex_jaccard"] == pytest.approx(1.0)        # "manage projects" == span after stems
    assert f["lex_label_in_span"] == pytest.approx(1.0)
    assert f["lex_label_in_sentence"] == pytest.approx(1.0)
    assert f["span_tokens"] == pytest.approx(2 / 8)
    assert f["label_tokens"] == pytest.approx(2 / 8)     # of the preferred label
    assert f["semantic"] == 1.0 and f["exact"] == 0.0 and f["winner"] == 0.0
    assert f["requirement_sentence"] == 1.0              # "Experience ..."
    assert f["list_sentence"] == pytest.approx(2 / 6)    # two commas
    assert f["log_prior"] == pytest.approx(__import__("math").log(3.5 / 100))
    assert f["seen_prior"] == 1.0
    assert f["score_x_lex"] == pytest.approx(0.8)


def test_cosines_past_one_from_rounding_are_read_as_one():
    """fp32 gives 1.0000001 for a span equal to a label, depending on the encoder batch; the
    trees split at 1.0, so the features clamp it and a decision cannot flip with the batch."""
    base = dict(span="SQL", sentence="Strong SQL.", labels=("SQL",), method="semantic", score=1.0)
    exact = _features(Proposal(**base, raw_cos=1.0, adapter_cos=1.0, sentence_sim=0.5))
    rounded = _features(Proposal(**base, raw_cos=1.0000001, adapter_cos=1.0000002,
                                 sentence_sim=0.5))
    assert exact == rounded
    below = _features(Proposal(**base, raw_cos=0.99, adapter_cos=0.9, sentence_sim=0.5))
    assert below["raw_cos"] == pytest.approx(0.99) and below["adapter_cos"] == pytest.approx(0.9)


def test_unrelated_label_has_no_lexical_overlap():
    p = Proposal(span="baking bread", sentence="We enjoy baking bread.", labels=("SQL",),
                 method="semantic", score=0.3)
    f = _features(p)
    assert f["lex_jaccard"] == f["lex_label_in_span"] == f["lex_label_in_sentence"] == 0.0
    assert f["requirement_sentence"] == 0.0 and f["single_word"] == 0.0
    assert f["log_prior"] == 0.0 and f["seen_prior"] == 0.0   # no prior table


@pytest.fixture(scope="module")
def model() -> AcceptanceModel:
    loaded = AcceptanceModel.load()
    assert loaded is not None, "models/linker_acceptance/model.json is not packaged"
    return loaded


def test_packaged_model_is_small_and_documented(model):
    from lmi.nlp.acceptance import MODEL_DIR, MODEL_FILE

    assert (MODEL_DIR / MODEL_FILE).stat().st_size < 1_000_000
    assert (MODEL_DIR / "MODEL_CARD.md").exists()
    assert 0.0 < model.tau < 1.0 and model.top_k >= 2
    assert model.features == list(FEATURES)


def test_packaged_trees_split_on_the_columns_they_were_fitted_with(model):
    """Main trees never split on the framework facts, unseen trees never on the label prior,
    so an unseen skill is judged by what the framework says about it (acceptance.py)."""
    from lmi.nlp.acceptance import FACT_FEATURES, LABEL_PRIOR_FEATURES

    def split_columns(trees):
        return {int(f) for t in trees for f, leaf in zip(t.feature, t.leaf, strict=True)
                if not leaf}

    assert model.unseen_trees and 0.0 < model.unseen_tau < 1.0
    main, unseen = split_columns(model.trees), split_columns(model.unseen_trees)
    assert main.isdisjoint(FACT_FEATURES) and set(LABEL_PRIOR_FEATURES) & main
    assert unseen.isdisjoint(LABEL_PRIOR_FEATURES) and set(FACT_FEATURES) & unseen


def test_exact_match_beats_unrelated_skill(model):
    sentence = "You have strong experience with project management and budgets."
    exact = Proposal("project management", sentence, ("project management",), "exact", 1.0,
                     sentence_sim=0.6, prior_count=model.prior_count("project management"))
    unrelated = Proposal("budgets", sentence, ("operate forklift", "drive a forklift truck"),
                         "semantic", 0.45, rank=3, next_score=0.44, top_score=0.6,
                         raw_cos=0.2, adapter_cos=0.25, sentence_sim=0.05, winner=False,
                         prior_count=model.prior_count("operate forklift"))
    p_exact, p_unrelated = model.score([exact, unrelated])
    assert p_exact > p_unrelated
    assert p_exact >= model.tau > p_unrelated


def test_model_round_trips_through_json(model, tmp_path):
    path = model.save(tmp_path)
    again = AcceptanceModel.load(tmp_path)
    assert json.loads(path.read_text())["tau"] == model.tau
    p = Proposal("SQL", "Strong SQL.", ("SQL",), "exact", 1.0)
    assert again.score([p])[0] == pytest.approx(model.score([p])[0])


@pytest.fixture(scope="module")
def extractors(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("acceptance")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LMI_CACHE", str(tmp / "cache"))
        # the model applies to the framework it was trained for (ESCO): a miniature stand-in
        # imported under that id, and the same skills under another id, where it must stay off
        con = small_warehouse(tmp, SKILLS, ("esco", "small"))
        plain = SkillExtractor.from_warehouse(con, ["esco"])
        accepting = SkillExtractor.from_warehouse(con, ["esco"])
        other = SkillExtractor.from_warehouse(con, ["small"])
        for ex, on in ((plain, False), (accepting, True), (other, True)):
            key = components.register_resources(ex.nlp.get_pipe("lmi_skill_linker").resources)
            ex.nlp.replace_pipe("lmi_skill_linker", "lmi_skill_linker", config={
                "resources": key, "acceptance": on,
                "span_keys": [components.RULER_KEY, components.PHRASE_KEY]})
        yield plain, accepting, other


def test_span_tagger_spans_are_linked_where_acceptance_decides(extractors, monkeypatch):
    plain, _, other = extractors
    assert "lmi_span_model" in plain.nlp.pipe_names           # ESCO: the model was trained so
    assert "lmi_span_model" not in other.nlp.pipe_names       # other frameworks: phrases only
    assert "lmi_span_model" in plain.version
    monkeypatch.setattr(extractor_mod, "SPAN_CANDIDATES", False)
    assert "lmi_span_model" not in SkillExtractor(plain.indexes, plain.encoder).nlp.pipe_names
    forced = SkillExtractor(other.indexes, other.encoder, span_model=True)
    assert "lmi_span_model" in forced.nlp.pipe_names


def test_acceptance_stays_off_for_frameworks_it_was_not_trained_for(extractors):
    plain, accepting, other = extractors
    assert accepting.nlp.get_pipe("lmi_skill_linker").acceptance is not None
    assert other.nlp.get_pipe("lmi_skill_linker").acceptance is None
    same = {m.skill_id for m in other.extract(NEAR_MISS).skills}
    assert same == {m.skill_id for m in plain.extract(NEAR_MISS).skills}


NEAR_MISS = "We drink fresh java and talk about project management."  # java: the coffee


def test_acceptance_asserts_fewer_on_a_near_miss(extractors):
    plain, accepting, _ = extractors
    assert accepting.nlp.get_pipe("lmi_skill_linker").acceptance is not None
    before = {m.skill_id for m in plain.extract(NEAR_MISS).skills}
    after = accepting.extract(NEAR_MISS)
    assert "java" in before                        # the plain linker trusts the alt label
    assert len({m.skill_id for m in after.skills}) < len(before)
    assert "java" not in {m.skill_id for m in after.skills}
    assert "pm" in {m.skill_id for m in after.skills}


def test_acceptance_keeps_clear_skills_with_probabilities(extractors):
    _, accepting, _ = extractors
    text = "Requirements: SQL, Python and customer service experience."
    result = accepting.extract(text)
    found = {m.skill_id: m for m in result.skills}
    assert {"sql", "py"} <= set(found)
    for m in result.skills:
        assert 0.0 <= m.confidence <= 1.0 and text[m.start:m.end] == m.text
    tau = accepting.nlp.get_pipe("lmi_skill_linker").tau
    assert all(m.confidence >= tau for m in result.skills)


def test_train_linker_cli_is_registered_and_checks_inputs(tmp_path):
    from typer.testing import CliRunner

    from lmi.cli.main import app

    runner = CliRunner()
    shown = runner.invoke(app, ["train", "linker", "--help"])
    assert shown.exit_code == 0 and "lmi train linker --db" in shown.output
    missing = runner.invoke(app, ["train", "linker", "--db", str(tmp_path / "none.duckdb"),
                                  "--bench", str(tmp_path)])
    assert missing.exit_code == 2
    assert "dataset not found" in missing.output


def test_tree_walks_agree_with_hand_computed_leaves(model):
    import numpy as np

    from lmi.nlp.acceptance import Tree

    # x0 <= 0.5 ? (x1 <= 2 ? 10 : 20) : 30, nodes numbered parents first, then shuffled
    tree = Tree(np.array([0, 1, 0, 0, 0]), np.array([0.5, 2.0, 0, 0, 0]),
                np.array([1, 3, 0, 0, 0]), np.array([2, 4, 0, 0, 0]),
                np.array([False, False, True, True, True]), np.array([0, 0, 30.0, 10.0, 20.0]))
    X = np.array([[0.1, 1.0], [0.1, 3.0], [0.9, 0.0], [0.5, 2.0]])
    assert tree.predict(X).tolist() == [10.0, 20.0, 30.0, 10.0]
    # the same tree with a child numbered before its parent takes the level-by-level walk
    shuffled = Tree(np.array([0, 0, 0, 1, 0]), np.array([0.5, 0, 0, 2.0, 0]),
                    np.array([3, 0, 0, 2, 0]), np.array([1, 0, 0, 4, 0]),
                    np.array([False, True, True, False, True]), np.array([0, 30.0, 10, 0, 20]))
    assert shuffled.predict(X).tolist() == [10.0, 20.0, 30.0, 10.0]
    rows = np.random.default_rng(0).uniform(0, 1, (300, len(model.features)))
    for t in model.trees[:20]:                  # the shipped trees: both walks, same leaves
        assert np.array_equal(t.predict(rows), t._predict_levels(rows))


def test_one_skill_per_span_keeps_the_most_probable_per_overlap():
    items = [(0, 16, "esco", "business analysis", 0.62),          # "business analysis"
             (0, 16, "esco", "perform business analysis", 0.48),  # same span, another skill
             (9, 25, "esco", "analyse data", 0.70),               # overlaps both
             (30, 34, "esco", "sql", 0.55),                       # elsewhere
             (0, 16, "onet", "Business analysis software", 0.5),  # another framework
             (3, 12, "esco", "analyse data", 0.41)]               # the kept skill again
    assert one_skill_per_span(items) == [False, False, True, True, True, True]
    assert one_skill_per_span([]) == []


def test_linker_applies_the_models_one_per_span_rule(tmp_path, monkeypatch):
    monkeypatch.setenv("LMI_CACHE", str(tmp_path / "cache"))
    extractor = SkillExtractor.from_warehouse(small_warehouse(tmp_path, SKILLS, ("esco",)),
                                              ["esco"])      # with the span tagger's spans
    linker = extractor.nlp.get_pipe("lmi_skill_linker")
    # the tagger's span "customer project management skills" proposes customer service;
    # "project management" inside it proposes project management, far more probably
    text = "Strong customer project management skills."
    monkeypatch.setattr(linker, "tau", 0.0)         # accept every proposal: overlaps compete
    monkeypatch.setattr(linker.acceptance, "unseen_tau", 0.0)   # skills outside the prior too
    found = {}
    for rule in (False, True):
        monkeypatch.setattr(linker.acceptance, "one_per_span", rule)
        linker.clear_caches()
        found[rule] = extractor.extract(text).skills
    assert {m.skill_id for m in found[False]} == {"pm", "cs"}
    assert {m.skill_id for m in found[True]} == {"pm"}


def _constant_model(p_seen: float, p_unseen: float | None, *, tau: float = 0.4,
                    unseen_tau: float = 0.6) -> AcceptanceModel:
    """A model without trees (p = sigmoid(baseline)); unseen skills get their own baseline and a
    one-split tree on log_prior, so the test sees whether that column is zeroed for them."""
    from lmi.nlp.acceptance import Tree

    logit = lambda p: math.log(p / (1 - p))  # noqa: E731
    model = AcceptanceModel(list(FEATURES), logit(p_seen), [], tau, prior={"sql": 3},
                            prior_total=3)
    if p_unseen is not None:
        # log_prior <= -1 ? -5 : 0  (an unseen skill's log prior is log(0.5 / 4) ~ -2.1; zeroed: 0)
        split = Tree(np.array([FEATURES.index("log_prior"), 0, 0]), np.array([-1.0, 0, 0]),
                     np.array([1, 0, 0]), np.array([2, 0, 0]), np.array([False, True, True]),
                     np.array([0.0, -5.0, 0.0]))
        model.attach_unseen(AcceptanceModel(list(FEATURES), logit(p_unseen), [split], tau),
                            unseen_tau)
    return model


def test_unseen_skills_have_their_own_trees_and_bar(tmp_path):
    seen = Proposal("SQL", "Strong SQL.", ("SQL",), "exact", 1.0, prior_count=3)
    unseen = Proposal("Norwegian", "Fluent Norwegian.", ("Norwegian",), "exact", 1.0)
    model = _constant_model(0.3, 0.7)
    p_seen, p_unseen = model.score([seen, unseen])
    assert p_seen == pytest.approx(0.3)
    assert p_unseen == pytest.approx(0.7)       # the split took the zeroed log_prior (0 > -1)
    assert model.bars(np.array([True, False])).tolist() == [0.4, 0.6]
    assert model.bars(np.array([True, False]), 0.65).tolist() == [0.65, 0.65]
    again = AcceptanceModel.load(model.save(tmp_path).parent)
    assert again.score([seen, unseen]).tolist() == pytest.approx([0.3, 0.7])
    assert again.unseen_tau == 0.6
    # without unseen trees the main trees decide every skill, at tau
    plain = _constant_model(0.3, None)
    assert plain.score([seen, unseen]).tolist() == pytest.approx([0.3, 0.3])
    assert plain.bars(np.array([True, False])).tolist() == [0.4, 0.4]


def test_linker_asserts_unseen_skills_only_past_their_bar(tmp_path, monkeypatch):
    monkeypatch.setenv("LMI_CACHE", str(tmp_path / "cache"))
    extractor = SkillExtractor.from_warehouse(small_warehouse(tmp_path, SKILLS, ("esco",)),
                                              ["esco"], span_model=False)
    linker = extractor.nlp.get_pipe("lmi_skill_linker")
    text = "Strong SQL and operate forklift."
    found = {}
    for p_unseen in (0.7, 0.5):         # "operate forklift" is outside this model's prior
        linker.use_acceptance(_constant_model(0.45, p_unseen), 0.4)
        linker.clear_caches()
        found[p_unseen] = {m.skill_id for m in extractor.extract(text).skills}
    assert {"sql", "forklift"} <= found[0.7]
    assert "sql" in found[0.5] and "forklift" not in found[0.5]


def test_framework_facts_reach_the_proposals(tmp_path, monkeypatch):
    from lmi.nlp.embeddings import SkillFacts, framework_skill_facts

    monkeypatch.setenv("LMI_CACHE", str(tmp_path / "cache"))
    con = small_warehouse(tmp_path, SKILLS, ("esco",))
    con.execute("UPDATE skills SET reuse_level = 'transversal', skill_type = 'skill' "
                "WHERE skill_id = 'pm'")
    con.executemany("INSERT INTO framework_occupation_skills VALUES ('esco', ?, 'pm', ?)",
                    [("o1", "essential"), ("o2", "essential"), ("o3", "optional")])
    facts = framework_skill_facts(con, "esco")
    assert facts["pm"] == SkillFacts(2, 1, 3, False)
    assert facts["sql"] == SkillFacts(0, 0, -1, False)
    linker = SkillExtractor.from_warehouse(con, ["esco"], span_model=False).nlp.get_pipe(
        "lmi_skill_linker")
    f = _features(linker._proposal("esco", "pm", "project management", "Project management.",
                                   np.zeros(384, np.float32), "exact", 1.0, 0, 0.0, 1.0, None))
    assert f["log_essential_occupations"] == pytest.approx(math.log(3))
    assert f["log_optional_occupations"] == pytest.approx(math.log(2))
    assert f["reuse_level"] == 3.0 and f["knowledge"] == 0.0


def test_load_parses_a_file_once_and_hands_out_copies(model, tmp_path):
    import copy

    model = copy.copy(model)            # the fixture is shared: change a copy
    folder = model.save(tmp_path).parent
    first, second = AcceptanceModel.load(folder), AcceptanceModel.load(folder)
    assert first is not second and first.trees is second.trees     # parsed once
    first.one_per_span = not second.one_per_span                    # copies stay independent
    assert AcceptanceModel.load(folder).one_per_span == model.one_per_span
    model.tau = 0.123                                               # a new file version is re-read
    model.save(folder)
    again = AcceptanceModel.load(folder)
    assert again.tau == pytest.approx(0.123) and again.trees is not first.trees


def test_rank_order_breaks_rounding_ties_by_skill_id():
    """Two skills sharing a label score 1.0 and 0.99999994 by batch-dependent rounding: the
    order must not follow that noise."""
    from lmi.nlp.components import _rank_order

    a = sorted([(0.99999994, "esco", "b"), (1.0, "esco", "a"), (0.7, "esco", "c")],
               key=_rank_order)
    b = sorted([(1.0, "esco", "b"), (0.99999994, "esco", "a"), (0.7, "esco", "c")],
               key=_rank_order)
    assert [g[2] for g in a] == [g[2] for g in b] == ["a", "b", "c"]


def _reference_row(p: Proposal, prior_total: int) -> list[float]:
    """The per-proposal feature code the shipped trees were trained with (the oracle)."""
    from lmi.nlp.acceptance import _text_features

    (jaccard, in_span, span_in_label, in_sentence, span_tokens, label_tokens, requirement,
     separators) = _text_features(p.span, p.sentence, p.labels)
    prior = math.log((p.prior_count + 0.5) / (prior_total + 1.0)) if prior_total else 0.0
    raw_cos, adapter_cos, sentence_sim = (min(c, 1.0) for c in (
        p.raw_cos, p.adapter_cos, p.sentence_sim))
    return [
        p.score, 1.0 / (p.rank + 1), p.score - p.next_score, p.top_score - p.score, raw_cos,
        adapter_cos, sentence_sim, jaccard, in_span, in_sentence, span_in_label,
        min(span_tokens, 8) / 8, min(label_tokens, 8) / 8,
        float(span_tokens == 1), float(p.method == "exact"), float(p.method == "alt_label"),
        float(p.method == "semantic"), float(p.winner), requirement, separators, prior,
        float(p.prior_count > 0), p.score * in_span, p.score * p.score,
        math.log1p(p.essential_occupations), math.log1p(p.optional_occupations),
        float(p.reuse_level), float(p.knowledge),
    ]


def test_feature_matrix_equals_the_per_proposal_code_bit_for_bit():
    """The column-wise matrix holds exactly the per-proposal feature vectors, whatever the
    other rows of the batch (the logarithms are shared per distinct count)."""
    from lmi.nlp.acceptance import feature_matrix

    proposals = [
        Proposal(span=span, sentence=sentence, labels=labels, method=method, score=score,
                 rank=rank, next_score=score - 0.05 * rank, top_score=0.93,
                 raw_cos=1.0000001 if method == "exact" else 0.71 + 0.01 * rank,
                 adapter_cos=0.66, sentence_sim=0.31 * rank, winner=rank % 2 == 0,
                 prior_count=prior, essential_occupations=occ, optional_occupations=2 * occ,
                 reuse_level=rank - 1, knowledge=bool(prior % 2))
        for rank, (span, sentence, labels, method, score, prior, occ) in enumerate([
            ("SQL", "Strong SQL, Python / R.", ("SQL", "structured query language"), "exact",
             1.0, 0, 0),
            ("managing projects", "Must have experience managing projects",
             ("project management", "manage projects"), "semantic", 0.81, 3, 17),
            ("client care", "Client care", ("customer service", "client care"), "alt_label",
             1.0, 12, 1),
            ("forklift", "", ("operate forklift",), "semantic", 0.47, 0, 250),
        ])]
    for total in (0, 99):
        matrix = feature_matrix(proposals, total)
        rows = np.array([_reference_row(p, total) for p in proposals], dtype=np.float64)
        assert matrix.shape == (len(proposals), len(FEATURES))
        assert np.array_equal(matrix, rows)
        assert [candidate_features(p, total) for p in proposals] == rows.tolist()
    assert feature_matrix([], 5).shape == (0, len(FEATURES))


def test_trees_use_every_row_and_do_not_depend_on_the_seed():
    """Above 10,000 rows scikit-learn's automatic early stopping would hold out a random 10%
    chosen by the seed; GBT_PARAMS turns it off, so two seeds fit the same trees."""
    rng = np.random.default_rng(0)
    X = rng.random((10_500, len(FEATURES)))
    y = (X[:, 0] + 0.3 * rng.standard_normal(len(X))) > 0.5
    a = AcceptanceModel.fit(X, y, seed=0, max_iter=20)
    b = AcceptanceModel.fit(X, y, seed=1, max_iter=20)
    assert len(a.trees) == len(b.trees) == 20
    assert np.array_equal(a.predict(X[:500]), b.predict(X[:500]))


def test_score_runs_each_distinct_proposal_once_with_the_same_probabilities(model):
    """score() dedupes proposals that differ only in their offsets; the probabilities are those
    of every row scored on its own, and the dedup key reads every field but the offsets."""
    import dataclasses

    from lmi.nlp.acceptance import _feature_key, feature_matrix, seen_mask

    base = [Proposal("SQL", "Strong SQL.", ("SQL",), "exact", 1.0, prior_count=3),
            Proposal("managing projects", "Managing projects daily.",
                     ("project management",), "semantic", 0.74, rank=1, next_score=0.6)]
    repeated = [dataclasses.replace(p, start=s, end=s + 3) for s in (0, 40, 90) for p in base]
    repeated.insert(2, dataclasses.replace(base[1], score=0.52))    # differs in a feature
    expected = model.predict(feature_matrix(repeated, model.prior_total), seen_mask(repeated))
    assert np.array_equal(model.score(repeated), expected)
    assert len(model.score([])) == 0
    p = base[1]
    key_fields = {f.name for f in dataclasses.fields(Proposal)} - {"start", "end"}
    for name in key_fields:       # changing any feature field changes the key
        value = getattr(p, name)
        other = (value + ("x",) if isinstance(value, tuple) else not value
                 if isinstance(value, bool) else value + 1 if isinstance(value, int | float)
                 else value + "x")
        assert _feature_key(dataclasses.replace(p, **{name: other})) != _feature_key(p), name
    assert len(_feature_key(p)) == len(key_fields)
