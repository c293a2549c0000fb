"""Extraction on several processes, for the Python-bound parts that one core cannot speed up.

Each worker is a spawned process (never forked: torch's thread pools are not fork-safe) that
rebuilds the extractor from the parent's label indexes and keeps its own caches. A posting goes
to the worker picked by a checksum of its text, so a posting seen again hits the caches that saw
it first. Results come back in input order.
"""

from __future__ import annotations

import multiprocessing
import os
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from spacy.util import minibatch

from lmi.nlp.types import Extraction

CHUNK = 64          # postings per task: small enough to keep both workers busy to the end

_WORKER: Any = None     # the worker process's SkillExtractor


def _start_worker(indexes: dict, threshold: float, span_model: bool | str | None,
                  threads: int) -> None:
    import torch

    from lmi.nlp.embeddings import get_encoder
    from lmi.nlp.extractor import SkillExtractor

    os.environ["LMI_TORCH_THREADS"] = str(threads)   # get_encoder applies it too
    torch.set_num_threads(threads)
    global _WORKER
    _WORKER = SkillExtractor(indexes, get_encoder(), threshold=threshold, span_model=span_model)


def _extract(texts: list[str]) -> list[Extraction]:
    return list(_WORKER.extract_many(texts))


def _clear_caches() -> None:
    _WORKER.clear_caches()


def _load_phrases(path: str | None) -> int:
    return _WORKER.encoder.load_phrases(Path(path) if path else None)


def _cached_phrases() -> tuple[list[str], np.ndarray]:
    return _WORKER.encoder.cached_phrases()


class _WorkerPhrases:
    """The `encoder` seen by lmi.pipeline: phrase files are loaded by every worker, and saved
    from the union of the workers' caches (through the parent's encoder)."""

    def __init__(self, parallel: ParallelExtractor) -> None:
        self._parallel = parallel

    def load_phrases(self, path: Path | None = None) -> int:
        """Every worker loads the phrase file; returns the count of one worker."""
        arg = str(path) if path else None
        counts = [f.result() for f in [w.submit(_load_phrases, arg)
                                       for w in self._parallel._workers]]
        return max(counts, default=0)

    def save_phrases(self, path: Path | None = None) -> Path:
        """Write the workers' cached phrases (newest last, as one encoder would) to disk."""
        encoder = self._parallel.extractor.encoder
        for future in [w.submit(_cached_phrases) for w in self._parallel._workers]:
            encoder.add_phrases(*future.result())
        return encoder.save_phrases(path)


class ParallelExtractor:
    """`extract_many` on `workers` processes; the same results as the extractor it wraps, up to
    batch-dependent rounding of phrase vectors (docs/speed.md). Use as a context manager."""

    def __init__(self, extractor: Any, workers: int = 2, threads: int = 1) -> None:
        """extractor: a built SkillExtractor (its indexes, threshold and span model are copied).

        threads: torch threads per worker (1: the workers already use the cores).
        """
        if workers < 2:
            raise ValueError("ParallelExtractor needs at least 2 workers")
        self.extractor, self.version = extractor, extractor.version
        self.encoder = _WorkerPhrases(self)
        context = multiprocessing.get_context("spawn")
        args = (extractor.indexes, extractor.threshold, extractor.span_model, threads)
        self._workers = [ProcessPoolExecutor(1, mp_context=context, initializer=_start_worker,
                                             initargs=args) for _ in range(workers)]

    def warm_up(self) -> None:
        """Start every worker now (model loading, ~10 s) instead of on the first batch."""
        for future in [w.submit(_extract, ["Python"]) for w in self._workers]:
            future.result()

    def pids(self) -> list[int]:
        """Process ids of the running workers."""
        return [pid for w in self._workers for pid in (w._processes or {})]

    def clear_caches(self) -> None:
        """Every worker forgets its phrase caches (SkillExtractor.clear_caches)."""
        for future in [w.submit(_clear_caches) for w in self._workers]:
            future.result()

    def extract_many(self, texts: Iterable[str], batch_size: int = 256) -> Iterator[Extraction]:
        """Like SkillExtractor.extract_many, in input order (batch_size: postings per round)."""
        for batch in minibatch((text or "" for text in texts), size=batch_size):
            yield from self._round(list(batch))

    def _round(self, texts: list[str]) -> list[Extraction]:
        n = len(self._workers)
        shards: list[list[int]] = [[] for _ in range(n)]
        for i, text in enumerate(texts):
            shards[zlib.crc32(text.encode("utf-8")) % n].append(i)
        jobs: list[tuple[list[int], Future]] = []
        for worker, positions in zip(self._workers, shards, strict=True):
            for start in range(0, len(positions), CHUNK):
                part = positions[start:start + CHUNK]
                jobs.append((part, worker.submit(_extract, [texts[i] for i in part])))
        out: list[Extraction | None] = [None] * len(texts)
        for part, future in jobs:
            for i, result in zip(part, future.result(), strict=True):
                out[i] = result
        return out  # type: ignore[return-value]

    def close(self) -> None:
        """Stop the workers."""
        for worker in self._workers:
            worker.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ParallelExtractor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def workers_from_env(default: int = 1) -> int:
    """LMI_EXTRACT_WORKERS (default 1 = in-process extraction)."""
    try:
        return max(1, int(os.environ.get("LMI_EXTRACT_WORKERS", default)))
    except ValueError:
        return default
