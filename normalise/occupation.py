"""NOC 2021 five-digit coder for posting titles: hybrid nearest neighbours over OaSIS titles.

Similarity = character n-gram TF-IDF + word TF-IDF + MiniLM sentence embeddings, max per code.
The title index comes from `ref_noc_titles` (imported OaSIS) or the packaged starter titles;
embeddings are cached in lmi.config.cache_dir().
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from lmi.config import cache_dir, sentence_model_path
from lmi.normalise.text import fold, squash
from lmi.normalise.title_clean import title_variants

DATA_DIR = Path(__file__).resolve().parent / "data"
WEIGHTS = {"char": 0.35, "word": 0.2, "emb": 0.45}
VARIANT_DISCOUNT = 0.92
HEAD_WEIGHT = 0.9  # 'cook' taken from 'cook - pulp and paper' is weaker evidence
VOTE_K, VOTE_WEIGHT = 15, 0.08


@dataclass(frozen=True)
class NocResult:
    code: str | None
    score: float
    title: str | None  # NOC unit-group title
    alternatives: list[tuple[str, float]] = field(default_factory=list)  # top-5 (code, score)


def _ref_text(title: str) -> list[tuple[str, float]]:
    """Index forms of a reference title with weights: the head before ' - ' counts a bit less."""
    base = squash(re.sub(r"\([^)]*\)", " ", fold(title)))
    forms = [(base, 1.0)]
    head = base.split(" - ")[0].strip()
    if head and head != base:
        forms.append((head, HEAD_WEIGHT))
    return [(squash(re.sub(r"[^\w&+#' ]", " ", f)), w) for f, w in forms]


def load_titles(con: duckdb.DuckDBPyConnection | None = None) -> list[tuple[str, str]]:
    """(title, code) pairs from ref_noc_titles when imported, else the packaged starter table."""
    if con is not None:
        try:
            rows = con.execute("SELECT title, code FROM ref_noc_titles").fetchall()
            if rows:
                return [(t, c) for t, c in rows if t and c]
        except duckdb.Error:
            pass
    with (DATA_DIR / "noc_titles_starter.csv").open(encoding="utf-8", newline="") as fh:
        return [(r["title"], r["code"]) for r in csv.DictReader(fh)]


def load_unit_titles(con: duckdb.DuckDBPyConnection | None = None) -> dict[str, str]:
    """NOC code -> class title for every level."""
    if con is not None:
        try:
            rows = con.execute("SELECT code, title FROM ref_noc").fetchall()
            if rows:
                return dict(rows)
        except duckdb.Error:
            pass
    with (DATA_DIR / "noc_codes.csv").open(encoding="utf-8", newline="") as fh:
        return {r["code"]: r["title"] for r in csv.DictReader(fh)}


def get_encoder():
    """The shared sentence encoder (lmi.nlp.embeddings.get_encoder if present), offline MiniLM."""
    try:
        from lmi.nlp.embeddings import get_encoder as shared  # type: ignore[attr-defined]

        return shared()
    except (ImportError, AttributeError):
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(sentence_model_path(), device="cpu")


def _encode(encoder, texts: list[str], *, bulk: bool) -> np.ndarray:
    """L2-normalised float32 vectors from the shared Encoder or a plain SentenceTransformer."""
    if hasattr(encoder, "max_seq_length"):  # sentence_transformers.SentenceTransformer
        vecs = encoder.encode(
            texts,
            batch_size=256,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
    else:
        vecs = encoder.encode(texts, cache=not bulk)
    return np.asarray(vecs, dtype=np.float32)


class OccupationCoder:
    """Nearest-neighbour NOC coder over a title index."""

    def __init__(
        self,
        titles: list[tuple[str, str]],
        *,
        use_embeddings: bool = True,
        unit_titles: dict[str, str] | None = None,
    ):
        texts, codes, weights = [], [], []
        for title, code in titles:
            for form, weight in _ref_text(title):
                if form:
                    texts.append(form)
                    codes.append(code[:5])
                    weights.append(weight)
        self.texts, self.codes = texts, np.array(codes)
        self.weights = np.array(weights)
        self.unit_titles = unit_titles or {}
        self.char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
        self.word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        self.char_m = self.char.fit_transform(texts)
        self.word_m = self.word.fit_transform(texts)
        self.code_list, self.code_idx = np.unique(self.codes, return_inverse=True)
        self.encoder = get_encoder() if use_embeddings else None
        self.emb_m = self._embed_index() if self.encoder is not None else None

    def _embed_index(self) -> np.ndarray:
        """Index embeddings, reusing vectors of any earlier cached index (per-title reuse)."""
        digest = hashlib.sha1("\n".join(self.texts).encode("utf-8")).hexdigest()[:16]
        path = cache_dir() / f"noc_title_emb_{digest}.npz"
        if path.exists():
            return np.load(path)["emb"]
        known: dict[str, np.ndarray] = {}
        for old in sorted(cache_dir().glob("noc_title_emb_*.npz"))[-3:]:
            with np.load(old) as cached:
                known.update(zip(cached["texts"].tolist(), cached["emb"], strict=True))
        missing = sorted({t for t in self.texts if t not in known})
        if missing:
            known.update(zip(missing, _encode(self.encoder, missing, bulk=True), strict=True))
        emb = np.stack([known[t] for t in self.texts]).astype(np.float32)
        np.savez(path, texts=np.array(self.texts), emb=emb)
        return emb

    def _similarities(self, queries: list[str]) -> np.ndarray:
        sims = WEIGHTS["char"] * (self.char.transform(queries) @ self.char_m.T).toarray()
        sims += WEIGHTS["word"] * (self.word.transform(queries) @ self.word_m.T).toarray()
        if self.emb_m is not None:
            q = _encode(self.encoder, queries, bulk=False)
            sims += WEIGHTS["emb"] * (q @ self.emb_m.T)
        else:
            sims /= WEIGHTS["char"] + WEIGHTS["word"]
        return sims

    def _per_code(self, sims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(best weighted similarity per code, that plus a small vote of the nearest neighbours)."""
        sims = sims * self.weights
        best = np.zeros(len(self.code_list), dtype=np.float64)
        np.maximum.at(best, self.code_idx, sims)
        ranked = best.copy()
        near = np.argpartition(-sims, VOTE_K)[:VOTE_K]
        np.add.at(ranked, self.code_idx[near], VOTE_WEIGHT * sims[near])
        return best, ranked

    def code(self, title: str | None, description: str | None = None, *, k: int = 5) -> NocResult:
        """Top NOC unit group for a title with its score and the top-k alternatives."""
        return self.code_many([title or ""], k=k)[0]

    def code_many(self, titles: list[str], *, k: int = 5) -> list[NocResult]:
        """Batch version of `code` (one encoder call)."""
        variants = [title_variants(t) if t and t.strip() else [] for t in titles]
        flat = [v for vs in variants for v in vs]
        sims = self._similarities(flat) if flat else np.zeros((0, len(self.texts)))
        out, row = [], 0
        for vs in variants:
            if not vs:
                out.append(NocResult(None, 0.0, None, []))
                continue
            score = np.zeros(len(self.code_list))
            rank = np.zeros(len(self.code_list))
            for i in range(len(vs)):
                weight = 1.0 if i == 0 else VARIANT_DISCOUNT
                best, ranked = self._per_code(sims[row + i])
                score = np.maximum(score, weight * best)
                rank = np.maximum(rank, weight * ranked)
            row += len(vs)
            top = np.argsort(-rank)[:k]
            alts = [(str(self.code_list[j]), round(min(float(score[j]), 1.0), 4)) for j in top]
            best = alts[0][0]
            out.append(NocResult(best, alts[0][1], self.unit_titles.get(best), alts))
        return out


_lock = threading.Lock()
_coders: dict[object, OccupationCoder] = {}


def embeddings_enabled() -> bool:
    """False when $LMI_NOC_EMBEDDINGS=0: n-gram similarity only (fast, a little less accurate)."""
    return os.environ.get("LMI_NOC_EMBEDDINGS", "1") != "0"


def get_coder(
    con: duckdb.DuckDBPyConnection | None = None, *, use_embeddings: bool | None = None
) -> OccupationCoder:
    """A cached coder for this connection's title table (starter titles without one)."""
    if use_embeddings is None:
        use_embeddings = embeddings_enabled()
    titles = load_titles(con)
    key = (len(titles), hashlib.sha1(repr(titles[:50]).encode()).hexdigest(), use_embeddings)
    with _lock:
        if key not in _coders:
            _coders[key] = OccupationCoder(
                titles, use_embeddings=use_embeddings, unit_titles=load_unit_titles(con)
            )
        return _coders[key]


def code_occupation(
    title: str | None,
    description: str | None = None,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
) -> NocResult:
    """NOC 2021 unit group for a posting title (description currently unused beyond ties)."""
    return get_coder(con).code(title, description)
