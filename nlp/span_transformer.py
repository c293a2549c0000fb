"""MiniLM span tagger: the packaged all-MiniLM-L6-v2 with two BIO heads (skill, knowledge).

Words are the non-space tokens of a `spacy.blank("en")` doc; each word is labelled on its first
subword. A doc is cut into sentences (newlines, . ! ?) and those into pieces of at most
`max_length` subwords. Only the top `tuned_layers` encoder layers and the heads are trained; the
artefact stores just those tensors (fp16), loading = packaged MiniLM + overwrite.

Example:
    tagger = load_transformer("models/skillspan_minilm")
    doc = spacy.blank("en")("Experience with Python and SQL.")
    tagger.predict([doc])[0]   # [(token start, token end, "KNOWLEDGE"), ...]
"""

from __future__ import annotations

import json
import math
import random
import time
import warnings
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import spacy
import torch
import transformers
from safetensors.torch import load_file, save_file
from spacy.tokens import Doc
from torch import nn
from transformers import AutoTokenizer, BertModel
from transformers.masking_utils import create_bidirectional_mask

from lmi.config import sentence_model_path
from lmi.nlp.spans_data import LABELS, as_paths, read_records, record_spans
from lmi.nlp.types import token_table

BIO = ("O", "B", "I")
META_FILE = "span_transformer.json"
WEIGHTS_FILE = "tuned_layers.safetensors"
SENTENCE_END = {".", "!", "?"}

SpanTuple = tuple[int, int, str]
AVERAGE_EVERY = 10               # steps between the weight samples of Settings.average_from


@dataclass
class Settings:
    """Training settings (all recorded in the artefact's metadata)."""

    tuned_layers: int = 3
    epochs: int = 5
    batch_size: int = 16
    learn_rate: float = 2e-4
    head_learn_rate: float = 1e-3
    warmup: float = 0.1
    weight_decay: float = 0.01
    span_weight: float = 1.0
    dropout: float = 0.1
    max_length: int = 128
    max_steps: int = 0
    seed: int = 0
    threads: int = 2
    layer_decay: float = 1.0      # lr of tuned layer i = learn_rate * layer_decay ** (top - i)
    label_smoothing: float = 0.0
    bucket: bool = True           # batches of similar-length sentences (less padding)
    precision: str = "fp32"       # bf16: forward/backward under bfloat16 autocast (fp32 weights)
    crf: bool = False             # train a linear-chain CRF per label (learned BIO transitions)
    keep: str = "best"            # best: the best epoch on dev; last: the final epoch (when dev
                                  # is part of the training data, so cannot select)
    average_from: float = 0.0     # > 0 (with keep="last"): save the mean of the weights taken
                                  # every AVERAGE_EVERY steps from this fraction of the run on

    def __post_init__(self) -> None:
        if self.average_from and self.keep != "last":
            raise ValueError("average_from needs keep='last' (the mean is not one epoch's "
                             "weights)")


@dataclass
class Segment:
    """One model input: subword ids (with [CLS]/[SEP]), first-subword position per word and the
    doc token index of each word."""

    input_ids: list[int]
    first: list[int]
    tokens: list[int]
    doc_index: int = 0
    tags: list[tuple[int, int]] = field(default_factory=list)  # BIO id per head, training only


