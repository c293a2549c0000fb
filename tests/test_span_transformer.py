"""MiniLM span tagger: segmentation, BIO decoding, the shipped artefact, training and the CLI."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import numpy as np
import pytest
import spacy
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from lmi.cli.main import app
from lmi.config import MODELS_DIR
from lmi.nlp.span_component import default_model_dir, model_kind, span_pipeline
from lmi.nlp.span_transformer import (
    FORBIDDEN,
    META_FILE,
    WEIGHTS_FILE,
    BioCrf,
    Segment,
    TailAverage,
    base_model,
    doc_segments,
    length_batches,
    load_transformer,
    tags_to_spans,
    viterbi_bio,
    word_tensors,
)
from lmi.nlp.spans_data import read_records

SHIPPED = MODELS_DIR / "skillspan_minilm"
RECORDS = [
    {"idx": 1, "source": "tech",
     "tokens": ["Strong", "knowledge", "of", "Python", "and", "team", "leadership", "skills"],
     "tags_skill": ["O", "O", "O", "O", "O", "B", "I", "O"],
     "tags_knowledge": ["O", "O", "O", "B", "O", "O", "O", "O"]},
    {"idx": 2, "source": "house", "tokens": ["Design", "SQL", "databases", "."],
     "tags_skill": ["B", "I", "I", "O"], "tags_knowledge": ["O", "B", "O", "O"]},
]
POSTING = ("Senior Data Engineer\n\nYou will design SQL databases and build ETL pipelines in "
           "Python. Experience with Kubernetes, Docker and AWS is required!\n"
           "- Strong communication skills\n- Knowledge of machine learning\n\nApply now.")


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


# --- segmentation and decoding -------------------------------------------------------------------

def test_segments_cover_each_word_once_within_max_length() -> None:
    _, tokenizer = base_model()
    nlp = spacy.blank("en")
    long_line = " ".join(f"word{i} extraordinarily" for i in range(120))  # one long sentence
    docs = [nlp(POSTING), nlp(long_line), nlp("\n\n")]
    segs = doc_segments(docs, tokenizer, max_length=32)
    for d, doc in enumerate(docs):
        covered = [t for s in segs if s.doc_index == d for t in s.tokens]
        assert covered == [t.i for t in doc if not t.is_space]  # in order, no gaps, no repeats
    assert all(len(s.input_ids) <= 32 for s in segs)
    assert all(s.input_ids[0] == tokenizer.cls_token_id and s.input_ids[-1] ==
               tokenizer.sep_token_id for s in segs)
    # first-subword positions point at the start of each word
    seg = next(s for s in segs if s.doc_index == 0)
    first_word = docs[0][seg.tokens[0]].text.lower()
    assert tokenizer.convert_ids_to_tokens(seg.input_ids[seg.first[0]]) == first_word
    # newlines and sentence ends split the posting: "Senior Data Engineer" is its own segment
    assert [docs[0][t].text for t in seg.tokens] == ["Senior", "Data", "Engineer"]


def test_viterbi_never_opens_with_inside_tag() -> None:
    # argmax would give O I I O B; the constrained path must start the span with B
    logp = np.log(np.array([[.9, .05, .05], [.2, .35, .45], [.1, .2, .7], [.8, .1, .1],
                            [.1, .8, .1]]))
    tags = viterbi_bio(logp)
    assert all(not (a == 0 and b == 2) for a, b in zip([0, *tags], tags, strict=False))
    assert tags == [0, 1, 2, 0, 1]
    assert tags_to_spans(tags) == [(1, 3), (4, 5)]
    assert tags_to_spans([0, 2, 2, 0, 1, 1]) == [(1, 3), (4, 5), (5, 6)]  # greedy repair


def test_viterbi_keeps_o_when_a_lone_inside_tag_is_weak() -> None:
    # argmax says O I O; a span would have to open with B (p .05), so O (p .40) wins
    logp = np.log(np.array([[.9, .05, .05], [.40, .05, .55], [.9, .05, .05]]))
    assert np.argmax(logp, axis=1).tolist() == [0, 2, 0]
    assert viterbi_bio(logp) == [0, 0, 0]
    # the same I preceded by a confident B continues that span instead
    logp[0] = np.log([.1, .8, .1])
    assert viterbi_bio(logp) == [1, 2, 0]


def valid(tags: tuple[int, ...]) -> bool:
    return all(not (b == 2 and a == 0) for a, b in zip((0, *tags), tags, strict=False))


def test_viterbi_matches_brute_force_best_valid_path() -> None:
    rng = np.random.default_rng(7)
    for _ in range(30):
        n = int(rng.integers(1, 7))
        logits = rng.normal(size=(n, 3)) * 2
        logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
        best = max((t for t in itertools.product(range(3), repeat=n) if valid(t)),
                   key=lambda t: sum(logp[i, k] for i, k in enumerate(t)))
        assert tuple(viterbi_bio(logp)) == best


def path_score(tags, emissions, start, trans) -> float:
    """Score of one O/B/I path under a CRF, O->I and start->I forbidden (as in the tagger)."""
    score = start[tags[0]] + emissions[0][tags[0]] + (FORBIDDEN if tags[0] == 2 else 0.0)
    for i in range(1, len(tags)):
        a, b = tags[i - 1], tags[i]
        score += trans[a][b] + emissions[i][b] + (FORBIDDEN if (a, b) == (0, 2) else 0.0)
    return score


def test_crf_viterbi_matches_brute_force_best_path() -> None:
    rng = np.random.default_rng(3)
    for _ in range(30):
        n = int(rng.integers(1, 6))
        emissions = rng.normal(size=(n, 3)).tolist()
        start, trans = rng.normal(size=3).tolist(), rng.normal(size=(3, 3)).tolist()
        best = max((t for t in itertools.product(range(3), repeat=n) if valid(t)),
                   key=lambda t: path_score(t, emissions, start, trans))
        assert tuple(viterbi_bio(emissions, (start, trans))) == best


def test_crf_with_zero_transitions_decodes_like_plain_viterbi() -> None:
    rng = np.random.default_rng(5)
    zero = ([0.0] * 3, [[0.0] * 3 for _ in range(3)])
    for _ in range(20):
        logp = rng.normal(size=(int(rng.integers(1, 8)), 3))
        assert viterbi_bio(logp.tolist(), zero) == viterbi_bio(logp)


def test_crf_nll_is_minus_log_probability_of_the_gold_path() -> None:
    import torch

    torch.manual_seed(0)
    crf = BioCrf(n_labels=2)
    with torch.no_grad():
        crf.start.normal_()
        crf.transitions.normal_()
    emissions = torch.randn(2, 3, 2, 3)                  # 2 sequences, 3 words, 2 labels
    tags = torch.tensor([[[1, 0], [2, 1], [0, 2]], [[0, 1], [1, 0], [0, 0]]])
    mask = torch.tensor([[True, True, True], [True, True, False]])   # second: 2 words
    expected = 0.0
    for b in range(2):
        n = int(mask[b].sum())
        for h in range(2):
            em = emissions[b, :n, h].tolist()
            start, trans = crf.start[h].tolist(), crf.transitions[h].tolist()
            log_z = np.logaddexp.reduce([path_score(t, em, start, trans)
                                         for t in itertools.product(range(3), repeat=n)])
            expected += log_z - path_score(tags[b, :n, h].tolist(), em, start, trans)
    assert crf.nll(emissions, tags, mask).item() == pytest.approx(expected, rel=1e-5)


def test_word_tensors_read_an_inside_tag_after_outside_as_begin() -> None:
    seg = Segment([101, 7, 8, 9, 102], [1, 2, 3], [0, 1, 2], tags=[(2, 0), (2, 0), (0, 2)])
    first, tags, mask = word_tensors([seg])
    assert first.tolist() == [[1, 2, 3]]
    assert tags[0, :, 0].tolist() == [1, 2, 0] and tags[0, :, 1].tolist() == [0, 0, 1]
    assert mask.tolist() == [[True, True, True]]


def test_length_batches_cover_all_and_group_similar_lengths() -> None:
    draw = random.Random(1)
    lengths = [draw.randint(3, 128) for _ in range(1000)]
    batches = length_batches(lengths, 16, random.Random(0), bucket=True, pool=10)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(1000)) and all(len(b) <= 16 for b in batches)
    def spread(bs: list[list[int]]) -> float:
        return float(np.mean([max(lengths[i] for i in b) - min(lengths[i] for i in b)
                              for b in bs]))

    plain = length_batches(lengths, 16, random.Random(0), bucket=False)
    assert sorted(i for b in plain for i in b) == list(range(1000))
    assert spread(batches) < spread(plain) / 4  # far less padding per batch
    assert batches != length_batches(lengths, 16, random.Random(1), bucket=True, pool=10)


# --- the shipped artefact ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped() -> spacy.language.Language:
    return span_pipeline(SHIPPED)


def test_shipped_artefact_is_small_and_loads_over_packaged_minilm() -> None:
    assert model_kind(SHIPPED) == "minilm"
    assert default_model_dir() == SHIPPED
    weights = SHIPPED / WEIGHTS_FILE
    assert weights.stat().st_size < 25_000_000
    keys = load_file(str(weights)).keys()
    assert not any("embeddings" in k for k in keys)  # frozen base is not shipped
    assert any(k.startswith("heads.") for k in keys)
    meta = json.loads((SHIPPED / META_FILE).read_text())
    assert meta["dev"]["scores"]["both"]["f1"] > 0.445  # beats the CNN and the 3-layer model
    assert load_transformer(str(SHIPPED.resolve())).model.heads.out_features == 6


def test_shipped_model_finds_spans_in_obvious_sentence(shipped) -> None:
    doc = shipped("Experience with Python, SQL and Java is required. "
                  "You have strong communication skills and work well in a team.")
    spans = [(s.text, s.label_) for s in doc.spans["model_candidates"]]
    assert {label for _, label in spans} <= {"SKILL", "KNOWLEDGE"}
    assert ("Python", "KNOWLEDGE") in spans and ("SQL", "KNOWLEDGE") in spans
    assert any(label == "SKILL" and "communication" in text for text, label in spans)


def test_pipe_equals_per_doc(shipped) -> None:
    texts = [POSTING, "Design SQL databases.", "", "Apply now!",
             POSTING.replace("\n", " ") * 3]
    def found(doc) -> list[tuple[int, int, str]]:
        return [(s.start_char, s.end_char, s.label_) for s in doc.spans["model_candidates"]]

    one_by_one = [found(shipped(t)) for t in texts]
    piped = [found(d) for d in shipped.pipe(texts, batch_size=2)]
    assert piped == one_by_one
    assert one_by_one[0] and one_by_one[4]
    for text, found in zip(texts, piped, strict=True):
        assert all(text[s:e] == text[s:e].strip() and e > s for s, e, _ in found)


def test_repeated_sentences_are_tagged_once_with_the_same_spans(monkeypatch) -> None:
    tagger = load_transformer(str(SHIPPED.resolve()))
    tagger._sentence_spans.clear()
    seen: list[int] = []
    real = tagger.segment_log_probs

    def counting(segs):
        seen.append(len(segs))
        return real(segs)

    monkeypatch.setattr(tagger, "segment_log_probs", counting)
    nlp = spacy.blank("en")
    sentence = "Experience with Python and SQL is required."
    docs = [nlp(sentence), nlp("Benefits: dental. " + sentence), nlp(sentence)]
    first, second, third = tagger.predict(docs)
    assert seen == [2]                       # three docs, two distinct sentences
    assert first and first == third
    offset = len(nlp("Benefits: dental."))  # the same spans, moved to the second doc's tokens
    assert [(s + offset, e + offset, lab) for s, e, lab in first] == [
        span for span in second if span[0] >= offset]
    assert tagger.predict(docs[:1]) == [first] and seen == [2]   # all cached now


def test_boilerplate_sentences_are_not_tagged(monkeypatch) -> None:
    """The span component skips sentences made only of boilerplate tokens; others unchanged."""
    from lmi.nlp import span_component

    component = span_component.TransformerSpanModel(SHIPPED)
    component.clear_caches()
    tagged: list[list[str]] = []
    real = component.tagger.segment_log_probs
    monkeypatch.setattr(component.tagger, "segment_log_probs",
                        lambda segs: tagged.append([len(s.tokens) for s in segs]) or real(segs))
    nlp = spacy.blank("en")
    nlp.add_pipe("lmi_boilerplate")
    text = ("Experience with Python and SQL is required.\n\nBenefits\n"
            "Dental insurance, a pension plan and project management training.")
    doc = nlp(text)
    assert doc.spans["boilerplate"]                       # the benefits section is marked
    blocked = {i for sp in doc.spans["boilerplate"] for i in range(sp.start, sp.end)}
    found = list(component.pipe([doc]))[0].spans[span_component.SPANS_KEY]
    assert found and all(not set(range(sp.start, sp.end)) & blocked for sp in found)
    assert len(tagged) == 1 and len(tagged[0]) == 1      # one sentence run, not three
    plain = spacy.blank("en")(text)                      # unmarked doc: every sentence tagged
    component.clear_caches()
    tagged.clear()
    list(component.pipe([plain]))
    assert len(tagged[0]) == 3


# --- training and CLI ----------------------------------------------------------------------------

def test_one_step_training_writes_a_loadable_artefact(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "tiny.json", RECORDS * 3)
    out = tmp_path / "minilm"
    result = CliRunner().invoke(app, [
        "train", "spans", "--arch", "minilm", "--train", str(data), "--dev", str(data),
        "--output", str(out), "--max-steps", "1", "--tuned-layers", "1", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {r["label"]: r for r in json.loads(result.stdout)["rows"]}
    assert rows["both"]["tp"] + rows["both"]["fn"] == 4 * 3
    keys = load_file(str(out / WEIGHTS_FILE)).keys()
    assert {k.split(".")[3] for k in keys if k.startswith("encoder.")} == {"5"}  # top layer only
    assert "--max-steps 1 --tuned-layers 1" in (out / "MODEL_CARD.md").read_text()
    assert model_kind(out) == "minilm"
    doc = span_pipeline(out)("Design SQL databases")
    assert "model_candidates" in doc.spans

    evaluated = CliRunner().invoke(app, ["eval", "spans", "--dataset", str(data), "--model",
                                         str(out), "--format", "json"])
    assert evaluated.exit_code == 0, evaluated.output
    payload = json.loads(evaluated.stdout)
    assert payload["meta"]["kind"] == "minilm"
    assert {r["label"]: r for r in payload["rows"]}["both"]["f1"] == pytest.approx(
        rows["both"]["f1"])


def test_crf_training_saves_transitions_that_decoding_uses(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "tiny.json", RECORDS * 3)
    out = tmp_path / "crf"
    result = CliRunner().invoke(app, [
        "train", "spans", "--arch", "minilm", "--train", str(data), "--dev", str(data),
        "--output", str(out), "--max-steps", "2", "--tuned-layers", "1", "--crf",
        "--format", "json"])
    assert result.exit_code == 0, result.output
    meta = json.loads((out / META_FILE).read_text())
    assert np.array(meta["crf"]["transitions"]).shape == (2, 3, 3)
    assert np.abs(np.array(meta["crf"]["transitions"])).sum() > 0     # they were trained
    assert "--crf" in (out / "MODEL_CARD.md").read_text()
    load_transformer.cache_clear()
    assert load_transformer(str(out)).crf is not None


def test_training_on_several_files_can_keep_the_last_epoch(tmp_path: Path) -> None:
    train = write_jsonl(tmp_path / "train.json", RECORDS * 3)
    dev = write_jsonl(tmp_path / "dev.json", RECORDS[:1] * 2)
    assert len(list(read_records([train, dev]))) == 8
    out = tmp_path / "last"
    result = CliRunner().invoke(app, [
        "train", "spans", "--arch", "minilm", "--train", str(train), "--train", str(dev),
        "--dev", str(dev), "--output", str(out), "--max-epochs", "3", "--max-steps", "0",
        "--tuned-layers", "1", "--keep", "last", "--format", "json"])
    assert result.exit_code == 0, result.output
    meta = json.loads((out / META_FILE).read_text())
    assert meta["train"] == [str(train), str(dev)]
    assert [h["epoch"] for h in meta["history"]] == [1, 2, 3]
    assert meta["best_epoch"] == 3                  # kept whatever its dev score
    card = (out / "MODEL_CARD.md").read_text()
    assert f"--train {train} --train {dev}" in card and "--keep last" in card
    assert "in-sample" in card and "last epoch 3 of 3" in card
    cnn = CliRunner().invoke(app, ["train", "spans", "--train", str(train), "--train", str(dev),
                                   "--dev", str(dev), "--output", str(tmp_path / "cnn")])
    assert cnn.exit_code != 0 and "--arch minilm" in cnn.output


def test_cli_eval_spans_detects_cnn_and_rejects_empty_folder(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "tiny.json", RECORDS)
    cnn = CliRunner().invoke(app, ["eval", "spans", "--dataset", str(data), "--model",
                                   str(MODELS_DIR / "skillspan_spans"), "--format", "json"])
    assert cnn.exit_code == 0, cnn.output
    assert json.loads(cnn.stdout)["meta"]["kind"] == "cnn"
    empty = CliRunner().invoke(app, ["eval", "spans", "--dataset", str(data), "--model",
                                     str(tmp_path)])
    assert empty.exit_code != 0


def _train_tiny(tmp_path: Path, name: str, seed: int) -> Path:
    data = write_jsonl(tmp_path / "tiny.json", RECORDS * 3)
    out = tmp_path / name
    result = CliRunner().invoke(app, [
        "train", "spans", "--arch", "minilm", "--train", str(data), "--dev", str(data),
        "--output", str(out), "--max-steps", "2", "--tuned-layers", "1", "--seed", str(seed),
        "--learn-rate", "0.01", "--format", "json"])
    assert result.exit_code == 0, result.output
    return out


def test_combined_taggers_average_their_log_probabilities(tmp_path: Path) -> None:
    a, b = _train_tiny(tmp_path, "a", 0), _train_tiny(tmp_path, "b", 1)
    out = tmp_path / "ensemble"
    result = CliRunner().invoke(app, ["train", "combine-spans", str(a), str(b), "--output",
                                      str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    meta = json.loads((out / META_FILE).read_text())
    assert [m["weights"] for m in meta["members"]] == [WEIGHTS_FILE, "tuned_layers.1.safetensors"]
    assert "## Ensemble" in (out / "MODEL_CARD.md").read_text()
    ensemble, one, two = (load_transformer(str(p)) for p in (out, a, b))
    assert len(ensemble.models) == 2 and len(one.models) == 1
    docs = [spacy.blank("en")(POSTING)]
    segs = doc_segments(docs, ensemble.tokenizer)
    mean = [(x + y) / 2 for x, y in zip(one.segment_log_probs(segs), two.segment_log_probs(segs),
                                         strict=True)]
    for got, want in zip(ensemble.segment_log_probs(segs), mean, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)
    assert not np.allclose(mean[0], one.segment_log_probs(segs)[0], atol=1e-3)  # members differ

    alone = CliRunner().invoke(app, ["train", "combine-spans", str(a), "--output",
                                     str(tmp_path / "x")])
    assert alone.exit_code != 0 and "at least two" in alone.output
    nested = CliRunner().invoke(app, ["train", "combine-spans", str(out), str(a), "--output",
                                      str(tmp_path / "y")])
    assert nested.exit_code != 0 and "not ensembles" in nested.output


def test_tail_average_is_the_mean_of_the_sampled_values() -> None:
    weight = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    average = TailAverage([weight])
    average.apply()                                 # no sample yet: unchanged
    assert weight.tolist() == [1.0, 2.0]
    for values in ([1.0, 2.0], [3.0, 6.0], [5.0, 1.0]):
        with torch.no_grad():
            weight.copy_(torch.tensor(values))
        average.add()
    average.apply()
    assert weight.tolist() == pytest.approx([3.0, 3.0])
    assert average.samples == 3


def test_average_from_saves_the_mean_of_the_tail_weights(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "tiny.json", RECORDS * 3)
    runs = {}
    for name, extra in (("last", []), ("mean", ["--average-from", "0.5"])):
        out = tmp_path / name
        result = CliRunner().invoke(app, [
            "train", "spans", "--arch", "minilm", "--train", str(data), "--dev", str(data),
            "--output", str(out), "--max-epochs", "2", "--tuned-layers", "1", "--crf",
            "--keep", "last", "--format", "json", *extra])
        assert result.exit_code == 0, result.output
        runs[name] = (json.loads((out / META_FILE).read_text()),
                      load_file(str(out / WEIGHTS_FILE)))
    meta, weights = runs["mean"]
    # 12 records, batch 16: one step per epoch, so the tail from step 1 holds both steps
    assert meta["averaged"]["from_step"] == 1 and meta["averaged"]["samples"] == 2
    card = (tmp_path / "mean" / "MODEL_CARD.md").read_text()
    assert "--average-from 0.5" in card and "mean of 2 weight samples from step 1" in card
    assert "the last epoch is kept" not in card and "mean of the weights" in card
    assert meta["history"] == runs["last"][0]["history"]    # same seed, same run until the end
    changed = [k for k in weights if not torch.equal(weights[k], runs["last"][1][k])]
    assert changed                                          # the saved weights are the mean
    bad = CliRunner().invoke(app, [
        "train", "spans", "--arch", "minilm", "--train", str(data), "--dev", str(data),
        "--output", str(tmp_path / "bad"), "--average-from", "0.5"])
    assert bad.exit_code != 0 and "--keep last" in bad.output
