"""Train the SkillSpan span tagger: CNN tok2vec + transition-based NER, spaCy's training loop.

"joint" (default) trains one two-label NER (SKILL, KNOWLEDGE; the ~3% of gold spans that overlap
are resolved longest-first for training). "separate" trains one NER per label (overlaps possible,
twice the compute) and stacks them. Either way the saved pipeline writes its spans into
doc.spans["model_candidates"], and the best-on-dev checkpoint is kept.

Example:
    train_spans("../shared/bench/skillspan/json/train.json",
                "../shared/bench/skillspan/json/dev.json", "models/skillspan_spans", seed=0)
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.training.initialize import init_nlp
from spacy.training.loop import train as train_loop
from spacy.util import fix_random_seed, load_config_from_str

from lmi.nlp.spans_data import KNOWLEDGE, SKILL, load_docs, with_entities, write_docbin

MODES: dict[str, tuple[tuple[str, ...], ...]] = {
    "separate": ((SKILL,), (KNOWLEDGE,)),
    "joint": ((SKILL, KNOWLEDGE),),
}

CONFIG = """
[paths]
train = null
dev = null

[system]
seed = 0
gpu_allocator = null

[nlp]
lang = "en"
pipeline = ["ner"]
batch_size = 1000

[components]

[components.ner]
factory = "ner"
moves = null
update_with_oracle_cut_size = 100

[components.ner.model]
@architectures = "spacy.TransitionBasedParser.v2"
state_type = "ner"
extra_state_tokens = false
hidden_width = {hidden_width}
maxout_pieces = 2
use_upper = true
nO = null

[components.ner.model.tok2vec]
@architectures = "spacy.Tok2Vec.v2"

[components.ner.model.tok2vec.embed]
@architectures = "spacy.MultiHashEmbed.v2"
width = {width}
attrs = ["NORM", "PREFIX", "SUFFIX", "SHAPE"]
rows = [{rows}, {rows_small}, {rows_small}, {rows_small}]
include_static_vectors = false

[components.ner.model.tok2vec.encode]
@architectures = "spacy.MaxoutWindowEncoder.v2"
width = {width}
depth = {depth}
window_size = 1
maxout_pieces = 3

[corpora]

[corpora.train]
@readers = "spacy.Corpus.v1"
path = ${{paths.train}}
max_length = 0

[corpora.dev]
@readers = "spacy.Corpus.v1"
path = ${{paths.dev}}
max_length = 0

[training]
dev_corpus = "corpora.dev"
train_corpus = "corpora.train"
seed = ${{system.seed}}
gpu_allocator = null
dropout = {dropout}
accumulate_gradient = 1
patience = {patience}
max_epochs = {max_epochs}
max_steps = {max_steps}
eval_frequency = {eval_frequency}
frozen_components = []
annotating_components = []
before_to_disk = null

[training.batcher]
@batchers = "spacy.batch_by_words.v1"
discard_oversize = false
tolerance = 0.2
get_length = null

[training.batcher.size]
@schedules = "compounding.v1"
start = {batch_start}
stop = {batch_stop}
compound = 1.001
t = 0.0

[training.logger]
@loggers = "spacy.ConsoleLogger.v1"
progress_bar = false

[training.optimizer]
@optimizers = "Adam.v1"
beta1 = 0.9
beta2 = 0.999
L2_is_weight_decay = true
L2 = 0.01
grad_clip = 1.0
use_averages = true
eps = 0.00000001
learn_rate = {learn_rate}

[training.score_weights]
ents_f = 1.0
ents_p = 0.0
ents_r = 0.0
ents_per_type = null

[pretraining]

[initialize]
vectors = null
init_tok2vec = null
vocab_data = null
lookups = null
before_init = null
after_init = null

[initialize.components]

[initialize.tokenizer]
"""

DEFAULTS: dict[str, float | int] = {
    "width": 96,
    "depth": 4,
    "rows": 5000,
    "rows_small": 2000,
    "hidden_width": 64,
    "dropout": 0.2,
    "learn_rate": 0.002,
    "max_epochs": 30,
    "max_steps": 4000,
    "patience": 1500,
    "eval_frequency": 250,
    "batch_start": 300,
    "batch_stop": 1000,
}



def build_config(train_file: str | Path, dev_file: str | Path, seed: int = 0,
                 **settings: Any):
    """The tagger's spaCy config: DEFAULTS updated by `settings` (unknown keys are an error)."""
    unknown = set(settings) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown training settings: {sorted(unknown)}")
    text = CONFIG.format(**{**DEFAULTS, **settings})
    return load_config_from_str(text, overrides={
        "paths.train": str(train_file), "paths.dev": str(dev_file), "system.seed": seed,
    })


