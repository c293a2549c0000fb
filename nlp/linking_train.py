"""Train the linking adapter (a residual linear head on frozen MiniLM query embeddings) and fit
the score calibration.

q' = normalise(q + q W + b); skills are scored by max cosine between q' and their (frozen) label
embeddings, exactly as at inference. Loss: softmax over all framework skills (temperature TAU),
one term per gold skill with the other gold skills masked. Training pairs: SkillSkape train
sentences -> their ESCO skills, and ESCO alternative labels -> their skill (the label's own row
masked, so the head learns label paraphrase, not identity). Selection on SkillSkape dev.

    python -m lmi.nlp.linking_train adapter --db /tmp/esco.duckdb \
        --skillskape ../shared/bench/skillskape --out models/linker_adapter --seed 13

Calibration: every annotated span of the dev ESCO-linking files is a linking decision (rank the
span with its sentence as context, take the top skill); it is correct if that skill is the gold
label (spans labelled LABEL NOT PRESENT are always wrong to link). Isotonic regression maps the
raw score to P(correct); the table goes to calibration.json with a precision/recall table.

    python -m lmi.nlp.linking_train calibrate --db /tmp/esco.duckdb --out models/linker_adapter \
        --dataset ../shared/bench/esco-linking-dev/tech_validation_annotations.csv \
        --dataset ../shared/bench/esco-linking-dev/house_validation_annotations.csv
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from lmi.nlp.embeddings import DIM, LabelIndex, get_encoder
from lmi.nlp.metrics import mean, rp_at_k

TAU = 0.05


def read_skillskape(path: Path, label_to_row: dict[str, int]) -> list[tuple[str, list[int]]]:
    """(sentence, skill positions) of a SkillSkape CSV; labels outside the framework dropped."""
    out = []
    with path.open(newline="", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            labels = ast.literal_eval(rec["skills"])
            gold = sorted({label_to_row[x.lower()] for x in labels if x.lower() in label_to_row})
            if gold:
                out.append((rec["sentence"], gold))
    return out


def _torch_setup(seed: int):  # noqa: ANN202
    import torch

    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    return torch


def train_adapter(index: LabelIndex, queries: np.ndarray, golds: list[list[int]],
                  masked_rows: list[int], *, epochs: int = 4, batch: int = 64,
                  lr: float = 2e-3, weight_decay: float = 1e-4, seed: int = 13,
                  max_labels: int = 4, log=print) -> tuple[np.ndarray, np.ndarray]:
    """Fit W (DIM x DIM) and b (DIM). masked_rows[i] = label row hidden from query i, or -1.

    For speed the training softmax scores each skill by its first `max_labels` labels
    (preferred first); inference uses all labels.
    """
    torch = _torch_setup(seed)
    rows_kept = _training_rows(index, max_labels)
    labels = torch.from_numpy(index.vectors[rows_kept])
    owner_all = np.repeat(np.arange(len(index.skills)),
                          np.diff(np.append(index.skill_starts, len(index))))
    owner = torch.from_numpy(owner_all[rows_kept])
    row_pos = {int(r): p for p, r in enumerate(rows_kept)}
    masked_rows = [row_pos.get(r, -1) if r >= 0 else -1 for r in masked_rows]
    n_skills = len(index.skills)
    W = torch.zeros(DIM, DIM, requires_grad=True)
    b = torch.zeros(DIM, requires_grad=True)
    opt = torch.optim.AdamW([W, b], lr=lr, weight_decay=weight_decay)
    q_all = torch.from_numpy(queries)
    order = list(range(len(queries)))
    steps = epochs * ((len(order) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    for epoch in range(epochs):
        random.shuffle(order)
        losses, t0 = [], time.time()
        for start in range(0, len(order), batch):
            ids = order[start:start + batch]
            q = q_all[ids]
            q = torch.nn.functional.normalize(q + q @ W + b, dim=1)
            rows = q @ labels.T
            for j, i in enumerate(ids):
                if masked_rows[i] >= 0:
                    rows[j, masked_rows[i]] = -2.0
            logits = torch.full((len(ids), n_skills), -2.0).scatter_reduce(
                1, owner.expand(len(ids), -1), rows, "amax") / TAU
            positive = torch.zeros(len(ids), n_skills, dtype=torch.bool)
            for j, i in enumerate(ids):
                positive[j, golds[i]] = True
            # per gold skill g: logsumexp over (negatives + g) - logit_g, other golds masked
            negatives = torch.logsumexp(logits.masked_fill(positive, float("-inf")), dim=1)
            terms = torch.nn.functional.softplus(negatives[:, None] - logits)
            loss = terms[positive].mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
        log(f"epoch {epoch + 1}/{epochs} loss {mean(losses):.3f} ({time.time() - t0:.0f} s)")
    return W.detach().numpy().astype(np.float32), b.detach().numpy().astype(np.float32)


def _training_rows(index: LabelIndex, max_labels: int) -> np.ndarray:
    ends = np.append(index.skill_starts[1:], len(index))
    return np.concatenate([np.arange(s, min(e, s + max_labels))
                           for s, e in zip(index.skill_starts, ends, strict=True)])


def apply_adapter(vectors: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """normalise(v + v W + b), row-wise."""
    from lmi.nlp.ranker import apply_adapter as apply

    return apply(vectors, (W, b))


def rp5(index: LabelIndex, queries: np.ndarray, golds: list[list[int]]) -> float:
    """Mean RP@5 (%) of max-over-labels ranking."""
    sims = queries @ index.vectors.T
    per_skill = np.maximum.reduceat(sims, index.skill_starts, axis=1)
    top = np.argsort(-per_skill, axis=1)[:, :5]
    return 100 * mean(rp_at_k(g, list(t), 5) for g, t in zip(golds, top, strict=True))


def span_decisions(con: Any, ranker: Any, dataset: Path,
                   framework_id: str = "esco") -> list[tuple[float, bool, bool]]:
    """(top-1 score, top-1 correct, span has an in-framework gold) per annotated span."""
    from lmi.nlp.evaluation import framework_label_map, read_linking_csv

    label_map = framework_label_map(con, framework_id)
    spans, contexts, golds = [], [], []
    for item in read_linking_csv(dataset):
        for ann in item.spans:
            text = ann.sub_span or ann.span
            if text:
                spans.append(text)
                contexts.append(item.sentence)
                golds.append(label_map.get(ann.label.lower()))
    ranked = ranker.rank(spans, k=1, contexts=contexts)
    return [(r[0][1], r[0][0] == g, g is not None)
            for r, g in zip(ranked, golds, strict=True)]


def pr_table(decisions: list[tuple[float, bool, bool]], scores: np.ndarray,
             thresholds: list[float]) -> list[dict[str, float]]:
    """Precision/recall of linking when accepting decisions whose score >= each threshold."""
    correct = np.array([c for _, c, _ in decisions])
    n_gold = sum(h for _, _, h in decisions)
    out = []
    for t in thresholds:
        accepted = scores >= t
        tp = int((accepted & correct).sum())
        out.append({"threshold": t, "accepted": int(accepted.sum()), "tp": tp,
                    "precision": round(tp / accepted.sum(), 3) if accepted.sum() else 1.0,
                    "recall": round(tp / n_gold, 3) if n_gold else 0.0})
    return out


def calibrate(con: Any, datasets: list[Path], out: Path, framework_id: str = "esco") -> dict:
    """Fit isotonic raw-score -> P(correct) on span decisions; write calibration.json."""
    from sklearn.isotonic import IsotonicRegression

    from lmi.nlp.ranker import load_ranker

    ranker = load_ranker(con, framework_id)
    by_set = {p.name: span_decisions(con, ranker, p, framework_id) for p in datasets}
    pooled = [d for ds in by_set.values() for d in ds]
    raw = np.array([s for s, _, _ in pooled])
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    iso.fit(raw, np.array([c for _, c, _ in pooled], dtype=float))
    x = np.unique(np.round(np.concatenate([[0.0], iso.X_thresholds_, [1.0]]), 5))
    y = iso.predict(x)
    thresholds = [round(t, 2) for t in np.arange(0.3, 0.96, 0.05)]
    report = {"x": [round(float(v), 5) for v in x], "y": [round(float(v), 5) for v in y],
              "n_decisions": len(pooled), "pr_raw": {}, "pr_confidence": {}}
    for name, ds in by_set.items():
        scores = np.array([s for s, _, _ in ds])
        report["pr_raw"][name] = pr_table(ds, scores, thresholds)
        report["pr_confidence"][name] = pr_table(ds, iso.predict(scores), thresholds)
    out.mkdir(parents=True, exist_ok=True)
    (out / "calibration.json").write_text(json.dumps(report, indent=1) + "\n")
    return report


def _encode_cached(encoder: Any, texts: list[str]) -> np.ndarray:
    """Encode with an on-disk cache (re-runs of training skip re-encoding the corpus)."""
    import hashlib

    from lmi.config import cache_dir

    key = hashlib.sha1("\x00".join(texts).encode()).hexdigest()[:16]
    path = cache_dir() / f"train-queries-{key}.npy"
    if path.exists():
        return np.load(path)
    vectors = encoder.encode(texts, cache=False)
    np.save(path, vectors)
    return vectors


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", choices=["adapter", "calibrate"])
    parser.add_argument("--db", required=True, help="warehouse with the framework imported")
    parser.add_argument("--framework", default="esco")
    parser.add_argument("--skillskape", type=Path, help="folder with train/dev.csv (adapter)")
    parser.add_argument("--dataset", type=Path, action="append", default=[],
                        help="dev ESCO-linking CSV (calibrate; repeatable)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--alt-pairs", type=int, default=6000, help="ESCO alt-label queries")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)

    from lmi.warehouse.db import connect

    con = connect(args.db, read_only=True)
    if args.step == "calibrate":
        report = calibrate(con, args.dataset, args.out, args.framework)
        print(json.dumps({k: v for k, v in report.items() if k not in ("x", "y")}, indent=1))
        return
    if args.skillskape is None:
        parser.error("adapter needs --skillskape")
    encoder = get_encoder()
    index = LabelIndex.build(con, args.framework, encoder)
    con.close()
    pos = {s: i for i, s in enumerate(index.skills)}
    label_to_row = {index.preferred[s].lower(): pos[s] for s in index.skills}
    train = read_skillskape(args.skillskape / "train.csv", label_to_row)
    dev = read_skillskape(args.skillskape / "dev.csv", label_to_row)
    rng = random.Random(args.seed)
    alt_rows = [r for r in range(len(index)) if not index.is_preferred[r]]
    alt_rows = rng.sample(alt_rows, min(args.alt_pairs, len(alt_rows)))
    texts = [s for s, _ in train]
    q = np.vstack([_encode_cached(encoder, texts), index.vectors[alt_rows]])
    golds = [g for _, g in train] + [[pos[str(index.skill_ids[r])]] for r in alt_rows]
    masked = [-1] * len(train) + alt_rows
    dev_q = _encode_cached(encoder, [s for s, _ in dev])
    dev_g = [g for _, g in dev]
    before = rp5(index, dev_q, dev_g)
    W, b = train_adapter(index, q, golds, masked, epochs=args.epochs, lr=args.lr,
                         seed=args.seed)
    after = rp5(index, apply_adapter(dev_q, W, b), dev_g)
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez(args.out / "adapter.npz", W=W, b=b)
    info = {"seed": args.seed, "epochs": args.epochs, "lr": args.lr, "tau": TAU,
            "train_sentences": len(train), "alt_pairs": len(alt_rows),
            "skillskape_dev_rp5_before": round(before, 2),
            "skillskape_dev_rp5_after": round(after, 2)}
    (args.out / "train_info.json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
