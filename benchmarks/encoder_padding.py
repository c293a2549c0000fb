"""How much padding the phrase encoder computes, batched by characters or by token count.

`Encoder._encode_raw` used to hand sentence-transformers chunks of texts, which sorts each chunk by
character length; it now sorts by token count and encodes one batch at a time. This script
encodes the same distinct sub-phrases and sentences of synthetic board postings both ways and
reports tokens held vs tokens computed (padding included), wall time and how far the vectors
move. A benchmark, not a test (about 1 min on 2 cores):

    .venv/bin/python benchmarks/encoder_padding.py --postings 200
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_extraction import board_postings  # noqa: E402


def sample_texts(postings: int, phrases: int, sentences: int) -> dict[str, list[str]]:
    """Distinct sub-phrases (what the ranker encodes most) and lines of board postings."""
    from lmi.nlp.ranker import subphrases

    lines = [line.strip() for text in board_postings(postings) for line in text.split("\n")]
    lines = [line for line in lines if line]
    grams = sorted({g for line in lines for g in subphrases(line)})
    rng = np.random.default_rng(0)

    def pick(texts: list[str], n: int) -> list[str]:
        return [texts[i] for i in sorted(rng.choice(len(texts), min(n, len(texts)),
                                                    replace=False))]

    return {"sub-phrases": pick(grams, phrases), "sentences": pick(sorted(set(lines)), sentences)}


def by_characters(encoder, texts: list[str], batch: int) -> tuple[np.ndarray, int]:
    """The former path: chunks of 16 batches to sentence-transformers, which sorts each chunk by
    characters (longest first) before cutting it into batches."""
    import torch

    computed, parts = 0, []
    for c in range(0, len(texts), batch * 16):
        chunk = texts[c:c + batch * 16]
        order = np.argsort([-len(t) for t in chunk], kind="stable")
        for start in range(0, len(chunk), batch):
            lengths = encoder.token_lengths([chunk[i] for i in order[start:start + batch]])
            computed += max(lengths) * len(lengths)
        with torch.inference_mode():
            parts.append(encoder.model.encode(chunk, batch_size=batch, normalize_embeddings=True,
                                              convert_to_numpy=True, show_progress_bar=False))
    return np.vstack(parts), computed


def by_tokens(encoder, texts: list[str], batch: int) -> tuple[np.ndarray, int]:
    """The current path (Encoder._encode_raw)."""
    lengths = sorted(encoder.token_lengths(texts))
    computed = sum(max(lengths[s:s + batch]) * len(lengths[s:s + batch])
                   for s in range(0, len(lengths), batch))
    return encoder._encode_raw(texts, None), computed


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postings", type=int, default=200)
    parser.add_argument("--phrases", type=int, default=3000)
    parser.add_argument("--sentences", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    import torch

    from lmi.nlp.embeddings import BATCH_SIZE, Encoder

    torch.set_num_threads(args.threads)
    encoder = Encoder()
    report: dict = {"command": " ".join(["benchmarks/encoder_padding.py", *(argv or sys.argv[1:])]),
                    "precision": encoder.precision, "batch": BATCH_SIZE, "sets": {}}
    for name, texts in sample_texts(args.postings, args.phrases, args.sentences).items():
        held = sum(encoder.token_lengths(texts))
        encoder._encode_raw(texts[:BATCH_SIZE], None)                  # warm-up
        row = {"texts": len(texts), "tokens_held": held}
        vectors = {}
        for label, run in (("by_characters", by_characters), ("by_tokens", by_tokens)):
            start = time.perf_counter()
            vectors[label], computed = run(encoder, texts, BATCH_SIZE)
            row[label] = {"tokens_computed": computed, "seconds": time.perf_counter() - start}
        cos = (vectors["by_characters"] * vectors["by_tokens"]).sum(axis=1)
        row["min_cosine"] = float(cos.min())
        row["max_abs_diff"] = float(np.abs(vectors["by_characters"] - vectors["by_tokens"]).max())
        report["sets"][name] = row
        c, t = row["by_characters"], row["by_tokens"]
        print(f"{name}: {len(texts)} texts, {held:,} tokens held; computed by characters "
              f"{c['tokens_computed']:,} in {c['seconds']:.2f} s, by tokens "
              f"{t['tokens_computed']:,} in {t['seconds']:.2f} s "
              f"(x{c['seconds'] / t['seconds']:.2f}); "
              f"min cosine {row['min_cosine']:.9f}, max |diff| {row['max_abs_diff']:.1e}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
