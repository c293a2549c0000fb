"""Probe: does a MiniLM cross-encoder over (sentence, skill label) add precision to acceptance?

Not shipped. Steps, all on data `lmi train linker` may use (never a test split):

1. Proposals of the real extractor for 2,500 SkillSkape *train* sentences outside the
   seed-0 sample of 250 that `lmi train linker` trains its trees on (cached in --cache).
2. Pairs: each sentence with each of its gold skills (positive) and six proposed skills that
   are not gold (negative): the four with the highest ranker score and two at random.
3. A cross-encoder: the packaged MiniLM reading "sentence [SEP] preferred label", mean-pooled,
   one linear output; the top --tuned-layers layers and the head trained with binary
   cross-entropy for --epochs (batch 32, AdamW, warm-up then linear decay, seed 0).
4. Its logit scores every distinct (sentence, skill) pair of the cached proposals of the two
   dev sets and the 250 SkillSkape sentences, and is appended to the acceptance features as
   one column. The cross-fit of `lmi train linker` (train on one dev set + SkillSkape, score
   the other) is run with and without it; the pooled P / R per tau are printed. The
   cross-encoder alone (assert a proposed skill when its probability >= t) is printed too.

Fill --linker-cache first with the shipped model's training command into a scratch folder:

    lmi train linker --db /tmp/esco_eval.duckdb --skillskape-limit 250 --seed 0 --tau 0.4 \\
        --unseen-tau 0.6 --cache /tmp/h4/cache -o /tmp/h4/tau04 --format json
    .venv/bin/python benchmarks/cross_encoder_probe.py --db /tmp/esco_eval.duckdb \\
        --linker-cache /tmp/h4/cache --cache /tmp/ce --tuned-layers 6 --learn-rate 8e-5
"""

from __future__ import annotations

import argparse
import pickle
import random
import time
from pathlib import Path

import numpy as np
import torch
import transformers
from torch import nn
from transformers import AutoTokenizer, BertModel

from lmi.cli import cmd_train_linker as train_linker
from lmi.config import sentence_model_path
from lmi.nlp import acceptance_train as at
from lmi.warehouse.db import connect

NEGATIVES, HARD = 6, 4
TAUS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


class CrossEncoder(nn.Module):
    """MiniLM over a (sentence, label) pair, mean-pooled, one logit."""

    def __init__(self) -> None:
        super().__init__()
        transformers.logging.set_verbosity_error()
        self.bert = BertModel.from_pretrained(sentence_model_path(), add_pooling_layer=False)
        self.head = nn.Linear(self.bert.config.hidden_size, 1)

    def forward(self, enc: dict) -> torch.Tensor:
        hidden = self.bert(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).float()
        return self.head((hidden * mask).sum(1) / mask.sum(1)).squeeze(-1)


def encoded(tokenizer, pairs: list[tuple], batch_size: int):
    """(batch, tokenized pair batch) in order."""
    for i in range(0, len(pairs), batch_size):
        batch = pairs[i:i + batch_size]
        yield batch, dict(tokenizer([p[0] for p in batch], [p[1] for p in batch],
                                    truncation=True, max_length=128, padding=True,
                                    return_tensors="pt"))


def training_pairs(data: at.Collected, rng: random.Random) -> list[tuple[str, str, float]]:
    """Gold skills (1) and proposed non-gold skills (0) of each sentence (step 2)."""
    best: dict[int, dict[str, float]] = {}
    for prop, i, label in zip(data.proposals, data.sentence_of, data.skill_of, strict=True):
        row = best.setdefault(int(i), {})
        row[label] = max(row.get(label, -1.0), prop.score)
    pairs = []
    for i, sentence in enumerate(data.sentences):
        pairs += [(sentence.text, g, 1.0) for g in sorted(sentence.gold)]
        negatives = sorted(((s, lab) for lab, s in best.get(i, {}).items()
                            if lab not in sentence.gold), reverse=True)
        rest = [lab for _, lab in negatives[HARD:]]
        picked = [lab for _, lab in negatives[:HARD]]
        picked += rng.sample(rest, min(NEGATIVES - len(picked), len(rest)))
        pairs += [(sentence.text, lab, 0.0) for lab in picked]
    return pairs


