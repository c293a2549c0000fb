"""Sentence embeddings for phrases and framework labels, with an in-memory and an on-disk cache."""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np

from lmi.config import cache_dir, sentence_model_path
from lmi.warehouse.db import sql

MODEL_ID = "all-MiniLM-L6-v2"
DIM = 384
BATCH_SIZE = 128
MAX_CACHED_PHRASES = 200_000
MAX_SAVED_PHRASES = 100_000   # ~150 MB on disk: the phrases of the latest nightly runs
Progress = Callable[[int, int], None]   # (done, total)


def native_bf16() -> bool:
    """True if this CPU multiplies bfloat16 in hardware (AVX512-BF16 or AMX), Linux only."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return bool(re.search(r"\b(avx512_bf16|amx_bf16)\b", flags))


def encoder_precision() -> str:
    """'bf16' or 'fp32': LMI_ENCODER_PRECISION, or bf16 where the CPU has it natively (auto).

    bf16 runs MiniLM's matrix products in bfloat16 (torch autocast): 2.8x faster here, vectors
    within cosine 0.9999 of fp32 (docs/speed.md). Without hardware support it would be slower.
    """
    wanted = os.environ.get("LMI_ENCODER_PRECISION", "auto").strip().lower()
    if wanted in ("fp32", "bf16"):
        return wanted
    if wanted != "auto":
        raise ValueError(f"LMI_ENCODER_PRECISION must be auto, bf16 or fp32, not {wanted!r}")
    return "bf16" if native_bf16() else "fp32"


class Encoder:
    """L2-normalised float32 sentence vectors; each distinct phrase is encoded once per process.

    `model_id` names the weights and the precision ("all-MiniLM-L6-v2+bf16"): label and phrase
    caches and the extractor version are keyed by it, so vectors of both kinds never mix.
    """

    def __init__(self, model_path: str | None = None, precision: str | None = None) -> None:
        from sentence_transformers import SentenceTransformer

        self.precision = precision or encoder_precision()
        self.model_id = MODEL_ID if self.precision == "fp32" else f"{MODEL_ID}+{self.precision}"
        self.model = SentenceTransformer(model_path or sentence_model_path(), device="cpu")
        self._cache: dict[str, np.ndarray] = {}
        # an uncased tokenizer gives "Python" and "python" the same ids: encode them once
        lowercases = getattr(self.model.tokenizer, "do_lower_case", False)
        self._key: Callable[[str], str] = str.lower if lowercases else str
        self._tokenizer = None          # the model's fast tokenizer, copied on first use
        threads = os.environ.get("LMI_TORCH_THREADS")
        if threads:         # e.g. 1 on a busy shared machine: idle threads spin and steal CPU
            import torch

            torch.set_num_threads(int(threads))

    def encode(self, texts: Sequence[str], *, cache: bool = True,
               progress: Progress | None = None) -> np.ndarray:
        """Vectors (len(texts) x 384). cache=False skips the phrase cache (bulk label encoding)."""
        texts = [self._key(t) for t in texts]
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        fresh = self._encode_raw(missing, progress) if missing else np.zeros((0, DIM), np.float32)
        fresh_by_text = dict(zip(missing, fresh, strict=True))
        for i, t in enumerate(texts):
            vec = self._cache.get(t)
            out[i] = vec if vec is not None else fresh_by_text[t]
        if cache:
            if len(self._cache) + len(missing) > MAX_CACHED_PHRASES:
                self._cache.clear()
            self._cache.update(fresh_by_text)
        return out

    def cached_phrases(self) -> tuple[list[str], np.ndarray]:
        """The cached phrase keys (oldest first) and their vectors (n x 384)."""
        keys = list(self._cache)
        vectors = np.stack([self._cache[k] for k in keys]) if keys else np.zeros((0, DIM),
                                                                                np.float32)
        return keys, vectors

    def add_phrases(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Add phrase vectors encoded elsewhere (keys as returned by cached_phrases)."""
        self._cache.update(zip(keys, vectors, strict=True))

    def save_phrases(self, path: Path | None = None, limit: int = MAX_SAVED_PHRASES) -> Path:
        """Write the newest `limit` cached phrase vectors to disk (atomic), for the next process.

        Vectors are stored as computed (float32). Encoding the same phrase again in another
        batch can differ in the last bits (fp32) or by about 1e-3 (bf16): confidences may move
        that much, the skills found did not in benchmarks/bench_phrase_cache.py.
        """
        path = Path(path or phrase_cache_path(self.model_id))
        keys = [k for k in list(self._cache)[-limit:] if "\0" not in k]
        vectors = np.stack([self._cache[k] for k in keys]) if keys else np.zeros((0, DIM))
        texts = np.frombuffer("\0".join(keys).encode("utf-8"), dtype=np.uint8)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, model=np.array(self.model_id), n=np.array(len(keys)), texts=texts,
                 vectors=vectors.astype(np.float32))
        os.replace(tmp, path)
        return path

    def load_phrases(self, path: Path | None = None) -> int:
        """Add phrase vectors saved by save_phrases (same model only); returns how many.

        A missing, foreign or unreadable file is ignored: the cache only saves time.
        """
        path = Path(path or phrase_cache_path(self.model_id))
        try:
            with np.load(path) as data:
                if str(data["model"]) != self.model_id or data["vectors"].shape[1:] != (DIM,):
                    return 0
                n, vectors = int(data["n"]), data["vectors"]
                texts = data["texts"].tobytes().decode("utf-8").split("\0") if n else []
        except (OSError, KeyError, ValueError, EOFError, UnicodeDecodeError):
            return 0
        if len(texts) != len(vectors):
            return 0
        room = MAX_CACHED_PHRASES - len(self._cache)
        fresh = [(t, v) for t, v in zip(texts, vectors, strict=True)
                 if t not in self._cache][:max(room, 0)]
        self._cache.update(fresh)
        return len(fresh)

    def _encode_raw(self, texts: list[str], progress: Progress | None) -> np.ndarray:
        """Encode in batches of texts with the same (or nearest) token count: short phrases
        sorted by characters still padded ~70% more tokens than they held, and the encoder is
        compute-bound on a CPU (docs/speed.md). Each text is tokenized once, here; the padded
        batch goes straight into the model's modules (sentence-transformers would tokenize
        it again)."""
        import torch

        out = np.zeros((len(texts), DIM), dtype=np.float32)
        ids = self.token_ids(texts)
        lengths = np.fromiter(map(len, ids), np.int64, len(ids))
        order = np.argsort(lengths, kind="stable")
        bf16 = self.precision == "bf16"
        report_every = BATCH_SIZE * 16
        for start in range(0, len(order), BATCH_SIZE):
            rows = order[start:start + BATCH_SIZE]
            width = int(lengths[rows].max())
            batch = np.zeros((len(rows), width), np.int64)
            for r, i in enumerate(rows):
                batch[r, :lengths[i]] = ids[i]
            input_ids = torch.from_numpy(batch)
            mask = (torch.arange(width)[None, :] < torch.from_numpy(lengths[rows])[:, None]).long()
            features = {"input_ids": input_ids, "attention_mask": mask,
                        "token_type_ids": torch.zeros_like(input_ids)}
            with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=bf16):
                part = self.model(features)["sentence_embedding"]
            # unit length in float32 (bf16 output; the model's own Normalize is not exact there)
            out[rows] = torch.nn.functional.normalize(part.float(), dim=-1).numpy()
            done = min(start + BATCH_SIZE, len(order))
            if progress and (done % report_every == 0 or done == len(order)):
                progress(done, len(order))
        return out

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids (with [CLS]/[SEP], truncated as the model truncates) of each text."""
        if not texts:
            return []
        if self._tokenizer is None:     # a private copy: truncation is state of the tokenizer
            from tokenizers import Tokenizer

            self._tokenizer = Tokenizer.from_str(self.model.tokenizer.backend_tokenizer.to_str())
            self._tokenizer.enable_truncation(self.model.max_seq_length)
            self._tokenizer.no_padding()
        return [e.ids for e in self._tokenizer.encode_batch(list(texts))]

    def token_lengths(self, texts: Sequence[str]) -> list[int]:
        """Tokens (with [CLS]/[SEP], truncated as the model truncates) of each text."""
        return [len(row) for row in self.token_ids(texts)]


def phrase_cache_path(model_id: str = MODEL_ID) -> Path:
    """Where extraction runs keep phrase vectors between processes (LMI_CACHE)."""
    return cache_dir() / f"phrases-{model_id}.npz"


_ENCODER: Encoder | None = None
_LOCK = threading.Lock()


def get_encoder() -> Encoder:
    """The process-wide encoder (loaded on first use, ~3 s)."""
    global _ENCODER
    with _LOCK:
        if _ENCODER is None:
            _ENCODER = Encoder()
        return _ENCODER


@dataclass
class LabelIndex:
    """A framework's labels (preferred + alternative) and embeddings, rows grouped by skill."""

    framework_id: str
    version: str | None
    model_id: str
    skill_ids: np.ndarray          # (n_labels,) str: the skill of each label row
    labels: list[str]
    is_preferred: np.ndarray       # (n_labels,) bool
    vectors: np.ndarray            # (n_labels, 384) float32, L2-normalised
    preferred: dict[str, str] = field(default_factory=dict)   # skill_id -> preferred label
    skills: list[str] = field(default_factory=list)           # distinct skill ids, row order
    skill_starts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # skill_id -> SkillFacts: what the framework says about the skill (a prior for every skill)
    facts: dict[str, SkillFacts] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.skills and len(self.skill_ids):
            change = np.flatnonzero(self.skill_ids[1:] != self.skill_ids[:-1]) + 1
            self.skill_starts = np.concatenate([[0], change]).astype(np.int64)
            self.skills = [str(s) for s in self.skill_ids[self.skill_starts]]
        if not self.preferred:
            self.preferred = {str(s): lab for s, lab, p in
                              zip(self.skill_ids, self.labels, self.is_preferred, strict=True) if p}

    def __len__(self) -> int:
        return len(self.labels)

    @classmethod
    def build(cls, con: duckdb.DuckDBPyConnection, framework_id: str,
              encoder: Encoder | None = None, progress: Progress | None = None) -> LabelIndex:
        """Load the framework's labels, reusing the on-disk embedding cache when nothing changed."""
        version, skill_ids, labels, is_pref = framework_labels(con, framework_id)
        facts = framework_skill_facts(con, framework_id)
        encoder = encoder or get_encoder()
        model_id = encoder.model_id
        path = _cache_path(framework_id, version, skill_ids, labels, model_id)
        if path.exists():
            with np.load(path, allow_pickle=False) as data:
                vectors = data["vectors"]
            if vectors.shape == (len(labels), DIM):
                if progress:
                    progress(len(labels), len(labels))
                return cls(framework_id, version, model_id, np.array(skill_ids, dtype=str),
                           labels, np.array(is_pref, dtype=bool), vectors, facts=facts)
        vectors = encoder.encode(labels, cache=False, progress=progress) if labels \
            else np.zeros((0, DIM), np.float32)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, vectors=vectors)
        tmp.replace(path)
        return cls(framework_id, version, model_id, np.array(skill_ids, dtype=str), labels,
                   np.array(is_pref, dtype=bool), vectors, facts=facts)