def _group_name(labels: tuple[str, ...]) -> str:
    return "_".join(label.lower() for label in labels)


def train_tagger(labels: tuple[str, ...], train_path: str | Path, dev_path: str | Path,
                 work_dir: str | Path, seed: int = 0, **settings: Any) -> Path:
    """Train one NER for `labels`; return the folder of its best-on-dev pipeline."""
    work_dir = Path(work_dir) / _group_name(labels)
    work_dir.mkdir(parents=True, exist_ok=True)
    train_docs, dev_docs = (with_entities(load_docs(p), labels) for p in (train_path, dev_path))
    train_file = write_docbin(train_docs, work_dir / "train.spacy")
    dev_file = write_docbin(dev_docs, work_dir / "dev.spacy")
    fix_random_seed(seed)
    nlp = init_nlp(build_config(train_file, dev_file, seed, **settings))
    with (work_dir / "train.log").open("w", encoding="utf-8") as log:
        train_loop(nlp, work_dir, stdout=log, stderr=log)
    return work_dir / "model-best"


def assemble(tagger_dirs: dict[str, Path]) -> Language:
    """A blank-English pipeline stacking the taggers, each followed by an ents->spans collector."""
    import lmi.nlp.span_component  # noqa: F401  (registers the collector factory)

    nlp = spacy.blank("en")
    for name, path in tagger_dirs.items():
        nlp.add_pipe("ner", name=f"ner_{name}", source=spacy.load(path))
        nlp.add_pipe("lmi_ents_to_spans", name=f"collect_{name}")
    return nlp


def train_spans(train_path: str | Path, dev_path: str | Path, output_dir: str | Path, *,
                seed: int = 0, max_epochs: int = 30, mode: str = "joint", workers: int = 2,
                **settings: Any) -> dict:
    """Train, keep the best-on-dev taggers, save the stacked pipeline + scores + model card.

    Returns {"dev": evaluate_spans(...) figures, "seconds": wall time, "settings": ...}.
    """
    from lmi.nlp.span_eval import evaluate_spans

    if mode not in MODES:
        raise ValueError(f"mode must be one of {sorted(MODES)}")
    started = time.time()
    output_dir = Path(output_dir)
    settings = {**settings, "max_epochs": max_epochs}
    groups = MODES[mode]
    with tempfile.TemporaryDirectory(prefix="lmi-spans-") as tmp:
        args = [(g, str(train_path), str(dev_path), tmp, seed) for g in groups]
        if workers > 1 and len(groups) > 1:
            with ProcessPoolExecutor(min(workers, len(groups)), mp_context=get_context("fork"),
                                     initializer=_single_thread) as pool:
                futures = [pool.submit(train_tagger, *a, **settings) for a in args]
                best = [f.result() for f in futures]
        else:
            best = [train_tagger(*a, **settings) for a in args]
        nlp = assemble({_group_name(g): Path(p) for g, p in zip(groups, best, strict=True)})
        logs = {_group_name(g): (Path(tmp) / _group_name(g) / "train.log").read_text()
                for g in groups}
    if output_dir.exists():
        shutil.rmtree(output_dir)
    nlp.to_disk(output_dir)
    seconds = round(time.time() - started, 1)
    dev = evaluate_spans(dev_path, nlp)
    result = {"mode": mode, "seed": seed, "seconds": seconds, "settings": {**DEFAULTS, **settings},
              "train": str(train_path), "dev_path": str(dev_path), "dev": dev}
    (output_dir / "scores.json").write_text(json.dumps(result, indent=2) + "\n")
    write_model_card(output_dir, result, _command(result, workers))
    (output_dir / "train_logs.txt").write_text(
        "\n".join(f"== {name} ==\n{text}" for name, text in logs.items()))
    return result