def train(pairs: list, tuned_layers: int, epochs: float, lr: float, tokenizer) -> CrossEncoder:
    """Step 3."""
    rng = random.Random(0)
    model = CrossEncoder()
    for param in model.bert.parameters():
        param.requires_grad = False
    tuned = [p for layer in model.bert.encoder.layer[len(model.bert.encoder.layer)
                                                    - tuned_layers:]
             for p in layer.parameters()]
    for param in tuned:
        param.requires_grad = True
    opt = torch.optim.AdamW([{"params": tuned, "lr": lr},
                             {"params": model.head.parameters(), "lr": 1e-3}],
                            weight_decay=0.01)
    steps = int(len(pairs) / 32 * epochs)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 50) * max(0.0, 1 - s / steps))
    loss_fn, step, started = nn.BCEWithLogitsLoss(), 0, time.time()
    model.train()
    while step < steps:
        rng.shuffle(pairs)
        for batch, enc in encoded(tokenizer, pairs, 32):
            loss = loss_fn(model(enc), torch.tensor([p[2] for p in batch]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if step % 100 == 0:
                print(f"step {step}/{steps} loss {loss.item():.4f} "
                      f"{time.time() - started:.0f} s", flush=True)
            if step >= steps:
                break
    return model.eval()


def pair_logits(model: CrossEncoder, tokenizer, data: at.Collected) -> dict:
    """Logit of every distinct (sentence position, skill) of the proposals."""
    keys = sorted(set(zip(data.sentence_of.tolist(), data.skill_of, strict=True)))
    pairs = [(data.sentences[i].text, label) for i, label in keys]
    logits: list[float] = []
    with torch.inference_mode():
        for _, enc in encoded(tokenizer, pairs, 64):
            logits += model(enc).tolist()
    return dict(zip(keys, logits, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="warehouse with ESCO imported")
    parser.add_argument("--linker-cache", type=Path, required=True,
                        help="the --cache folder of a `lmi train linker --seed 0` run")
    parser.add_argument("--cache", type=Path, required=True, help="scratch folder of this probe")
    parser.add_argument("--bench", type=Path, default=Path("..") / "shared" / "bench")
    parser.add_argument("--sentences", type=int, default=2500)
    parser.add_argument("--tuned-layers", type=int, default=6)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--learn-rate", type=float, default=8e-5)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    con = connect(args.db, read_only=True)
    known = at.framework_labels(con, "esco")
    files = at.linker_files(args.bench)
    sets = at.linker_sets(files, known, 250, 0)
    try:
        data = at.cached_linker_sets(args.linker_cache, sets, 0)
    except FileNotFoundError as err:
        parser.error(str(err))
    skillskape = at.restrict_gold(at.read_skillskape(files["skillskape"]), known)
    sampled = {s.text for s in sets["skillskape"]}
    rest = [s for s in skillskape if s.text not in sampled and s.gold]
    random.Random(7).shuffle(rest)
    rest = rest[:args.sentences]
    probe_file = at.proposals_file(args.cache, "skillskape-ce", len(rest))
    extractor = None
    if not probe_file.exists():
        from lmi.nlp.extractor import SkillExtractor
        extractor = SkillExtractor.from_warehouse(con, ["esco"], span_model=True)
    con.close()
    probe = at.cached_collect(extractor, "ce", rest, args.cache, "skillskape-ce")
    tokenizer = AutoTokenizer.from_pretrained(sentence_model_path())
    pairs = training_pairs(probe, random.Random(0))
    print(f"{len(pairs)} pairs, {int(sum(p[2] for p in pairs))} positive", flush=True)
    model = train(pairs, args.tuned_layers, args.epochs, args.learn_rate, tokenizer)
    started = time.time()
    logits = {name: pair_logits(model, tokenizer, d) for name, d in data.items()}
    n_pairs = sum(map(len, logits.values()))
    print(f"scored {n_pairs} pairs in {time.time() - started:.1f} s "
          f"({n_pairs / (time.time() - started):.0f} pairs/s)", flush=True)

    for t in (0.3, 0.5, 0.7, 0.9):
        tp = n_pred = n_gold = 0
        for name in ("tech", "house"):
            predicted = [set() for _ in data[name].sentences]
            for (i, label), z in logits[name].items():
                if 1 / (1 + np.exp(-z)) >= t:
                    predicted[i].add(label)
            m = at.micro_prf(data[name], predicted)
            tp, n_pred, n_gold = tp + m["tp"], n_pred + m["n_predicted"], n_gold + m["n_gold"]
        print(f"cross-encoder alone, p >= {t}: P {tp / max(n_pred, 1):.3f} R {tp / n_gold:.3f}")

    def curve(tag: str) -> None:
        _, pooled, _ = train_linker.cross_fit(data, skillskape, 0, True, 0.6)
        for row in pooled:
            if row["tau"] in TAUS:
                print(f"{tag} tau {row['tau']}: P {row['precision']:.3f} "
                      f"R {row['recall']:.3f} F1 {row['f1']:.3f}")

    curve("trees")
    shipped_design = at.design

    def with_cross_encoder(d: at.Collected, prior: dict, *, exclude_own: bool = False):
        column = np.array([logits[d.name][(int(i), lab)]
                           for i, lab in zip(d.sentence_of, d.skill_of, strict=True)])
        return np.hstack([shipped_design(d, prior, exclude_own=exclude_own), column[:, None]])

    at.design = with_cross_encoder
    try:
        curve("trees + cross-encoder")
    finally:
        at.design = shipped_design
    (args.cache / "logits.pkl").write_bytes(pickle.dumps(logits))


if __name__ == "__main__":
    main()