REUSE_LEVELS = {"occupation-specific": 0, "sector-specific": 1, "cross-sector": 2,
                "transversal": 3}


@dataclass(frozen=True)
class SkillFacts:
    """A skill's standing in its own framework: occupations asking for it and how reusable it is."""

    essential_occupations: int = 0   # ESCO essential relations (O*NET: technology per SOC)
    optional_occupations: int = 0
    reuse_level: int = -1            # REUSE_LEVELS, -1 when the framework does not say
    knowledge: bool = False          # ESCO skill type "knowledge"


def framework_skill_facts(con: duckdb.DuckDBPyConnection, framework_id: str
                          ) -> dict[str, SkillFacts]:
    """skill_id -> SkillFacts; empty for a warehouse created before occupation relations were
    kept (the model then sees every skill as unknown to the framework's occupations)."""
    try:
        rows = con.execute(sql("frameworks/skill_facts"), {"framework_id": framework_id}
                           ).fetchall()
    except duckdb.CatalogException:
        return {}
    return {skill_id: SkillFacts(int(essential), int(optional),
                                 REUSE_LEVELS.get(reuse.lower(), -1), kind.lower() == "knowledge")
            for skill_id, essential, optional, reuse, kind in rows}


def framework_labels(con: duckdb.DuckDBPyConnection, framework_id: str
                     ) -> tuple[str | None, list[str], list[str], list[bool]]:
    """(version, skill id per label, label, is_preferred), grouped by skill, labels deduplicated."""
    found = con.execute(sql("frameworks/version"), {"framework_id": framework_id}).fetchone()
    if found is None:
        raise KeyError(f"framework {framework_id!r} is not loaded")
    rows = con.execute(sql("frameworks/labels"), {"framework_id": framework_id}).fetchall()
    skill_ids: list[str] = []
    labels: list[str] = []
    is_pref: list[bool] = []
    for skill_id, pref, alts in rows:
        seen: set[str] = set()
        for i, label in enumerate([pref, *(alts or [])]):
            label = re.sub(r"\s+", " ", label or "").strip()
            if not label or label.lower() in seen:
                continue
            seen.add(label.lower())
            skill_ids.append(skill_id)
            labels.append(label)
            is_pref.append(i == 0)
    return found[0], skill_ids, labels, is_pref


def _cache_path(framework_id: str, version: str | None, skill_ids: list[str],
                labels: list[str], model_id: str) -> Path:
    digest = hashlib.sha1()
    for part in (framework_id, version or "", model_id):
        digest.update(part.encode() + b"\x00")
    for skill_id, label in zip(skill_ids, labels, strict=True):
        digest.update(skill_id.encode() + b"\x01" + label.encode() + b"\x00")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", framework_id)
    return cache_dir() / f"labels-{safe}-{digest.hexdigest()[:16]}.npz"
