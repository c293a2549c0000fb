"""Phrase vectors kept on disk between extraction runs: exact, model-checked, crash-safe."""

import numpy as np
import pytest

from lmi.nlp.embeddings import Encoder, get_encoder
from lmi.pipeline import extract_skills
from lmi.warehouse.db import apply_schema

PHRASES = ["Python programming", "forklift operation", "customer service", "données"]


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return get_encoder()


def test_saved_vectors_come_back_exactly_without_encoding(encoder, tmp_path, monkeypatch):
    expected = encoder.encode(PHRASES)
    path = encoder.save_phrases(tmp_path / "phrases.npz")
    saved = dict(encoder._cache)
    encoder._cache.clear()
    try:
        assert encoder.load_phrases(path) >= len(PHRASES)

        def no_encoding(texts, progress):
            raise AssertionError(f"re-encoded {texts}")

        monkeypatch.setattr(encoder, "_encode_raw", no_encoding)
        assert np.array_equal(encoder.encode(PHRASES), expected)
    finally:
        encoder._cache.update(saved)


def test_newest_phrases_are_kept_within_the_limit(encoder, tmp_path):
    encoder.encode(["an older phrase", "the newest phrase"])
    path = encoder.save_phrases(tmp_path / "p.npz", limit=1)
    with np.load(path) as data:
        assert int(data["n"]) == 1 and data["vectors"].shape == (1, 384)
        assert data["texts"].tobytes().decode("utf-8") == "the newest phrase"


def test_foreign_or_broken_files_are_ignored(encoder, tmp_path):
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, model=np.array("another-model"), n=np.array(1),
             texts=np.frombuffer(b"x", np.uint8), vectors=np.ones((1, 384), np.float32))
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a numpy file")
    before = len(encoder._cache)
    assert encoder.load_phrases(foreign) == 0
    assert encoder.load_phrases(broken) == 0
    assert encoder.load_phrases(tmp_path / "missing.npz") == 0
    assert len(encoder._cache) == before


class _FailingExtractor:
    """Encodes a phrase, then crashes: the run must still leave its phrases on disk."""

    version = "test-v1"

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder

    def extract_many(self, texts, batch_size=64):
        self.encoder.encode(["a phrase seen before the crash"])
        raise RuntimeError("extractor crashed")


def test_extraction_run_saves_phrases_even_when_it_fails(encoder, tmp_path, monkeypatch):
    import duckdb

    monkeypatch.setenv("LMI_CACHE", str(tmp_path))
    con = duckdb.connect()
    apply_schema(con)
    con.execute("INSERT INTO postings (posting_id, raw_id, source_id, url, first_seen, last_seen, "
                "title, description, language) VALUES ('p1', 'r1', 's', 'http://127.0.0.1/p1', "
                "now(), now(), 'Analyst', 'SQL and Python.', 'en')")
    with pytest.raises(RuntimeError, match="crashed"):
        extract_skills(con, _FailingExtractor(encoder))
    saved = list(tmp_path.glob("phrases-*.npz"))
    assert len(saved) == 1
    with np.load(saved[0]) as data:
        assert "a phrase seen before the crash" in data["texts"].tobytes().decode("utf-8")
    assert con.execute("SELECT count(*) FROM posting_skills").fetchone()[0] == 0


def test_encoder_precision_is_chosen_from_env_or_cpu(monkeypatch):
    from lmi.nlp import embeddings

    monkeypatch.setenv("LMI_ENCODER_PRECISION", "fp32")
    assert embeddings.encoder_precision() == "fp32"
    monkeypatch.setenv("LMI_ENCODER_PRECISION", "BF16")
    assert embeddings.encoder_precision() == "bf16"
    monkeypatch.setenv("LMI_ENCODER_PRECISION", "auto")
    monkeypatch.setattr(embeddings, "native_bf16", lambda: False)
    assert embeddings.encoder_precision() == "fp32"      # no hardware bf16: emulation is slow
    monkeypatch.setattr(embeddings, "native_bf16", lambda: True)
    assert embeddings.encoder_precision() == "bf16"
    monkeypatch.setenv("LMI_ENCODER_PRECISION", "fp8")
    with pytest.raises(ValueError, match="LMI_ENCODER_PRECISION"):
        embeddings.encoder_precision()


def test_bf16_vectors_are_close_to_fp32_and_cached_apart(encoder):
    other = "bf16" if encoder.precision == "fp32" else "fp32"
    twin = Encoder(precision=other)
    assert twin.model_id != encoder.model_id            # label / phrase caches keyed apart
    assert {encoder.model_id, twin.model_id} == {"all-MiniLM-L6-v2", "all-MiniLM-L6-v2+bf16"}
    a, b = encoder.encode(PHRASES, cache=False), twin.encode(PHRASES, cache=False)
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    assert (a * b).sum(axis=1).min() > 0.999            # same ranking up to near-ties
    assert not np.array_equal(a, b)                     # but really a different computation


def test_cached_phrases_move_between_encoders_without_encoding(encoder, monkeypatch):
    expected = encoder.encode(PHRASES)
    keys, vectors = encoder.cached_phrases()
    assert len(keys) == len(vectors) >= len(PHRASES)
    other = object.__new__(Encoder)          # an encoder without a model: it must not encode
    other._cache, other._key = {}, encoder._key
    monkeypatch.setattr(other, "_encode_raw", lambda texts, progress: 1 / 0, raising=False)
    other.add_phrases(keys, vectors)
    assert np.array_equal(other.encode(PHRASES), expected)
