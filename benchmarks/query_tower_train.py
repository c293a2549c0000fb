"""Experiment (not shipped): fine-tune MiniLM's top layers as the query tower for linking.

Same loss and data as the shipped linear query adapter (`lmi.nlp.linking_train adapter`): full
softmax over all ESCO skills against the frozen stock label vectors, SkillSkape train + ESCO
alternative-label queries. Prints SkillSkape dev RP@5 per epoch and saves the tuned layers.

    python benchmarks/query_tower_train.py --db /tmp/full.duckdb --layers 6 --epochs 4 \
        --lr 1e-4 --alt 6000 --output /tmp/tower_L6.pt
    python benchmarks/query_tower_eval.py --db /tmp/full.duckdb /tmp/tower_L6.pt

Results are in docs/linking.md ("Deeper query tower").
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import numpy as np
import torch
import transformers
from torch import nn
from transformers import AutoTokenizer, BertModel
from transformers.masking_utils import create_bidirectional_mask

from lmi.config import sentence_model_path
from lmi.nlp.embeddings import LabelIndex, get_encoder
from lmi.nlp.linking_train import TAU, _encode_cached, _training_rows, read_skillskape, rp5
from lmi.nlp.ranker import apply_adapter, load_adapter
from lmi.warehouse.db import connect

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench" / "skillskape"


class Tower:
    """MiniLM with its bottom layers frozen (their outputs cached) and the top `layers` tuned."""

    def __init__(self, layers: int) -> None:
        path = sentence_model_path()
        transformers.logging.set_verbosity_error()
        self.bert = BertModel.from_pretrained(path, add_pooling_layer=False)
        self.tok = AutoTokenizer.from_pretrained(path)
        self.n = len(self.bert.encoder.layer)
        self.first = self.n - layers
        for p in self.bert.parameters():
            p.requires_grad = False
        self.params = [p for i in range(self.first, self.n)
                       for p in self.bert.encoder.layer[i].parameters()]
        for p in self.params:
            p.requires_grad = True

    def _run(self, hidden: torch.Tensor, mask: torch.Tensor, layers: range) -> torch.Tensor:
        m = create_bidirectional_mask(config=self.bert.config, inputs_embeds=hidden,
                                      attention_mask=mask)
        for i in layers:
            out = self.bert.encoder.layer[i](hidden, m)
            hidden = out[0] if isinstance(out, tuple) else out
        return hidden

    def frozen(self, texts: list[str], batch: int = 128) -> list[torch.Tensor]:
        """Hidden states after the frozen layers, one (tokens, dim) tensor per text."""
        states = []
        with torch.no_grad():
            for b in range(0, len(texts), batch):
                t = self.tok(texts[b:b + batch], padding=True, truncation=True, max_length=128,
                             return_tensors="pt")
                h = self._run(self.bert.embeddings(input_ids=t["input_ids"]),
                              t["attention_mask"], range(self.first))
                for j in range(h.shape[0]):
                    states.append(h[j, :int(t["attention_mask"][j].sum())].clone())
        return states

    def forward(self, states: list[torch.Tensor]) -> torch.Tensor:
        """Mean-pooled, normalised query vectors through the tuned layers."""
        width = max(len(s) for s in states)
        h = torch.zeros(len(states), width, states[0].shape[-1])
        m = torch.zeros(len(states), width, dtype=torch.long)
        for i, s in enumerate(states):
            h[i, :len(s)] = s
            m[i, :len(s)] = 1
        out = self._run(h, m, range(self.first, self.n))
        w = m.unsqueeze(-1).float()
        return nn.functional.normalize((out * w).sum(1) / w.sum(1), dim=-1)

    def encode(self, states: list[torch.Tensor], batch: int = 256) -> np.ndarray:
        self.bert.eval()
        with torch.no_grad():
            return torch.cat([self.forward(states[b:b + batch])
                              for b in range(0, len(states), batch)]).numpy()

    def tuned_state(self) -> dict[str, torch.Tensor]:
        keep = tuple(f"encoder.layer.{i}." for i in range(self.first, self.n))
        return {k: v for k, v in self.bert.state_dict().items() if k.startswith(keep)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--alt", type=int, default=3000, help="ESCO alt-label queries added")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    torch.manual_seed(0)
    random.seed(0)
    torch.set_num_threads(2)
    con = connect(args.db, read_only=True)
    encoder = get_encoder()
    index = LabelIndex.build(con, "esco", encoder)
    pos = {s: i for i, s in enumerate(index.skills)}
    by_label = {index.preferred[s].lower(): pos[s] for s in index.skills}
    train = read_skillskape(BENCH / "train.csv", by_label)
    dev = read_skillskape(BENCH / "dev.csv", by_label)
    alt_rows = [r for r in range(len(index)) if not index.is_preferred[r]]
    alt_rows = random.Random(13).sample(alt_rows, min(args.alt, len(alt_rows)))
    texts = [s for s, _ in train] + [index.labels[r] for r in alt_rows]
    golds = [g for _, g in train] + [[pos[str(index.skill_ids[r])]] for r in alt_rows]

    tower = Tower(args.layers)
    train_states = tower.frozen(texts)
    dev_states = tower.frozen([s for s, _ in dev])
    dev_gold = [g for _, g in dev]
    stock = _encode_cached(encoder, [s for s, _ in dev])
    print("SkillSkape dev RP@5: stock", round(rp5(index, stock, dev_gold), 2), "linear adapter",
          round(rp5(index, apply_adapter(stock, load_adapter()), dev_gold), 2), "tower start",
          round(rp5(index, tower.encode(dev_states), dev_gold), 2), flush=True)

    rows_kept = _training_rows(index, 4)
    labels = torch.from_numpy(index.vectors[rows_kept])
    counts = np.diff(np.append(index.skill_starts, len(index)))
    owner = torch.from_numpy(np.repeat(np.arange(len(index.skills)), counts)[rows_kept])
    row_pos = {int(r): p for p, r in enumerate(rows_kept)}
    # an alt-label query must not match its own label row
    own_row = [-1] * len(train) + [row_pos.get(r, -1) for r in alt_rows]
    n_skills = len(index.skills)
    opt = torch.optim.AdamW(tower.params, lr=args.lr, weight_decay=0.01)
    order = list(range(len(texts)))
    steps = args.epochs * ((len(order) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps,
                                                pct_start=0.1)
    for epoch in range(args.epochs):
        tower.bert.train()
        random.shuffle(order)
        start, losses = time.time(), []
        for s in range(0, len(order), args.batch):
            ids = order[s:s + args.batch]
            sims = tower.forward([train_states[i] for i in ids]) @ labels.T
            for j, i in enumerate(ids):
                if own_row[i] >= 0:
                    sims[j, own_row[i]] = -2.0
            logits = torch.full((len(ids), n_skills), -2.0).scatter_reduce(
                1, owner.expand(len(ids), -1), sims, "amax") / TAU
            positive = torch.zeros(len(ids), n_skills, dtype=torch.bool)
            for j, i in enumerate(ids):
                positive[j, golds[i]] = True
            negatives = torch.logsumexp(logits.masked_fill(positive, float("-inf")), dim=1)
            loss = nn.functional.softplus(negatives[:, None] - logits)[positive].mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
        print(f"epoch {epoch + 1} loss {np.mean(losses):.3f} {time.time() - start:.0f}s "
              f"dev RP@5 {rp5(index, tower.encode(dev_states), dev_gold):.2f}", flush=True)
    torch.save(tower.tuned_state(), args.output)


if __name__ == "__main__":
    main()
