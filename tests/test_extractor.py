"""The spaCy skill-extraction pipeline on a small framework: ruler, semantic linking, caching."""

from __future__ import annotations

import os

import numpy as np
import pytest

from lmi.nlp.embeddings import LabelIndex
from lmi.nlp.extractor import SkillExtractor
from tests.small_framework import small_warehouse

SKILLS = [
    {"id": "py", "label": "Python (computer programming)", "alt_labels": ["Python3"]},
    {"id": "sql", "label": "SQL", "alt_labels": ["structured query language"]},
    {"id": "pm", "label": "project management", "alt_labels": []},
    {"id": "cs", "label": "customer service", "alt_labels": ["client care"]},
    {"id": "ml", "label": "machine learning", "alt_labels": []},
    {"id": "forklift", "label": "operate forklift", "alt_labels": ["drive a forklift truck"]},
]
TEXT = (
    "We are hiring a data analyst.\n"
    "- Strong SQL and Python3 skills\n"
    "- Experience managing projects across teams\n"
    "- Knowledge of structured query language tuning\n"
    "- Enjoys baking sourdough bread on weekends\n"
)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("extractor")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LMI_CACHE", str(tmp / "cache"))
        con = small_warehouse(tmp, SKILLS)
        extractor = SkillExtractor.from_warehouse(con, ["small"])
        yield con, extractor, tmp / "cache"


def _by_skill(extraction):
    return {m.skill_id: m for m in extraction.skills}


def test_exact_and_alt_labels(env):
    _, extractor, _ = env
    found = _by_skill(extractor.extract(TEXT))
    assert found["sql"].method == "exact"
    assert found["sql"].text == "SQL"
    assert found["py"].method == "alt_label"
    assert found["py"].label == "Python (computer programming)"
    assert found["sql"].confidence > found["py"].confidence - 0.1


def test_stripped_parenthetical_counts_as_exact(env):
    _, extractor, _ = env
    found = _by_skill(extractor.extract("Scripting in Python is a plus."))
    assert found["py"].method == "exact" and found["py"].text == "Python"


def test_paraphrase_linked_semantically(env):
    _, extractor, _ = env
    found = _by_skill(extractor.extract(TEXT))
    assert found["pm"].method == "semantic"
    assert "managing projects" in found["pm"].text
    # semantic confidence is the calibrated precision of the raw score (models/linker_adapter)
    from lmi.nlp.ranker import confidence
    assert 0.0 < found["pm"].confidence <= 1.0
    assert found["pm"].confidence <= confidence(1.0)


def test_unrelated_phrase_not_linked(env):
    _, extractor, _ = env
    result = extractor.extract(TEXT)
    bread = TEXT.index("baking")
    assert not any(m.start <= bread < m.end for m in result.skills)
    assert {m.skill_id for m in result.skills} <= {"py", "sql", "pm", "cs", "ml", "forklift"}
    assert "forklift" not in _by_skill(result)


def test_offsets_and_confidence(env):
    _, extractor, _ = env
    result = extractor.extract(TEXT)
    assert result.skills
    for m in result.skills + result.unlinked:
        assert TEXT[m.start:m.end] == m.text
    for m in result.skills:
        assert 0.0 <= m.confidence <= 1.0
        assert m.method in {"exact", "alt_label", "semantic"}


def test_same_skill_once_per_doc_keeping_best(env):
    _, extractor, _ = env
    result = extractor.extract(TEXT)   # SQL appears as label and as alternative label
    sql = [m for m in result.skills if m.skill_id == "sql"]
    assert len(sql) == 1 and sql[0].method == "exact"


def test_extract_many_equals_extract(env):
    _, extractor, _ = env
    texts = [TEXT, "Client care and forklift driving.", "", "Drive a forklift truck safely."]
    assert list(extractor.extract_many(texts, batch_size=2)) == [extractor.extract(t)
                                                                 for t in texts]


