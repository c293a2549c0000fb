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
from types import EllipsisType

import duckdb
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from lmi.config import cache_dir, sentence_model_path
from lmi.normalise.refstamp import Stamp, reference_stamp
from lmi.normalise.text import fold, squash
from lmi.normalise.title_clean import title_variants

DATA_DIR = Path(__file__).resolve().parent / "data"
WEIGHTS = {"char": 0.35, "word": 0.2, "emb": 0.45}
VARIANT_DISCOUNT = 0.92
HEAD_WEIGHT = 0.9  # 'cook' taken from 'cook - pulp and paper' is weaker evidence
VOTE_K, VOTE_WEIGHT = 15, 0.08
SIM_CELLS = 4_000_000  # query rows x index forms per dense similarity block (~32 MB)


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
        self._order = np.argsort(self.code_idx, kind="stable")  # forms grouped by code
        self._starts = np.searchsorted(self.code_idx[self._order], np.arange(len(self.code_list)))
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

    def _similarities(self, queries: list[str], q_emb: np.ndarray | None = None) -> np.ndarray:
        """Hybrid similarity of each query to every index form (rows: queries)."""
        sims = WEIGHTS["char"] * (self.char.transform(queries) @ self.char_m.T).toarray()
        sims += WEIGHTS["word"] * (self.word.transform(queries) @ self.word_m.T).toarray()
        if self.emb_m is not None:
            q = _encode(self.encoder, queries, bulk=False) if q_emb is None else q_emb
            sims += WEIGHTS["emb"] * (q @ self.emb_m.T)
        else:
            sims /= WEIGHTS["char"] + WEIGHTS["word"]
        return sims

    def _per_code(self, sims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per query row: (best weighted similarity per code, that plus a small neighbour vote)."""
        sims = sims * self.weights
        best = np.maximum(np.maximum.reduceat(sims[:, self._order], self._starts, axis=1), 0.0)
        ranked = best.copy()
        k = min(VOTE_K, sims.shape[1] - 1)
        near = np.argpartition(-sims, k, axis=1)[:, :k]
        rows = np.broadcast_to(np.arange(len(sims))[:, None], near.shape)
        np.add.at(ranked, (rows, self.code_idx[near]), VOTE_WEIGHT * sims[rows, near])
        return best, ranked

    def code(self, title: str | None, description: str | None = None, *, k: int = 5) -> NocResult:
        """Top NOC unit group for a title with its score and the top-k alternatives."""
        return self.code_many([title or ""], k=k)[0]

    def code_many(self, titles: list[str | None], *, k: int = 5) -> list[NocResult]:
        """Batch version of `code`: distinct titles only, one encoder call, chunked matrix work."""
        distinct = list(dict.fromkeys(t or "" for t in titles))
        variants = [title_variants(t) if t.strip() else [] for t in distinct]
        flat = [v for vs in variants for v in vs]
        q_emb = None
        if flat and self.emb_m is not None:
            q_emb = _encode(self.encoder, flat, bulk=False)
        chunk = max(1, SIM_CELLS // max(len(self.texts), 1))
        best_rows, rank_rows = [], []
        for start in range(0, len(flat), chunk):
            part = flat[start : start + chunk]
            emb = q_emb[start : start + chunk] if q_emb is not None else None
            best, ranked = self._per_code(self._similarities(part, emb))
            best_rows.append(best)
            rank_rows.append(ranked)
        best_all = np.vstack(best_rows) if best_rows else None
        rank_all = np.vstack(rank_rows) if rank_rows else None
        by_title, row = {}, 0
        for title, vs in zip(distinct, variants, strict=True):
            by_title[title] = self._result(best_all, rank_all, row, len(vs), k)
            row += len(vs)
        return [by_title[t or ""] for t in titles]

    def _result(self, best, ranked, row: int, n: int, k: int) -> NocResult:
        """Combine a title's variant rows (later variants discounted) into one result."""
        if n == 0:
            return NocResult(None, 0.0, None, [])
        weights = np.full((n, 1), VARIANT_DISCOUNT)
        weights[0] = 1.0
        score = np.maximum((weights * best[row : row + n]).max(axis=0), 0.0)
        rank = np.maximum((weights * ranked[row : row + n]).max(axis=0), 0.0)
        top = np.argsort(-rank)[:k]
        alts = [(str(self.code_list[j]), round(min(float(score[j]), 1.0), 4)) for j in top]
        code = alts[0][0]
        return NocResult(code, alts[0][1], self.unit_titles.get(code), alts)


_lock = threading.Lock()
_coders: dict[object, OccupationCoder] = {}


def embeddings_enabled(stamp: Stamp | EllipsisType = ...) -> bool:
    """Whether the coder adds MiniLM similarity: $LMI_NOC_EMBEDDINGS=1 on, =0 off, else automatic.

    Automatic: on for imported OaSIS titles, off for the starter titles (the first build would
    embed ~3,000 titles for +6 points top-1; see docs/normalisation.md). A stamp of `...` (not
    given) means "no reference information" and keeps the embeddings on.
    """
    setting = os.environ.get("LMI_NOC_EMBEDDINGS", "").strip()
    if setting in ("0", "1"):
        return setting == "1"
    if stamp is ...:
        return True
    return _titles_imported(stamp)


def _titles_imported(stamp: Stamp) -> bool:
    """True when ref_noc_titles holds rows that are not the packaged starter table."""
    parts = {part[0]: part for part in stamp or ()}
    titles = parts.get("ref_noc_titles")
    return bool(titles and titles[1] and titles[2] != "starter")


def get_coder(
    con: duckdb.DuckDBPyConnection | None = None,
    *,
    use_embeddings: bool | None = None,
    stamp: Stamp | EllipsisType = ...,
) -> OccupationCoder:
    """A coder for this connection's title tables (starter titles without), cached per stamp.

    Pass `stamp` (reference_stamp(con).noc) to skip the stamp query, e.g. once per batch.
    """
    if stamp is ...:
        stamp = reference_stamp(con).noc
    if use_embeddings is None:
        use_embeddings = embeddings_enabled(stamp)
    key = (stamp, use_embeddings)
    with _lock:
        if key not in _coders:
            source = con if stamp is not None else None
            _coders[key] = OccupationCoder(
                load_titles(source),
                use_embeddings=use_embeddings,
                unit_titles=load_unit_titles(source),
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