def _command(result: dict, workers: int) -> str:
    """The CLI call reproducing a run (or the Python call when settings differ from the CLI's)."""
    extra = {k: v for k, v in result["settings"].items()
             if k not in ("max_epochs", "max_steps") and DEFAULTS.get(k) != v}
    if extra:
        args = ", ".join(f"{k}={v!r}" for k, v in sorted(extra.items()))
        return (f"python -c 'from lmi.nlp.spans_train import train_spans; train_spans("
                f"\"{result['train']}\", \"{result['dev_path']}\", \"<output>\", "
                f"seed={result['seed']}, max_epochs={result['settings']['max_epochs']}, "
                f"max_steps={result['settings']['max_steps']}, "
                f"mode=\"{result['mode']}\", {args})'")
    return (f"lmi train spans --train {result['train']} --dev {result['dev_path']} "
            f"--seed {result['seed']} --max-epochs {result['settings']['max_epochs']} "
            f"--max-steps {result['settings']['max_steps']} "
            f"--mode {result['mode']} --workers {workers}")


def _single_thread() -> None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"


CARD = """# skillspan_spans: skill and knowledge span tagger

Finds skill and knowledge spans in job-posting sentences; writes them to
`doc.spans["model_candidates"]` (labels `SKILL`, `KNOWLEDGE`) via the spaCy factory
`lmi_span_model` (`lmi.nlp.span_component`). Works on raw text tokenized by `spacy.blank("en")`.

## Data
SkillSpan (Zhang et al., NAACL 2022; MIT licence, (c) 2023 Mike Zhang): English job postings
with two independent BIO layers (skill, knowledge). Trained on `train.json`; `dev.json` used only to
pick the best checkpoint (and for the scores below). The test split was never read.

## Command
```
{command}
```
Seed {seed}; mode `{mode}`; wall time {seconds} s on a shared 2-core CPU.

## Architecture
spaCy {spacy_version}, no vectors, no transformer. {mode_text}
Each NER: `spacy.TransitionBasedParser.v2` (hidden {hidden_width}) over its own
`spacy.Tok2Vec.v2` = `MultiHashEmbed` (NORM, PREFIX, SUFFIX, SHAPE; width {width};
rows {rows}/{rows_small}) + `MaxoutWindowEncoder` (depth {depth}, window 1).
Adam lr {learn_rate}, dropout {dropout}, batch by words {batch_start}->{batch_stop},
max_steps {max_steps}, max_epochs {max_epochs}, patience {patience}, eval every {eval_frequency}.

## Dev scores (exact match: token start, end and label)
| | precision | recall | F1 | tp | fp | fn |
|---|---|---|---|---|---|---|
{rows_table}

"both" = typed spans of both labels together; "any" = boundaries only, label ignored.
Measured with `lmi eval spans --dataset {dev_path} --model <this folder>` (sentences read as
raw text, spans compared by character offsets = SkillSpan token boundaries).

## Limits
- A CNN trained from scratch on ~93k tokens: well below transformer results on SkillSpan
  (reported span F1 around 0.6). Long skill spans (often clauses of 5-15 tokens) are the hardest.
- spaCy's trainer re-tokenizes each sentence with the blank English tokenizer (as used at run time)
  and aligns the gold spans; SkillSpan splits on spaces, so every gold boundary stays reachable.
- Joint mode cannot predict a skill span overlapping a knowledge span (2.3% of dev gold spans).
- English tech and "house" (mixed-sector) postings only; no Canadian or French data.
"""


def write_model_card(output_dir: str | Path, result: dict, command: str) -> Path:
    """MODEL_CARD.md beside the model, filled from train_spans' result."""
    scores = result["dev"]["scores"]
    rows_table = "\n".join(
        f"| {name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} "
        f"| {s['tp']} | {s['fp']} | {s['fn']} |" for name, s in scores.items())
    mode_text = ("Two NER components, one per label (so overlapping skill/knowledge spans "
                 "are possible), each followed by a collector into doc.spans."
                 if result["mode"] == "separate" else
                 "One NER with both labels (overlapping gold spans resolved longest-first "
                 "for training), followed by a collector into doc.spans.")
    text = CARD.format(command=command, seed=result["seed"], mode=result["mode"],
                       seconds=result["seconds"], spacy_version=spacy.__version__,
                       mode_text=mode_text, rows_table=rows_table,
                       dev_path=result["dev_path"], **result["settings"])
    path = Path(output_dir) / "MODEL_CARD.md"
    path.write_text(text, encoding="utf-8")
    return path