def test_pipeline_is_assembled_from_factories(env):
    _, extractor, _ = env
    assert extractor.nlp.pipe_names == ["lmi_boilerplate", "lmi_skill_ruler",
                                        "lmi_candidate_phrases", "lmi_skill_linker"]
    assert "small@1" in extractor.version
    doc = extractor.nlp("Strong SQL skills and experience managing projects")
    assert [s.text for s in doc.spans["skill_candidates"]] == ["SQL"]
    assert "managing projects" in [s.text for s in doc.spans["phrase_candidates"]]


def test_threshold_controls_semantic_links(env):
    con, _, _ = env
    strict = SkillExtractor.from_warehouse(con, ["small"], threshold=0.99)
    methods = {m.method for m in strict.extract(TEXT).skills}
    assert "semantic" not in methods
    assert strict.extract(TEXT).unlinked, "phrases below threshold become unlinked phrases"


def test_label_index_disk_cache_reused(env):
    con, extractor, cache = env
    files = list(cache.glob("labels-small-*.npz"))
    assert len(files) == 1

    class NoEncoder:
        model_id = extractor.encoder.model_id

        def encode(self, *args, **kwargs):
            raise AssertionError("cache miss: labels were re-encoded")

    index = LabelIndex.build(con, "small", NoEncoder())
    assert np.allclose(index.vectors, extractor.indexes["small"].vectors)
    assert os.path.getmtime(files[0]) == os.path.getmtime(
        next(cache.glob("labels-small-*.npz")))


def test_single_words_need_a_higher_score(env):
    con, extractor, _ = env
    loose = SkillExtractor.from_warehouse(con, ["small"], threshold=0.5)
    ranker = loose.nlp.get_pipe("lmi_skill_linker").resources.rankers["small"]
    (word_top,), (phrase_top,) = ranker.rank(["clients", "helping clients"], k=1)
    assert word_top[0] == phrase_top[0] == "cs"
    assert 0.5 <= word_top[1] < 0.9 and 0.5 <= phrase_top[1]
    word = loose.extract("Clients.")
    assert not word.skills and word.unlinked[0].best_skill_id == "cs"
    phrase = loose.extract("Helping clients.")
    assert [m.skill_id for m in phrase.skills] == ["cs"]


def test_boilerplate_produces_no_skills(env):
    _, extractor, _ = env
    requirement = "Requirements\nStrong SQL skills.\n\n"
    apply = "How to apply\nSend your resume; we value project management in our recruitment."
    assert {m.skill_id for m in extractor.extract(apply).skills} == set()
    assert "pm" in {m.skill_id for m in extractor.extract("We value project management.").skills}
    found = extractor.extract(requirement + apply)
    assert [m.text for m in found.skills] == ["SQL"]


def test_boilerplate_is_never_encoded(env):
    """Phrases in boilerplate are dropped before linking, not after: no encoder work on them."""
    _, extractor, _ = env
    extractor.clear_caches()
    text = ("Requirements\nStrong SQL skills and experience managing projects.\n\n"
            "Benefits\nWe offer forklift driving lessons and a sourdough baking club.")
    found = extractor.extract(text)
    assert {m.skill_id for m in found.skills} == {"sql", "pm"}
    encoded = " ".join(extractor.encoder._cache)
    assert "managing projects" in encoded
    assert "forklift" not in encoded and "sourdough" not in encoded
    assert all("forklift" not in u.text for u in found.unlinked)


def test_clear_caches_forgets_phrases_but_not_results(env):
    _, extractor, _ = env
    first = extractor.extract(TEXT)
    linker = extractor.nlp.get_pipe("lmi_skill_linker")
    assert extractor.encoder._cache and any(linker._rank_cache.values())
    extractor.clear_caches()
    assert not extractor.encoder._cache and not any(linker._rank_cache.values())
    assert not any(r._gram_cache for r in linker.resources.rankers.values())
    assert [m.skill_id for m in extractor.extract(TEXT).skills] == [
        m.skill_id for m in first.skills]
