"""Linking/extraction metrics, the ESCO-linking reader, and `lmi eval linking|extraction`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lmi.cli.main import app
from lmi.nlp.evaluation import (
    EvaluationError,
    evaluate_extraction,
    evaluate_linking,
    read_linking_csv,
)
from lmi.nlp.metrics import SetCounts, micro_prf, reciprocal_rank, rp_at_k
from lmi.nlp.types import Extraction, SkillMention
from lmi.warehouse.db import connect

CSV_HEADER = "sentence,span,sub_span,label\n"


def test_rp_at_k_hand_cases() -> None:
    gold = {"a", "b", "c"}
    ranked = ["a", "x", "b", "y", "z", "c"]
    assert rp_at_k(gold, ranked, 1) == 1.0          # a at rank 1; min(1, 3) = 1
    assert rp_at_k(gold, ranked, 2) == 0.5          # {a} / min(2, 3)
    assert rp_at_k(gold, ranked, 5) == pytest.approx(2 / 3)   # {a, b} / 3
    assert rp_at_k(gold, ranked, 10) == 1.0         # all three / 3
    assert rp_at_k({"q"}, ["x", "q"], 1) == 0.0
    assert rp_at_k({"q"}, ["x", "q"], 5) == 1.0     # denominator min(5, 1) = 1
    assert rp_at_k(set(), ranked, 5) == 0.0
    with pytest.raises(ValueError):
        rp_at_k(gold, ranked, 0)


def test_reciprocal_rank_hand_cases() -> None:
    assert reciprocal_rank({"c"}, ["a", "b", "c"]) == pytest.approx(1 / 3)
    assert reciprocal_rank({"b", "c"}, ["a", "b", "c"]) == 0.5   # first gold hit counts
    assert reciprocal_rank({"z"}, ["a", "b"]) == 0.0


def test_micro_prf_hand_case() -> None:
    # sentence 1: tp=a, fp=c, fn=b; sentence 2: fn=d  => tp 1, fp 1, fn 2
    counts = micro_prf([({"a", "b"}, {"a", "c"}), ({"d"}, set())])
    assert counts == SetCounts(tp=1, fp=1, fn=2)
    assert counts.precision == 0.5
    assert counts.recall == pytest.approx(1 / 3)
    assert counts.f1 == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))
    assert SetCounts().f1 == 0.0


def test_read_linking_csv_groups_and_skips(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(CSV_HEADER
                    + "Know Python and SQL,Python,,Python (computer programming)\n"
                    + "Know Python and SQL,SQL,,SQL\n"
                    + "Know Python and SQL,Python,,Python (computer programming)\n"
                    + '"Smart, driven",smart,,LABEL NOT PRESENT\n'
                    + '"Smart, driven",driven,,UNDERSPECIFIED\n', encoding="utf-8")
    items = read_linking_csv(path)
    assert [i.sentence for i in items] == ["Know Python and SQL", "Smart, driven"]
    assert items[0].labels == ["Python (computer programming)", "SQL"]
    assert len(items[0].spans) == 3
    assert items[1].labels == []


def test_read_linking_csv_rejects_other_columns(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("text,skill\nx,y\n", encoding="utf-8")
    with pytest.raises(EvaluationError, match="sentence"):
        read_linking_csv(path)


SKILLS = [
    ("s:py", "Python (computer programming)", ["Python"]),
    ("s:sql", "SQL", ["structured query language"]),
    ("s:bread", "bake bread", ["make bread"]),
    ("s:truck", "drive trucks", ["operate lorries"]),
    ("s:care", "provide first aid", ["give first aid"]),
]


@pytest.fixture()
def tiny_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LMI_CACHE", str(tmp_path / "cache"))
    db = tmp_path / "w.duckdb"
    con = connect(db)
    con.execute("INSERT INTO frameworks (framework_id, name, version, skill_count) "
                "VALUES ('esco', 'ESCO', 'tiny', ?)", [len(SKILLS)])
    for skill_id, pref, alts in SKILLS:
        con.execute("INSERT INTO skills (framework_id, skill_id, preferred_label, alt_labels) "
                    "VALUES ('esco', ?, ?, ?)", [skill_id, pref, alts])
    con.close()
    return db


@pytest.fixture()
def tiny_csv(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.csv"
    path.write_text(CSV_HEADER
                    + "You will write Python code every day,Python code,,"
                      "Python (computer programming)\n"
                    + "Our bakers bake fresh bread each morning,bake fresh bread,,bake bread\n"
                    + "Our bakers bake fresh bread each morning,morning,,LABEL NOT PRESENT\n"
                    + "Smart and driven,smart,,LABEL NOT PRESENT\n"
                    + "Juggle flaming swords,juggle,,juggle flaming swords\n", encoding="utf-8")
    return path


class FakeExtractor:
    """Asserts fixed skills per sentence, so P/R/F1 can be computed by hand."""

    def __init__(self, by_sentence: dict[str, list[str]]) -> None:
        self.by_sentence = by_sentence

    def extract(self, text: str) -> Extraction:
        return Extraction(skills=[SkillMention("esco", s, s, text, 0, len(text), 0.9, "semantic")
                                  for s in self.by_sentence.get(text, [])])


def test_evaluate_extraction_with_fake_extractor(tiny_db: Path, tiny_csv: Path) -> None:
    fake = FakeExtractor({
        "You will write Python code every day": ["s:py", "s:sql"],          # tp 1, fp 1
        "Our bakers bake fresh bread each morning": [],                    # fn 1
        "Smart and driven": ["s:care"],                                     # fp 1 (gold empty)
    })
    con = connect(tiny_db, read_only=True)
    try:
        result = evaluate_extraction(con, tiny_csv, fake)
    finally:
        con.close()
    # "juggle flaming swords" is not in the framework, so it is not gold.
    assert (result["tp"], result["fp"], result["fn"]) == (1, 2, 1)
    assert result["precision"] == pytest.approx(1 / 3)
    assert result["recall"] == 0.5
    assert result["n_sentences"] == 4


def test_evaluate_linking_with_fixed_ranker(tiny_db: Path, tiny_csv: Path) -> None:
    class FixedRanker:
        def rank(self, texts, k=10, contexts=None):
            return [[("s:sql", 0.9), ("s:py", 0.8), ("s:bread", 0.1)][:k] for _ in texts]

    con = connect(tiny_db, read_only=True)
    try:
        result = evaluate_linking(con, tiny_csv, ranker=FixedRanker())
    finally:
        con.close()
    # two gold sentences: python (rank 2) and bread (rank 3)
    assert result["n_sentences"] == 2
    assert result["rp@1"] == 0.0
    assert result["rp@5"] == 100.0
    assert result["mrr"] == pytest.approx((1 / 2 + 1 / 3) / 2)
    assert result["n_labels_not_in_framework"] == 1


def test_cli_eval_linking_on_tiny_framework(tiny_db: Path, tiny_csv: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "linking", "--dataset", str(tiny_csv),
                                      "--db", str(tiny_db), "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    values = {r["metric"]: r["value"] for r in payload["rows"]}
    assert values["n_sentences"] == 2
    assert values["rp@1"] == 100.0      # both sentences are unambiguous among 5 skills
    assert values["mrr"] == 1.0
    assert payload["meta"]["labels_not_in_framework"] == 1


def test_cli_eval_linking_spans_mode_table(tiny_db: Path, tiny_csv: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "linking", "--dataset", str(tiny_csv),
                                      "--db", str(tiny_db), "--mode", "spans"])
    assert result.exit_code == 0, result.output
    assert "rp@5" in result.stdout


def test_cli_eval_linking_without_framework(tmp_path: Path, tiny_csv: Path) -> None:
    db = tmp_path / "empty.duckdb"
    connect(db).close()
    result = CliRunner().invoke(app, ["eval", "linking", "--dataset", str(tiny_csv),
                                      "--db", str(db)])
    assert result.exit_code == 2
    assert "lmi frameworks import esco" in result.output


def test_cli_eval_linking_missing_dataset(tiny_db: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "linking", "--dataset",
                                      str(tmp_path / "nope.csv"), "--db", str(tiny_db)])
    assert result.exit_code == 2
    assert "no such dataset" in result.output


def test_ranker_helpers() -> None:
    import numpy as np

    from lmi.nlp.ranker import Calibrator, apply_adapter, load_adapter, subphrases

    # windows may not start or end with a function word ("and") or a token without a letter
    assert subphrases("know C# and node.js", max_n=2) == sorted(
        {"know", "C#", "node.js", "know C#"})
    assert subphrases("know C# and node.js", max_n=3) == sorted(
        {"know", "C#", "node.js", "know C#", "C# and node.js"})
    assert subphrases("manage the team - 2021", max_n=4) == sorted(
        {"manage", "team", "manage the team"})
    assert subphrases("of the", max_n=2) == ["of", "of the", "the"]   # nothing left: keep all
    v = np.array([[0.6, 0.8]], dtype=np.float32)
    same = apply_adapter(v, (np.zeros((2, 2), np.float32), np.zeros(2, np.float32)))
    assert np.allclose(same, v)
    swapped = apply_adapter(v, (np.array([[-1, 1], [1, -1]], np.float32), np.zeros(2, np.float32)))
    assert np.allclose(swapped, [[0.8, 0.6]])        # v + vW = (0.8, 0.6), already unit length
    cal = Calibrator([0.0, 0.5, 1.0], [0.0, 0.2, 0.9])
    assert cal(0.75) == pytest.approx(0.55)
    W, b = load_adapter()                              # the packaged artefact
    assert W.shape == (384, 384) and b.shape == (384,)


def test_boilerplate_skillspan_counts(tmp_path: Path) -> None:
    from lmi.nlp.evaluation import evaluate_boilerplate_skillspan

    rec = [
        {"idx": 1, "tokens": ["Requirements:"], "tags_skill": ["O"], "tags_knowledge": ["O"]},
        {"idx": 1, "tokens": ["Strong", "Python", "skills"], "tags_skill": ["O", "O", "O"],
         "tags_knowledge": ["O", "B", "O"]},
        {"idx": 1, "tokens": ["Benefits:"], "tags_skill": ["O"], "tags_knowledge": ["O"]},
        {"idx": 1, "tokens": ["Free", "yoga", "classes"], "tags_skill": ["O", "B", "O"],
         "tags_knowledge": ["O", "O", "O"]},
    ]
    path = tmp_path / "s.json"
    path.write_text("\n".join(json.dumps(r) for r in rec), encoding="utf-8")
    result = evaluate_boilerplate_skillspan(path)
    assert result["gold_spans"] == 2
    assert result["gold_spans_in_boilerplate"] == 1      # "yoga" under Benefits
    assert result["sentences_flagged"] == 2               # the heading and the perk line
