"""Cheaper MiniLM runtimes on this CPU: ONNX Runtime fp32 / int8 and torch dynamic int8.

A benchmark, not a product path: it needs `onnxruntime` and `onnx`, which the project does not
depend on (install them into a scratch venv or remove them afterwards):

    .venv/bin/pip install onnxruntime==1.32.0 onnx==1.23.2
    .venv/bin/python benchmarks/encoder_runtimes.py --phrases 4000

Phrases are a seeded random sample of the on-disk phrase cache that `make demo` /
`bench_extraction.py` fill (`$LMI_CACHE/phrases-all-MiniLM-L6-v2.npz`). Every runtime encodes
the same sample; the figures are wall seconds, speed-up over torch fp32, and the cosine of each
vector to the torch fp32 vector (1.0 = identical ranking input).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from lmi.config import cache_dir
from lmi.nlp.embeddings import Encoder


def sample_phrases(n: int, seed: int) -> list[str]:
    """`n` distinct cached phrases, drawn with a fixed seed."""
    cached = np.load(cache_dir() / "phrases-all-MiniLM-L6-v2.npz")
    texts = cached["texts"].tobytes().decode().split("\0")
    rng = np.random.default_rng(seed)
    return [texts[i] for i in rng.choice(len(texts), min(n, len(texts)), replace=False)]


class _PooledMiniLM(torch.nn.Module):
    """Transformer + mean pooling + L2 normalisation, as sentence-transformers computes it."""

    def __init__(self, bert: torch.nn.Module) -> None:
        super().__init__()
        self.bert = bert

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1)


def export_onnx(encoder: Encoder, out: Path) -> None:
    """Export the pooled encoder with dynamic batch and sequence axes (TorchScript exporter)."""
    model = _PooledMiniLM(encoder.model[0].auto_model.eval()).eval()
    batch = encoder.model.tokenizer(
        ["hello world", "python programming"], padding=True, return_tensors="pt"
    )
    axes = {"input_ids": {0: "b", 1: "s"}, "attention_mask": {0: "b", 1: "s"}, "emb": {0: "b"}}
    torch.onnx.export(
        model,
        (batch["input_ids"], batch["attention_mask"]),
        str(out),
        input_names=["input_ids", "attention_mask"],
        output_names=["emb"],
        dynamic_axes=axes,
        opset_version=17,
        dynamo=False,
    )


def ort_encode(session, tokenizer, texts: list[str], batch_size: int = 128) -> np.ndarray:
    """Encode length-sorted batches with an ONNX Runtime session."""
    order = np.argsort([len(t) for t in texts])
    out = np.zeros((len(texts), 384), np.float32)
    for start in range(0, len(texts), batch_size):
        ids = order[start : start + batch_size]
        batch = tokenizer(
            [texts[i] for i in ids],
            padding=True,
            truncation=True,
            max_length=256,
            return_tensors="np",
        )
        feed = {k: batch[k].astype(np.int64) for k in ("input_ids", "attention_mask")}
        out[ids] = session.run(None, feed)[0]
    return out


def timed(fn, texts: list[str]) -> tuple[float, np.ndarray]:
    """Warm up on a slice, then time one full pass."""
    fn(texts[:200])
    start = time.perf_counter()
    vectors = fn(texts)
    return time.perf_counter() - start, vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phrases", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    texts = sample_phrases(args.phrases, args.seed)
    encoder = Encoder(precision="fp32")
    base_s, ref = timed(lambda t: encoder._encode_raw(t, None), texts)
    rows = [
        {
            "runtime": "torch fp32",
            "seconds": base_s,
            "speedup": 1.0,
            "cos_mean": 1.0,
            "cos_min": 1.0,
        }
    ]

    def record(name: str, seconds: float, vectors: np.ndarray) -> None:
        cos = (vectors * ref).sum(1)
        rows.append(
            {
                "runtime": name,
                "seconds": seconds,
                "speedup": base_s / seconds,
                "cos_mean": float(cos.mean()),
                "cos_min": float(cos.min()),
            }
        )

    with tempfile.TemporaryDirectory() as tmp:
        fp32, int8 = Path(tmp) / "minilm.onnx", Path(tmp) / "minilm-int8.onnx"
        export_onnx(encoder, fp32)
        quantize_dynamic(
            str(fp32), str(int8), op_types_to_quantize=["MatMul"], weight_type=QuantType.QInt8
        )
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        for name, path in (
            ("onnxruntime fp32", fp32),
            ("onnxruntime int8 (dynamic, MatMul)", int8),
        ):
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            record(
                name, *timed(lambda t, s=session: ort_encode(s, encoder.model.tokenizer, t), texts)
            )

    quantised = Encoder(precision="fp32")
    quantised.model[0].auto_model = torch.ao.quantization.quantize_dynamic(
        quantised.model[0].auto_model.eval(), {torch.nn.Linear}, dtype=torch.qint8
    )
    record("torch quantize_dynamic int8", *timed(lambda t: quantised._encode_raw(t, None), texts))

    for row in rows:
        print(
            f"{row['runtime']:<38} {row['seconds']:7.2f} s  x{row['speedup']:.2f}  "
            f"cos mean {row['cos_mean']:.4f} min {row['cos_min']:.4f}"
        )
    if args.json:
        args.json.write_text(
            json.dumps({"phrases": len(texts), "threads": args.threads, "rows": rows}, indent=2)
        )


if __name__ == "__main__":
    main()
