"""Experiment (not shipped): linking RP@k with a tuned query tower in place of the linear adapter.

The tower (benchmarks/query_tower_train.py) replaces `adapter(stock MiniLM)` for the whole-text
part of the production ranker; sub-phrase windows and label vectors stay stock.

    python benchmarks/query_tower_eval.py --db /tmp/full.duckdb /tmp/tower_L6.pt
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from sentence_transformers import SentenceTransformer

from lmi.config import sentence_model_path
from lmi.nlp import ranker as rk
from lmi.nlp.embeddings import LabelIndex, get_encoder
from lmi.nlp.evaluation import evaluate_linking
from lmi.warehouse.db import connect

DEV = Path(__file__).resolve().parents[2] / "shared" / "bench" / "esco-linking-dev"


def tower_ranker(model: SentenceTransformer) -> type[rk.SkillRanker]:
    class TowerRanker(rk.SkillRanker):
        def skill_scores(self, texts, *, preferred=False, adapter=False):  # noqa: ANN001
            if not adapter:
                return super().skill_scores(texts, preferred=preferred)
            queries = model.encode(list(texts), batch_size=64, normalize_embeddings=True,
                                   convert_to_numpy=True).astype(np.float32)
            labels = self._preferred_vectors if preferred else self._label_vectors
            return np.maximum.reduceat(queries @ labels.T, self.index.skill_starts, axis=1)

    return TowerRanker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("tower", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(2)
    con = connect(args.db, read_only=True)
    encoder = get_encoder()
    model = SentenceTransformer(str(sentence_model_path()), device="cpu")
    model[0].auto_model.load_state_dict(torch.load(args.tower), strict=False)
    model.eval()
    index = LabelIndex.build(con, "esco", encoder)
    cls = tower_ranker(model)
    for name in ("tech", "house"):
        path = DEV / f"{name}_validation_annotations.csv"
        for label, ranker_cls in (("adapter", rk.SkillRanker), ("tower", cls)):
            ranker = ranker_cls(index, encoder, adapter=rk.load_adapter(), sentence_mode=True)
            found = evaluate_linking(con, path, ranker=ranker)
            print(name, label, {k: round(v, 3) for k, v in found.items()
                                if k.startswith(("rp@", "mrr"))}, flush=True)


if __name__ == "__main__":
    main()
