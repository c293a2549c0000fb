"""Extraction on worker processes gives the in-process results, in order, and keeps phrases."""

from __future__ import annotations

import pytest

from lmi.nlp.extractor import SkillExtractor
from lmi.nlp.parallel import ParallelExtractor, workers_from_env
from tests.small_framework import small_warehouse
from tests.test_extractor import SKILLS, TEXT

TEXTS = [TEXT, "Operate a forklift safely.", "", "Client care and SQL reporting.",
         TEXT.replace("SQL", "machine learning"), "Bake bread.", TEXT]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("parallel")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LMI_CACHE", str(tmp / "cache"))   # inherited by the spawned workers
        con = small_warehouse(tmp, SKILLS)
        extractor = SkillExtractor.from_warehouse(con, ["small"])
        with ParallelExtractor(extractor, 2) as parallel:
            yield extractor, parallel, tmp


def _found(extraction) -> list[tuple[str, int, int]]:
    return [(m.skill_id, m.start, m.end) for m in extraction.skills]


def test_workers_return_the_in_process_skills_in_input_order(env) -> None:
    extractor, parallel, _ = env
    serial = list(extractor.extract_many(TEXTS))
    shared = list(parallel.extract_many(TEXTS, batch_size=3))
    assert [_found(e) for e in shared] == [_found(e) for e in serial]
    assert _found(shared[0]) and not _found(shared[2])
    assert [u.text for u in shared[0].unlinked] == [u.text for u in serial[0].unlinked]
    for a, b in zip(shared, serial, strict=True):
        for m, n in zip(a.skills, b.skills, strict=True):
            assert m.confidence == pytest.approx(n.confidence, abs=0.02)
    assert parallel.version == extractor.version
    assert len(set(parallel.pids())) == 2


def test_worker_phrases_are_saved_and_loaded(env) -> None:
    _, parallel, tmp = env
    list(parallel.extract_many(TEXTS))
    path = parallel.encoder.save_phrases(tmp / "phrases.npz")
    assert path.is_file()
    parallel.clear_caches()
    assert parallel.encoder.load_phrases(path) > 10


def test_worker_count_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("LMI_EXTRACT_WORKERS", "2")
    assert workers_from_env() == 2
    monkeypatch.setenv("LMI_EXTRACT_WORKERS", "lots")
    assert workers_from_env() == 1
    with pytest.raises(ValueError):
        ParallelExtractor(object(), 1)