class BioTagger(nn.Module):
    """BertModel + one linear layer giving O/B/I logits for each label."""

    def __init__(self, encoder: BertModel, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.heads = nn.Linear(encoder.config.hidden_size, len(LABELS) * len(BIO))

    @property
    def n_layers(self) -> int:
        return len(self.encoder.encoder.layer)

    def run(self, hidden: torch.Tensor, attention_mask: torch.Tensor,
            layers: range) -> torch.Tensor:
        """Run encoder layers `layers` on hidden states (padding masked by attention_mask)."""
        mask = create_bidirectional_mask(config=self.encoder.config, inputs_embeds=hidden,
                                         attention_mask=attention_mask)
        for i in layers:
            out = self.encoder.encoder.layer[i](hidden, mask)
            hidden = out[0] if isinstance(out, tuple) else out
        return hidden

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """[batch, length, label, BIO] logits of final hidden states."""
        return self.heads(self.dropout(hidden)).view(*hidden.shape[:2], len(LABELS), len(BIO))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder.embeddings(input_ids=input_ids)
        return self.logits(self.run(hidden, attention_mask, range(self.n_layers)))


def base_model(dropout: float = 0.1) -> tuple[BioTagger, object]:
    """The packaged MiniLM (offline) with freshly initialised heads, and its fast tokenizer."""
    path = sentence_model_path()
    transformers.logging.set_verbosity_error()  # the unused pooler weights are expected
    encoder = BertModel.from_pretrained(path, add_pooling_layer=False)
    return BioTagger(encoder, dropout), AutoTokenizer.from_pretrained(path)


# --- docs -> segments -----------------------------------------------------------------------------

def sentence_words(doc: Doc) -> list[list[int]]:
    """Token indices of the doc's non-space tokens, grouped into sentences."""
    t = token_table(doc)
    sentences: list[list[int]] = [[]]
    for i, text in enumerate(t.text):
        if t.is_space[i]:
            if "\n" in text and sentences[-1]:
                sentences.append([])
            continue
        sentences[-1].append(i)
        if text in SENTENCE_END or "\n" in t.whitespace[i]:
            sentences.append([])
    return [s for s in sentences if s]


def word_segments(sentences: list[list[str]], tokenizer, max_length: int = 128
                  ) -> list[Segment]:
    """Model inputs for word lists: one per list, long lists cut at max_length subwords.

    Segment.doc_index is the list's position, Segment.tokens the word positions in the list.
    """
    if not sentences:
        return []
    enc = tokenizer(sentences, is_split_into_words=True, add_special_tokens=False)
    cls, sep, room = tokenizer.cls_token_id, tokenizer.sep_token_id, max_length - 2
    out: list[Segment] = []
    for g in range(len(sentences)):
        ids, word_ids = enc["input_ids"][g], enc.word_ids(g)
        start = 0
        while start < len(ids):
            piece = range(start, min(start + room, len(ids)))
            end = piece.stop
            if end < len(ids) and word_ids[end] == word_ids[end - 1]:  # do not cut inside a word
                first_of_word = word_ids.index(word_ids[end])
                end = first_of_word if first_of_word > start else end
            seg = Segment([cls, *ids[start:end], sep], [], [], g)
            for pos in range(start, end):
                w = word_ids[pos]
                if pos == 0 or word_ids[pos - 1] != w:
                    seg.first.append(pos - start + 1)
                    seg.tokens.append(w)
            out.append(seg)
            start = end
    return out


def doc_segments(docs: list[Doc], tokenizer, max_length: int = 128) -> list[Segment]:
    """Model inputs for docs: one per sentence, long sentences cut at max_length subwords."""
    groups = [(d, s) for d, doc in enumerate(docs) for s in sentence_words(doc)]
    token_texts = [token_table(doc).text for doc in docs]    # doc[i] is slow
    segs = word_segments([[token_texts[d][i] for i in s] for d, s in groups], tokenizer,
                         max_length)
    for seg in segs:
        d, tokens = groups[seg.doc_index]
        seg.doc_index, seg.tokens = d, [tokens[w] for w in seg.tokens]
    return segs


def pad(rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded id tensor and its attention mask."""
    width = max(len(r) for r in rows)
    ids = torch.zeros(len(rows), width, dtype=torch.long)
    mask = torch.zeros(len(rows), width, dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r)
        mask[i, :len(r)] = 1
    return ids, mask


# --- decoding -------------------------------------------------------------------------------------

FORBIDDEN = -1e4                  # score of the O->I and start->I moves (never taken)
ALLOWED_MOVES = [[0.0, 0.0, FORBIDDEN], [0.0] * 3, [0.0] * 3]    # from O, B, I to O, B, I
ALLOWED_STARTS = [0.0, 0.0, FORBIDDEN]


def viterbi_bio(log_probs: list[list[float]] | np.ndarray,
                crf: tuple[list[float], list[list[float]]] | None = None) -> list[int]:
    """Best O/B/I sequence of [words, 3] log-probabilities with O->I and start->I forbidden.

    crf: (start[3], transitions[3][3]) scores learned by a CRF tagger, added to the moves.
    """
    if not len(log_probs):
        return []
    if crf is not None:
        return _viterbi_crf(log_probs, crf)
    neg = -1e9
    score = [log_probs[0][0], log_probs[0][1], neg]
    back: list[tuple[int, int, int]] = []
    for row in log_probs[1:]:
        best_bi = 1 if score[1] >= score[2] else 2
        best_ob = 0 if score[0] >= score[best_bi] else best_bi
        back.append((best_ob, best_ob, best_bi))
        score = [score[best_ob] + row[0], score[best_ob] + row[1], score[best_bi] + row[2]]
    return _backtrace(score, back)


def _backtrace(score: list[float], back: list) -> list[int]:
    """Tags of the best final state followed back through the per-step pointers."""
    tag = max(range(3), key=score.__getitem__)
    tags = [tag]
    for pointers in reversed(back):
        tag = pointers[tag]
        tags.append(tag)
    return tags[::-1]


def _viterbi_crf(log_probs: list[list[float]] | np.ndarray,
                 crf: tuple[list[float], list[list[float]]]) -> list[int]:
    start, trans = crf
    move = [[trans[a][b] + ALLOWED_MOVES[a][b] for b in range(3)] for a in range(3)]
    score = [log_probs[0][b] + start[b] + ALLOWED_STARTS[b] for b in range(3)]
    back: list[list[int]] = []
    for row in log_probs[1:]:
        prev = [max(range(3), key=lambda a, b=b: score[a] + move[a][b]) for b in range(3)]
        score = [score[prev[b]] + move[prev[b]][b] + row[b] for b in range(3)]
        back.append(prev)
    return _backtrace(score, back)


def crf_params(meta: dict) -> list[tuple[list[float], list[list[float]]]] | None:
    """Per label, the (start, transitions) scores a CRF tagger saved in its metadata."""
    crf = meta.get("crf")
    if not crf:
        return None
    return [(crf["start"][h], crf["transitions"][h]) for h in range(len(LABELS))]


def tags_to_spans(tags: list[int]) -> list[tuple[int, int]]:
    """(start, end) word spans of BIO ids; a stray I opens a span (greedy repair)."""
    spans, start = [], None
    for i, tag in enumerate([*tags, 0]):
        if tag == 2 and start is not None:
            continue
        if start is not None:
            spans.append((start, i))
            start = None
        if tag in (1, 2):
            start = i
    return spans


def segment_spans(seg: Segment, log_probs: np.ndarray, decode: str = "viterbi",
                  crf: list[tuple[list[float], list[list[float]]]] | None = None
                  ) -> list[SpanTuple]:
    """Doc-token (start, end, label) spans of one segment from its [T, label, 3] log-probs.

    crf: per label (start, transitions) of a CRF tagger (crf_params), used by Viterbi.
    """
    if not seg.first:
        return []
    word_logp = log_probs[seg.first]
    out = []
    for h, label in enumerate(LABELS):
        scores = word_logp[:, h]
        if decode == "viterbi":
            tags = viterbi_bio(scores.tolist(), crf[h] if crf else None)
        else:
            tags = scores.argmax(-1).tolist()
        for ws, we in tags_to_spans(tags):
            out.append((seg.tokens[ws], seg.tokens[we - 1] + 1, label))
    return out


# --- inference ------------------------------------------------------------------------------------

MAX_CACHED_SENTENCES = 200_000


class TransformerTagger:
    """A loaded MiniLM span tagger: `predict(docs)` -> per doc a sorted list of token spans."""

    def __init__(self, model: BioTagger | list[BioTagger], tokenizer, meta: dict,
                 batch_size: int = 64, precision: str = "fp32"):
        """model: one network, or an ensemble whose log-probabilities are averaged.

        precision 'bf16' runs the network under bfloat16 autocast (see encoder_precision).
        """
        self.models = [m.eval() for m in (model if isinstance(model, list) else [model])]
        self.model, self.tokenizer, self.meta = self.models[0], tokenizer, meta
        self.max_length = int(meta.get("max_length", 128))
        self.decode = meta.get("decode", "viterbi")
        self.crf = crf_params(meta)
        self.batch_size = batch_size
        self.precision = precision
        # sentence words -> spans in word positions
        self._sentence_spans: dict[tuple[str, ...], list[SpanTuple]] = {}

    def clear_caches(self) -> None:
        """Forget the sentences tagged so far."""
        self._sentence_spans.clear()

    def segment_log_probs(self, segs: list[Segment]) -> list[np.ndarray]:
        """[length, label, 3] log-probabilities of each segment (length-sorted batches)."""
        out: list[np.ndarray | None] = [None] * len(segs)
        order = sorted(range(len(segs)), key=lambda i: len(segs[i].input_ids))
        bf16 = self.precision == "bf16"
        with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=bf16):
            for b in range(0, len(order), self.batch_size):
                idx = order[b:b + self.batch_size]
                ids, mask = pad([segs[i].input_ids for i in idx])
                log_probs = sum(torch.log_softmax(m(ids, mask).float(), dim=-1)
                                for m in self.models) / len(self.models)
                log_probs = log_probs.numpy()
                for row, i in enumerate(idx):
                    out[i] = log_probs[row, :len(segs[i].input_ids)]
        return out  # type: ignore[return-value]

    def predict(self, docs: list[Doc], skip: Sequence[Collection[int]] | None = None
                ) -> list[list[SpanTuple]]:
        """Token (start, end, label) spans for each doc.

        Each distinct sentence (its words) is tokenized and decoded once: postings repeat
        whole sentences, and a sentence's spans depend on nothing else. Spans are cached as
        word positions in the sentence and mapped back to each doc's tokens. skip: per doc,
        token indices not to tag (e.g. boilerplate); a sentence made only of them is not run.
        """
        groups = [(d, s) for d, doc in enumerate(docs) for s in sentence_words(doc)
                  if not (skip and skip[d] and all(i in skip[d] for i in s))]
        token_texts = [token_table(doc).text for doc in docs]
        keys = [tuple(token_texts[d][i] for i in s) for d, s in groups]
        todo = [key for key in dict.fromkeys(keys) if key not in self._sentence_spans]
        if todo:
            if len(self._sentence_spans) + len(todo) > MAX_CACHED_SENTENCES:
                self._sentence_spans.clear()
            segs = word_segments([list(key) for key in todo], self.tokenizer, self.max_length)
            fresh: list[list[SpanTuple]] = [[] for _ in todo]
            for seg, log_probs in zip(segs, self.segment_log_probs(segs), strict=True):
                fresh[seg.doc_index].extend(segment_spans(seg, log_probs, self.decode,
                                                          self.crf))
            self._sentence_spans.update(zip(todo, fresh, strict=True))
        found: list[set[SpanTuple]] = [set() for _ in docs]
        for (d, tokens), key in zip(groups, keys, strict=True):
            found[d].update((tokens[ws], tokens[we - 1] + 1, label)
                            for ws, we, label in self._sentence_spans[key])
        return [sorted(f) for f in found]


def is_transformer_dir(path: str | Path) -> bool:
    """True when `path` holds a MiniLM span tagger saved by save_tagger."""
    return (Path(path) / META_FILE).is_file()


@lru_cache(maxsize=4)
def load_transformer(model_dir: str, quantize: bool = False) -> TransformerTagger:
    """Packaged MiniLM + the fine-tuned layers and heads stored in model_dir (cached).

    quantize: int8 dynamic quantization of the linear layers (about 3x faster on CPU).
    Otherwise the network runs in bf16 where the CPU has it (LMI_ENCODER_PRECISION).
    """
    from lmi.nlp.embeddings import encoder_precision

    path = Path(model_dir)
    if not is_transformer_dir(path):
        raise FileNotFoundError(f"no MiniLM span model in {path}")
    meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    models = []
    for weights in member_files(meta):
        model, tokenizer = base_model(0.0)
        tuned = {k: v.float() for k, v in load_file(str(path / weights)).items()}
        missing, unexpected = model.load_state_dict(tuned, strict=False)
        if unexpected or any(k.startswith("heads.") for k in missing):
            raise ValueError(f"{path / weights} does not fit the packaged MiniLM")
        if quantize:
            with warnings.catch_warnings():  # torch.ao is deprecated but still the simplest
                warnings.simplefilter("ignore")
                model = torch.ao.quantization.quantize_dynamic(model.eval(), {nn.Linear},
                                                               dtype=torch.qint8)
        models.append(model)
    return TransformerTagger(models, tokenizer, meta,
                             precision="fp32" if quantize else encoder_precision())


def member_files(meta: dict) -> list[str]:
    """Weight files of a tagger folder: one, or one per ensemble member."""
    return [m["weights"] for m in meta.get("members", [])] or [WEIGHTS_FILE]


def combine_taggers(member_dirs: list[str | Path], output_dir: str | Path) -> dict:
    """An ensemble folder from trained tagger folders (log-probabilities averaged at run time).

    Each member's weights are copied (member 0 keeps the usual file name); the metadata keeps
    every member's settings, command and dev F1; the ensemble is scored on dev and carded.
    """
    metas = [json.loads((Path(d) / META_FILE).read_text(encoding="utf-8")) for d in member_dirs]
    if len(metas) < 2:
        raise ValueError("an ensemble needs at least two tagger folders")
    for key in ("kind", "labels", "bio", "max_length", "dev_path"):
        if len({json.dumps(m.get(key)) for m in metas}) > 1:
            raise ValueError(f"tagger folders differ in {key!r}")
    if any(m.get("members") for m in metas):
        raise ValueError("members must be single taggers, not ensembles")
    if any(m.get("crf") for m in metas):
        raise ValueError("CRF taggers cannot be combined (their transitions differ)")
    blobs = [(Path(d) / WEIGHTS_FILE).read_bytes() for d in member_dirs]  # before any overwrite
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    members = []
    for i, (d, m, blob) in enumerate(zip(member_dirs, metas, blobs, strict=True)):
        name = WEIGHTS_FILE if i == 0 else WEIGHTS_FILE.replace(".safetensors", f".{i}.safetensors")
        (output_dir / name).write_bytes(blob)
        members.append({"weights": name, "source": str(d), "command": command_line(m),
                        "seconds": m.get("seconds"), "best_epoch": m.get("best_epoch"),
                        "dev_both_f1": round(m["dev"]["scores"]["both"]["f1"], 4)
                        if m.get("dev") else None})
    meta = {k: v for k, v in metas[0].items() if k not in ("dev", "size_bytes")}
    meta["members"] = members
    meta["combine_command"] = ("lmi train combine-spans "
                               + " ".join(str(d) for d in member_dirs) + f" --output {output_dir}")
    return finish(output_dir, meta)



def save_tagger(model: BioTagger, meta: dict, output_dir: str | Path) -> Path:
    """Write the tuned layers + heads (fp16 safetensors) and metadata; none of the frozen base."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    first = model.n_layers - int(meta["tuned_layers"])
    prefixes = ("heads.", *(f"encoder.encoder.layer.{i}." for i in range(first, model.n_layers)))
    tensors = {k: v.detach().half().contiguous() for k, v in model.state_dict().items()
               if k.startswith(prefixes)}
    save_file(tensors, str(output_dir / WEIGHTS_FILE))
    (output_dir / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return output_dir


# --- training -------------------------------------------------------------------------------------

def record_segments(path: str | Path, tokenizer,
                    max_length: int) -> tuple[list[Doc], list[Segment]]:
    """Blank-English docs of a SkillSpan file (tokens joined by spaces, as at run time) and their
    segments with gold BIO tags per word and label."""
    nlp = spacy.blank("en")
    docs, gold = [], []
    for record in read_records(path):
        tokens = [str(t) for t in record.get("tokens") or []]
        if not tokens:
            continue
        starts = np.cumsum([0] + [len(t) + 1 for t in tokens])
        doc = nlp(" ".join(tokens))
        tags = [[0] * len(LABELS) for _ in doc]
        for s, e, label in record_spans(record):
            span = doc.char_span(int(starts[s]), int(starts[e] - 1), alignment_mode="expand")
            h = LABELS.index(label)
            for k, token in enumerate(span):
                tags[token.i][h] = 1 if k == 0 else 2
        docs.append(doc)
        gold.append(tags)
    segs = doc_segments(docs, tokenizer, max_length)
    for seg in segs:
        seg.tags = [tuple(gold[seg.doc_index][t]) for t in seg.tokens]
        if seg.tags:  # a segment cut inside a span starts it with B
            seg.tags[0] = tuple(1 if t == 2 else t for t in seg.tags[0])
    return docs, segs


def frozen_states(model: BioTagger, segs: list[Segment], n_frozen: int,
                  batch_size: int = 64) -> list[torch.Tensor]:
    """Hidden states after the frozen bottom layers, one [length, hidden] tensor per segment."""
    out: list[torch.Tensor] = []
    model.eval()
    with torch.no_grad():  # not inference_mode: these states feed autograd later
        for b in range(0, len(segs), batch_size):
            batch = segs[b:b + batch_size]
            ids, mask = pad([s.input_ids for s in batch])
            hidden = model.run(model.encoder.embeddings(input_ids=ids), mask, range(n_frozen))
            out.extend(hidden[i, :len(s.input_ids)].clone() for i, s in enumerate(batch))
    return out


def stack_states(states: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded [batch, length, hidden] states and their attention mask."""
    width = max(len(s) for s in states)
    hidden = torch.zeros(len(states), width, states[0].shape[-1])
    mask = torch.zeros(len(states), width, dtype=torch.long)
    for i, s in enumerate(states):
        hidden[i, :len(s)] = s
        mask[i, :len(s)] = 1
    return hidden, mask


def label_tensor(segs: list[Segment], width: int) -> torch.Tensor:
    """[batch, width, label] gold BIO ids on first subwords, -100 elsewhere."""
    labels = torch.full((len(segs), width, len(LABELS)), -100, dtype=torch.long)
    for i, seg in enumerate(segs):
        if seg.first:
            labels[i, seg.first] = torch.tensor(seg.tags, dtype=torch.long)
    return labels


class BioCrf(nn.Module):
    """Linear-chain CRF over each label's O/B/I word tags: learned start and transition scores
    (O->I and start->I forbidden), trained by negative log-likelihood."""

    def __init__(self, n_labels: int = len(LABELS)):
        super().__init__()
        self.start = nn.Parameter(torch.zeros(n_labels, len(BIO)))
        self.transitions = nn.Parameter(torch.zeros(n_labels, len(BIO), len(BIO)))
        self.register_buffer("allowed", torch.tensor(ALLOWED_MOVES), persistent=False)
        self.register_buffer("start_allowed", torch.tensor(ALLOWED_STARTS), persistent=False)

    def nll(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor
            ) -> torch.Tensor:
        """Summed -log p(tags) over sequences and labels.

        emissions [B, W, L, 3] word scores, tags [B, W, L] gold ids, mask [B, W] (words
        present; every sequence has its first word).
        """
        move = self.transitions + self.allowed                      # [L, 3, 3]
        start = self.start + self.start_allowed                     # [L, 3]
        alpha = start + emissions[:, 0]                             # [B, L, 3]
        for t in range(1, emissions.shape[1]):
            nxt = torch.logsumexp(alpha.unsqueeze(-1) + move, dim=-2) + emissions[:, t]
            alpha = torch.where(mask[:, t, None, None], nxt, alpha)
        log_z = torch.logsumexp(alpha, dim=-1)                       # [B, L]
        gold = emissions.gather(-1, tags.unsqueeze(-1)).squeeze(-1)  # [B, W, L]
        gold = (gold * mask.unsqueeze(-1)).sum(dim=1)
        labels = torch.arange(tags.shape[-1])
        gold = gold + start[labels, tags[:, 0]]
        steps = move[labels, tags[:, :-1], tags[:, 1:]]              # [B, W-1, L]
        gold = gold + (steps * mask[:, 1:].unsqueeze(-1)).sum(dim=1)
        return (log_z - gold).sum()

    def to_meta(self) -> dict:
        return {"start": self.start.detach().tolist(),
                "transitions": self.transitions.detach().tolist()}


def word_tensors(segs: list[Segment]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """First-subword positions [B, W], gold BIO ids [B, W, L] (an I after O or at the start
    read as B) and the word mask [B, W] of a batch of training segments."""
    width = max(1, max(len(seg.first) for seg in segs))
    first = torch.zeros(len(segs), width, dtype=torch.long)
    tags = torch.zeros(len(segs), width, len(LABELS), dtype=torch.long)
    mask = torch.zeros(len(segs), width, dtype=torch.bool)
    for i, seg in enumerate(segs):
        if not seg.first:
            continue
        rows = [list(t) for t in seg.tags]
        for h in range(len(LABELS)):
            prev = 0
            for row in rows:
                if row[h] == 2 and prev == 0:
                    row[h] = 1
                prev = row[h]
        first[i, :len(seg.first)] = torch.tensor(seg.first)
        tags[i, :len(rows)] = torch.tensor(rows)
        mask[i, :len(rows)] = True
    return first, tags, mask


def length_batches(lengths: list[int], batch_size: int, rng: random.Random,
                   bucket: bool = True, pool: int = 50) -> list[list[int]]:
    """Shuffled batches of indices; with `bucket`, each batch holds similar lengths (indices
    shuffled, sorted by length within pools of `pool` batches, batches shuffled again)."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    if not bucket:
        return [order[b:b + batch_size] for b in range(0, len(order), batch_size)]
    size = batch_size * pool
    batches = []
    for p in range(0, len(order), size):
        chunk = sorted(order[p:p + size], key=lengths.__getitem__)
        batches.extend(chunk[b:b + batch_size] for b in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def dev_scores(model: BioTagger, docs: list[Doc], segs: list[Segment],
               states: list[torch.Tensor], n_frozen: int, decode: str = "viterbi",
               crf: list | None = None) -> dict:
    """span_scores of the in-training model on dev (same segments and decoding as inference)."""
    from lmi.nlp.span_eval import span_scores

    model.eval()
    pred, gold = set(), set()
    with torch.inference_mode():
        for b in range(0, len(segs), 64):
            hidden, mask = stack_states(states[b:b + 64])
            logits = model.logits(model.run(hidden, mask, range(n_frozen, model.n_layers)))
            log_probs = torch.log_softmax(logits, dim=-1).numpy()
            for row, seg in enumerate(segs[b:b + 64]):
                doc = docs[seg.doc_index]
                for s, e, label in segment_spans(seg, log_probs[row], decode, crf):
                    pred.add((seg.doc_index, doc[s].idx, doc[e - 1].idx + len(doc[e - 1]), label))
    for d, doc in enumerate(docs):
        gold.update((d, s.start_char, s.end_char, s.label_) for s in gold_spans(doc))
    return span_scores(pred, gold)


class TailAverage:
    """Running mean of some parameters, sampled during the tail of a training run."""

    def __init__(self, params: list[nn.Parameter]):
        self.params = params
        self.sums = [torch.zeros_like(p, dtype=torch.float64) for p in params]
        self.samples = 0

    def add(self) -> None:
        """Add the parameters' current values to the mean."""
        with torch.no_grad():
            for total, p in zip(self.sums, self.params, strict=True):
                total += p.detach()
        self.samples += 1

    def apply(self) -> None:
        """Overwrite the parameters with their mean (a no-op before any sample)."""
        if not self.samples:
            return
        with torch.no_grad():
            for total, p in zip(self.sums, self.params, strict=True):
                p.copy_((total / self.samples).to(p.dtype))


def gold_spans(doc: Doc):
    return doc.user_data.get("gold_spans", [])


def train_transformer(train_path: str | Path | Sequence[str | Path], dev_path: str | Path,
                      output_dir: str | Path, settings: Settings | None = None,
                      log=print) -> dict:
    """Fine-tune the top layers + heads on train (one file or several), keep the best epoch on
    dev (or the last one, `settings.keep == "last"`), save the artefact.

    Returns the saved metadata (settings, seconds, best epoch, dev span_scores per epoch).
    """
    settings = settings or Settings()
    started = time.time()
    random.seed(settings.seed)
    np.random.seed(settings.seed)
    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    model, tokenizer = base_model(settings.dropout)
    n_frozen = model.n_layers - settings.tuned_layers
    _, train_segs = record_segments(train_path, tokenizer, settings.max_length)
    dev_docs, dev_segs = record_segments(dev_path, tokenizer, settings.max_length)
    attach_gold(dev_docs, dev_path)
    train_states = frozen_states(model, train_segs, n_frozen)
    dev_states = frozen_states(model, dev_segs, n_frozen)
    log(f"segments train {len(train_segs)} dev {len(dev_segs)}; "
        f"frozen states in {time.time() - started:.0f}s")

    for p in model.parameters():
        p.requires_grad = False
    layer_groups = [{"params": list(model.encoder.encoder.layer[i].parameters()),
                     "lr": settings.learn_rate * settings.layer_decay ** (model.n_layers - 1 - i)}
                    for i in range(n_frozen, model.n_layers)]
    tuned = [p for g in layer_groups for p in g["params"]]
    for p in [*tuned, *model.heads.parameters()]:
        p.requires_grad = True
    crf = BioCrf() if settings.crf else None
    # the CRF's few scores start at zero: a higher rate, no decay
    crf_group = [{"params": list(crf.parameters()), "lr": settings.head_learn_rate * 10,
                  "weight_decay": 0.0}] if crf is not None else []
    optimizer = torch.optim.AdamW([
        *layer_groups,
        {"params": list(model.heads.parameters()), "lr": settings.head_learn_rate},
        *crf_group,
    ], weight_decay=settings.weight_decay)
    per_epoch = math.ceil(len(train_segs) / settings.batch_size)
    total = per_epoch * settings.epochs
    if settings.max_steps:
        total = min(total, settings.max_steps)
    warm = max(1, int(total * settings.warmup))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    weight = torch.tensor([1.0, settings.span_weight, settings.span_weight])
    loss_fn = nn.CrossEntropyLoss(weight=weight, ignore_index=-100,
                                  label_smoothing=settings.label_smoothing)
    lengths = [len(seg.input_ids) for seg in train_segs]
    average_start = math.ceil(total * settings.average_from)
    average = (TailAverage([*tuned, *model.heads.parameters(),
                            *(crf.parameters() if crf is not None else [])])
               if settings.average_from > 0 else None)

    best, history, step = None, [], 0
    meta = {"kind": "minilm_bio", "base": "all-MiniLM-L6-v2 (lmi.config.sentence_model_path)",
            "labels": list(LABELS), "bio": list(BIO), "decode": "viterbi",
            "max_length": settings.max_length, "tuned_layers": settings.tuned_layers,
            "settings": asdict(settings), "train": train_names(train_path),
            "dev_path": str(dev_path)}
    rng = random.Random(settings.seed)
    for epoch in range(1, settings.epochs + 1):
        model.train()
        running = 0.0
        for idx in length_batches(lengths, settings.batch_size, rng, settings.bucket):
            if step >= total:
                break
            hidden, mask = stack_states([train_states[i] for i in idx])
            labels = label_tensor([train_segs[i] for i in idx], hidden.shape[1])
            with torch.autocast("cpu", torch.bfloat16, enabled=settings.precision == "bf16"):
                logits = model.logits(model.run(hidden, mask, range(n_frozen, model.n_layers)))
            if crf is None:
                loss = loss_fn(logits.float().reshape(-1, len(BIO)), labels.reshape(-1))
            else:
                first, tags, words = word_tensors([train_segs[i] for i in idx])
                log_probs = torch.log_softmax(logits.float(), dim=-1)
                emissions = log_probs[torch.arange(len(idx))[:, None], first]  # [B, W, L, 3]
                loss = crf.nll(emissions, tags, words) / max(1, int(words.sum()))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(
                tuned + list(model.heads.parameters()) + (list(crf.parameters()) if crf else []),
                1.0)
            optimizer.step()
            schedule.step()
            step += 1
            running += loss.item()
            if average is not None and step >= average_start and (
                    (step - average_start) % AVERAGE_EVERY == 0 or step == total):
                average.add()
            if step % 100 == 0:
                log(f"epoch {epoch} step {step}/{total} loss {running / 100:.4f} "
                    f"{time.time() - started:.0f}s")
                running = 0.0
        if crf is not None:
            meta["crf"] = crf.to_meta()
        scores = dev_scores(model, dev_docs, dev_segs, dev_states, n_frozen,
                            crf=crf_params(meta))
        history.append({"epoch": epoch, "step": step,
                        **{k: round(v["f1"], 4) for k, v in scores.items()}})
        log(f"epoch {epoch} dev F1 {history[-1]} {time.time() - started:.0f}s")
        if settings.keep == "last" or best is None or scores["both"]["f1"] > best:
            best = scores["both"]["f1"]
            meta.update(best_epoch=epoch, best_step=step)
            best_crf = meta.get("crf")
            save_tagger(model, meta, output_dir)
        if step >= total:
            break
    if average is not None and average.samples:
        last_epoch = history[-1]["both"]
        average.apply()
        if crf is not None:
            meta["crf"] = best_crf = crf.to_meta()
        scores = dev_scores(model, dev_docs, dev_segs, dev_states, n_frozen,
                            crf=crf_params(meta))
        meta["averaged"] = {"from_step": average_start, "samples": average.samples,
                            "last_epoch_both_f1": last_epoch,
                            **{k: round(v["f1"], 4) for k, v in scores.items()}}
        log(f"averaged weights of {average.samples} samples from step {average_start}: dev F1 "
            f"{meta['averaged']} (last epoch alone: both {last_epoch})")
        save_tagger(model, meta, output_dir)
    meta["seconds"] = round(time.time() - started, 1)
    meta["history"] = history
    if crf is not None:     # the saved weights are the best epoch's: so are the transitions
        meta["crf"] = best_crf
    return finish(output_dir, meta)


def finish(output_dir: str | Path, meta: dict) -> dict:
    """Score the saved artefact on dev through the spaCy component (as `lmi eval spans` does),
    record the figures and size in its metadata and write MODEL_CARD.md."""
    from lmi.nlp.span_component import span_pipeline
    from lmi.nlp.span_eval import evaluate_spans

    output_dir = Path(output_dir)
    (output_dir / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    load_transformer.cache_clear()
    meta["dev"] = evaluate_spans(meta["dev_path"], span_pipeline(output_dir))
    meta["size_bytes"] = sum((output_dir / f).stat().st_size for f in member_files(meta))
    (output_dir / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    load_transformer.cache_clear()
    write_model_card(output_dir, meta)
    return meta


def train_names(train_path: str | Path | Sequence[str | Path]) -> list[str]:
    """The training file(s) as a list of strings (metadata)."""
    return [str(p) for p in as_paths(train_path)]


def command_line(meta: dict) -> str:
    """The `lmi train spans --arch minilm` call reproducing a run."""
    s = meta["settings"]
    train = " --train ".join(train_names(meta["train"]))
    return (f"lmi train spans --arch minilm --train {train} --dev {meta['dev_path']} "
            f"--seed {s['seed']} --max-epochs {s['epochs']} --max-steps {s['max_steps']} "
            f"--tuned-layers {s['tuned_layers']} --learn-rate {s['learn_rate']:g} "
            f"--batch-size {s['batch_size']} --span-weight {s['span_weight']:g} "
            f"--threads {s.get('threads', 2)} --layer-decay {s.get('layer_decay', 1.0):g} "
            f"--label-smoothing {s.get('label_smoothing', 0.0):g}"
            + ("" if s.get("bucket", False) else " --no-bucket")
            + (" --precision bf16" if s.get("precision") == "bf16" else "")
            + (" --crf" if s.get("crf") else "")
            + (" --keep last" if s.get("keep") == "last" else "")
            + (f" --average-from {s['average_from']:g}" if s.get("average_from") else ""))


def attach_gold(docs: list[Doc], path: str | Path) -> None:
    """Store each record's gold spans (as spans of the blank-English doc) in doc.user_data."""
    records = [r for r in read_records(path) if r.get("tokens")]
    for doc, record in zip(docs, records, strict=True):
        starts = np.cumsum([0] + [len(str(t)) + 1 for t in record["tokens"]])
        doc.user_data["gold_spans"] = [
            doc.char_span(int(starts[s]), int(starts[e] - 1), label=label,
                          alignment_mode="expand")
            for s, e, label in record_spans(record)]


CARD = """# skillspan_minilm: skill and knowledge span tagger (fine-tuned MiniLM)

Finds skill and knowledge spans in job-posting text; writes them to
`doc.spans["model_candidates"]` (labels `SKILL`, `KNOWLEDGE`) via the spaCy factory
`lmi_span_model` (`lmi.nlp.span_component`, which detects this folder's kind). Works on raw text
tokenized by `spacy.blank("en")`.

## Data
SkillSpan (Zhang et al., NAACL 2022; MIT licence, (c) 2023 Mike Zhang): English job postings
with two independent BIO layers (skill, knowledge). {data_use} The test split was never read.

## Command
```
{command}
```
Seed {seed} (python, numpy, torch); torch threads {threads}; wall time {seconds} s on a shared
2-core CPU ({kept} epoch {best_epoch} of {epochs}).

## Architecture
Base: the packaged all-MiniLM-L6-v2 (`lmi.config.sentence_model_path()`, BertModel, 6 layers,
hidden 384, uncased WordPiece), loaded offline. Words = non-space tokens of the blank-English
doc, labelled on their first subword; one linear head gives O/B/I for SKILL and for KNOWLEDGE
(two independent BIO layers, so overlapping spans are possible). Decoding: constrained Viterbi per
label (no O->I). Input: sentences (split at newlines and . ! ?), cut at {max_length} subwords.
Trained: top {tuned_layers} of 6 encoder layers + head (lower layers and the embeddings frozen;
their outputs cached once). AdamW (lr {learn_rate:g} for the top layer, times {layer_decay:g} per
layer below it; {head_learn_rate:g} head; weight decay {weight_decay:g}), linear warmup
{warmup:g} then decay, batch {batch_size} sentences ({batching}), dropout {dropout:g}, B/I loss
weight {span_weight:g}, label smoothing {label_smoothing:g}, gradient clip 1.0.

## Artefact
`{weights}` ({size_mb:.1f} MB): only the tuned layers and the head, fp16. Loading = packaged MiniLM
+ overwrite those tensors (`lmi.nlp.span_transformer.load_transformer`). `{meta_file}` holds the
settings, per-epoch dev F1 and the scores below.

## Dev scores (exact match: token start, end and label)
| | precision | recall | F1 | tp | fp | fn |
|---|---|---|---|---|---|---|
{rows_table}

"both" = typed spans of both labels together; "any" = boundaries only, label ignored.
Measured through the spaCy component: `lmi eval spans --dataset {dev_path} --model <this folder>`.

Per epoch (in-training dev F1, same segmentation and decoding):
{history}

## Limits
- English tech and "house" (mixed-sector) postings only; no Canadian or French data.
- Exact-match F1 is strict: long skill clauses (5-15 tokens) are often found with one boundary off.
- Sentences longer than {max_length} subwords are cut into pieces; spans never cross a piece.
- The base model is uncased and was trained for sentence similarity, not tagging.
"""

ENSEMBLE_CARD = """
## Ensemble
This folder holds {n} taggers trained separately (sections above: member 0); at run time their
per-token log-probabilities are averaged, then Viterbi-decoded. The dev scores above are the
ensemble's. Combined with:
```
{combine}
```
| member | weights | dev F1 (both, alone) | best epoch | seconds | command |
|---|---|---|---|---|---|
{members}
"""


def data_use(meta: dict) -> str:
    """How the run used its files, for the model card (in-sample dev scores said so)."""
    train = as_paths(meta["train"])
    names = ", ".join(f"`{t.name}`" for t in train)
    dev = Path(meta["dev_path"]).name
    if meta["settings"].get("keep") != "last":
        return (f"Trained on {names}; `{dev}` used only to pick the best epoch (and for the "
                "scores below).")
    kept = ("the mean of the weights over the second part of the run is kept"
            if meta.get("averaged") else "the last epoch is kept")
    text = f"Trained on {names} for a fixed number of epochs; {kept} (no selection on dev)."
    if any(t.resolve() == Path(meta["dev_path"]).resolve() for t in train):
        text += (f" `{dev}` is part of the training data, so the dev scores below are "
                 "in-sample, **not evidence** (held-out estimate: docs/spans.md).")
    return text


def kept_weights(meta: dict) -> str:
    """Which weights the folder holds, for the model card: best, last, or the tail's mean."""
    averaged = meta.get("averaged")
    if averaged:
        return (f"the mean of {averaged['samples']} weight samples from step "
                f"{averaged['from_step']} to the end of the last")
    return meta["settings"]["keep"]


def write_model_card(output_dir: str | Path, meta: dict) -> Path:
    """MODEL_CARD.md beside the artefact, filled from the metadata of a finished run."""
    scores = meta["dev"]["scores"]
    settings = {**asdict(Settings(bucket=False)), **meta["settings"]}  # older runs: no new keys
    rows_table = "\n".join(
        f"| {name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} "
        f"| {s['tp']} | {s['fp']} | {s['fn']} |" for name, s in scores.items())
    history = "\n".join(f"- epoch {h['epoch']} (step {h['step']}): skill {h['skill']:.3f}, "
                        f"knowledge {h['knowledge']:.3f}, both {h['both']:.3f}"
                        for h in meta.get("history", []))
    text = CARD.format(command=command_line(meta), seconds=meta.get("seconds"),
                       data_use=data_use(meta), kept=kept_weights(meta),
                       best_epoch=meta.get("best_epoch"), rows_table=rows_table,
                       history=history, dev_path=meta["dev_path"], weights=WEIGHTS_FILE,
                       meta_file=META_FILE, size_mb=meta["size_bytes"] / 1e6,
                       batching="similar lengths" if settings["bucket"] else "random",
                       **settings)
    if meta.get("members"):
        text += ENSEMBLE_CARD.format(
            n=len(meta["members"]), combine=meta.get("combine_command", ""),
            members="\n".join(f"| {i} | `{m['weights']}` | {m['dev_both_f1']} | "
                              f"{m['best_epoch']} | {m['seconds']} | `{m['command']}` |"
                              for i, m in enumerate(meta["members"])))
    path = Path(output_dir) / "MODEL_CARD.md"
    path.write_text(text, encoding="utf-8")
    return path
