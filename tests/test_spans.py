"""Span tagger: metric arithmetic, SkillSpan reading, the shipped model, `lmi eval/train spans`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy
from typer.testing import CliRunner

from lmi.cli.main import app
from lmi.config import MODELS_DIR
from lmi.nlp.span_component import span_pipeline
from lmi.nlp.span_eval import evaluate_spans, prf, span_scores
from lmi.nlp.spans_data import bio_to_spans, doc_gold, load_docs, record_spans

RECORDS = [
    {"idx": 1, "source": "tech",
     "tokens": ["Strong", "knowledge", "of", "Python", "and", "team", "leadership", "skills"],
     "tags_skill": ["O", "O", "O", "O", "O", "B", "I", "O"],
     "tags_knowledge": ["O", "O", "O", "B", "O", "O", "O", "O"]},
    {"idx": 2, "source": "house",
     "tokens": ["Design", "SQL", "databases", "."],
     "tags_skill": ["B", "I", "I", "O"],
     "tags_knowledge": ["O", "B", "O", "O"]},
    {"idx": 3, "source": "house", "tokens": ["Apply", "now", "!"],
     "tags_skill": ["O", "O", "O"], "tags_knowledge": ["O", "O", "O"]},
]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


# --- metric arithmetic on hand-made cases -------------------------------------------------------

def test_prf_counts_by_hand() -> None:
    # pred {a,b,c}, gold {b,c,d,e}: tp=2, fp=1, fn=2 -> P=2/3, R=1/2, F1=2*(1/3)/(7/6)=4/7
    result = prf({"a", "b", "c"}, {"b", "c", "d", "e"})
    assert (result["tp"], result["fp"], result["fn"]) == (2, 1, 2)
    assert result["precision"] == pytest.approx(2 / 3)
    assert result["recall"] == pytest.approx(0.5)
    assert result["f1"] == pytest.approx(4 / 7)


def test_prf_empty_is_zero_not_error() -> None:
    assert prf([], [])["f1"] == 0.0
    assert prf([], [("x",)])["recall"] == 0.0
    assert prf([("x",)], [])["precision"] == 0.0


def test_span_scores_typed_untyped_and_boundaries() -> None:
    gold = [(0, 5, 7, "SKILL"), (0, 3, 4, "KNOWLEDGE"), (1, 0, 3, "SKILL"), (1, 1, 2, "KNOWLEDGE")]
    pred = [
        (0, 5, 7, "SKILL"),        # exact: TP
        (0, 3, 4, "SKILL"),        # right boundaries, wrong type: FP skill, gold knowledge FN
        (1, 0, 2, "SKILL"),        # boundary off by one: FP (no partial credit)
        (1, 1, 2, "KNOWLEDGE"),    # exact: TP
    ]
    scores = span_scores(pred, gold)
    # skill: pred 3, gold 2, tp 1 -> P 1/3, R 1/2, F1 0.4
    assert (scores["skill"]["tp"], scores["skill"]["fp"], scores["skill"]["fn"]) == (1, 2, 1)
    assert scores["skill"]["f1"] == pytest.approx(0.4)
    # knowledge: pred 1, gold 2, tp 1 -> P 1, R 1/2, F1 2/3
    assert scores["knowledge"]["precision"] == pytest.approx(1.0)
    assert scores["knowledge"]["f1"] == pytest.approx(2 / 3)
    # both (typed): tp 2 of 4 pred, 4 gold -> 0.5 everywhere
    assert scores["both"]["f1"] == pytest.approx(0.5)
    # any (untyped): (0,3,4) now matches -> tp 3 of 4 / 4 -> 0.75
    assert scores["any"]["tp"] == 3
    assert scores["any"]["f1"] == pytest.approx(0.75)


# --- reading SkillSpan files --------------------------------------------------------------------

def test_bio_to_spans_by_hand() -> None:
    assert bio_to_spans(["B", "I", "O", "B", "B", "I", "I"]) == [(0, 2), (3, 4), (4, 7)]
    assert bio_to_spans(["O", "I", "I", "O"]) == [(1, 3)]  # stray I opens a span
    assert bio_to_spans(["O", "O"]) == []


def test_load_docs_keeps_overlapping_layers(tmp_path: Path) -> None:
    docs = load_docs(write_jsonl(tmp_path / "tiny.json", RECORDS))
    assert len(docs) == 3
    assert [t.text for t in docs[0]] == RECORDS[0]["tokens"]
    assert docs[0].text == " ".join(RECORDS[0]["tokens"])
    assert sorted(doc_gold(docs[0])) == [(3, 4, "KNOWLEDGE"), (5, 7, "SKILL")]
    # overlap: skill "Design SQL databases" contains knowledge "SQL"
    assert sorted(doc_gold(docs[1])) == [(0, 3, "SKILL"), (1, 2, "KNOWLEDGE")]
    assert record_spans(RECORDS[2]) == []
    assert docs[0].spans["gold"][1].text == "team leadership"


# --- the shipped CNN model (the MiniLM one: tests/test_span_transformer.py) ----------------------

CNN_DIR = MODELS_DIR / "skillspan_spans"


@pytest.fixture(scope="module")
def shipped() -> spacy.language.Language:
    return span_pipeline(CNN_DIR)


def test_shipped_model_finds_spans_in_raw_text(shipped) -> None:
    assert (CNN_DIR / "config.cfg").is_file()
    doc = shipped("Experience with Python, SQL and Java is required. "
                  "You have strong communication skills and work well in a team.")
    spans = list(doc.spans["model_candidates"])
    assert spans, "expected at least one predicted span"
    assert {s.label_ for s in spans} <= {"SKILL", "KNOWLEDGE"}
    assert any(s.text in {"Python", "SQL", "Java"} and s.label_ == "KNOWLEDGE" for s in spans)


def test_evaluate_spans_on_tiny_file(tmp_path: Path, shipped) -> None:
    result = evaluate_spans(write_jsonl(tmp_path / "tiny.json", RECORDS), shipped)
    assert result["docs"] == 3 and result["gold_spans"] == 4
    both = result["scores"]["both"]
    assert both["tp"] + both["fn"] == 4
    assert both["tp"] + both["fp"] == result["predicted_spans"]


# --- CLI -----------------------------------------------------------------------------------------

def test_cli_eval_spans_json(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "tiny.json", RECORDS)
    result = CliRunner().invoke(app, ["eval", "spans", "--dataset", str(data), "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    rows = {r["label"]: r for r in payload["rows"]}
    assert set(rows) == {"skill", "knowledge", "both", "any"}
    for row in rows.values():
        assert {"tp", "fp", "fn", "precision", "recall", "f1"} <= set(row)
        assert 0.0 <= row["f1"] <= 1.0
    assert rows["skill"]["tp"] + rows["skill"]["fn"] == 2
    assert rows["knowledge"]["tp"] + rows["knowledge"]["fn"] == 2
    assert payload["meta"]["gold_spans"] == 4


def test_cli_eval_spans_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "spans", "--dataset", str(tmp_path / "nope.json")])
    assert result.exit_code != 0


def test_cli_train_spans_one_epoch(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "train.json", RECORDS * 4)
    out = tmp_path / "model"
    result = CliRunner().invoke(app, [
        "train", "spans", "--train", str(data), "--dev", str(data), "--output", str(out),
        "--max-epochs", "1", "--workers", "1", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert (out / "config.cfg").is_file() and (out / "scores.json").is_file()
    rows = {r["label"]: r for r in json.loads(result.stdout)["rows"]}
    assert rows["both"]["tp"] + rows["both"]["fn"] == 4 * 4
    nlp = span_pipeline(out)
    doc = nlp("Design SQL databases")
    assert "model_candidates" in doc.spans
    assert set(nlp.pipe_names) == {"lmi_span_model"}


def test_train_spans_separate_mode_stacks_one_ner_per_label(tmp_path: Path) -> None:
    from lmi.nlp.spans_train import train_spans

    data = write_jsonl(tmp_path / "train.json", RECORDS * 2)
    result = train_spans(data, data, tmp_path / "sep", seed=0, max_epochs=1, mode="separate",
                         workers=1)
    nlp = spacy.load(tmp_path / "sep")
    assert [n for n in nlp.pipe_names if n.startswith("ner_")] == ["ner_skill", "ner_knowledge"]
    assert nlp.get_pipe("ner_skill").labels == ("SKILL",)
    assert result["dev"]["gold_spans"] == 8
    assert "Seed 0; mode `separate`" in (tmp_path / "sep" / "MODEL_CARD.md").read_text()
