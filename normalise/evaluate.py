"""Scores for the labelled occupation and location files used by `lmi eval`."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from lmi.normalise.location import geo_index, parse_location
from lmi.normalise.occupation import get_coder


class DatasetError(Exception):
    """The labelled file is missing or lacks a required column."""


def read_dataset(path: str | Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a labelled CSV; extra columns are ignored, missing required ones are an error."""
    p = Path(path)
    if not p.exists():
        raise DatasetError(f"no such file: {p}")
    with p.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in required if c not in header]
        if missing:
            raise DatasetError(
                f"{p} lacks required column(s): {', '.join(missing)} "
                f"(has: {', '.join(header) or 'nothing'})"
            )
        return [{(k or "").strip(): (v or "").strip() for k, v in r.items()} for r in reader]


def eval_occupations(
    rows: list[dict[str, str]],
    con: duckdb.DuckDBPyConnection | None = None,
    *,
    use_embeddings: bool | None = None,
) -> list[dict]:
    """Top-1 and top-5 accuracy at NOC levels 1..5 (code prefixes of 1, 2, 3, 4, 5 digits)."""
    rows = [r for r in rows if r.get("title") and r.get("noc_code")]
    return _level_scores(rows, get_coder(con, use_embeddings=use_embeddings))


def eval_locations(
    rows: list[dict[str, str]], con: duckdb.DuckDBPyConnection | None = None
) -> tuple[dict, list[dict]]:
    """Province/ER accuracy, unknown share and definite-but-wrong share; plus the error rows."""
    prov_ok = er_ok = er_n = unknown = wrong = 0
    errors = []
    index = geo_index(con)
    for r in rows:
        loc = parse_location(r["raw"], index=index)
        gold = r["province"].upper()
        answer = loc.province or ""
        ok = answer == gold
        prov_ok += ok
        unknown += not answer
        wrong += bool(answer) and not ok
        er_gold = r.get("economic_region_code", "")
        if er_gold:
            er_n += 1
            er_ok += loc.economic_region == er_gold
        if not ok or (er_gold and loc.economic_region != er_gold):
            errors.append(
                {
                    "raw": r["raw"],
                    "gold": gold or "?",
                    "answer": answer or "?",
                    "er_gold": er_gold,
                    "er_answer": loc.economic_region or "",
                }
            )
    n = len(rows) or 1
    summary = {
        "rows": len(rows),
        "province_accuracy": round(prov_ok / n, 4),
        "er_rows": er_n,
        "er_accuracy": round(er_ok / (er_n or 1), 4),
        "unknown_share": round(unknown / n, 4),
        "wrong_share": round(wrong / n, 4),
    }
    return summary, errors


def eval_oasis_holdout(
    con: duckdb.DuckDBPyConnection,
    *,
    test_fraction: float = 0.2,
    seed: int = 13,
    use_embeddings: bool | None = None,
    limit: int | None = 2000,
) -> list[dict]:
    """Top-1/top-5 by NOC level on held-out OaSIS example/index titles (imported ref_noc_titles).

    The coder is rebuilt from the remaining titles (plus unit-group and profile titles); held-out
    titles whose text also occurs in the training part are dropped, so no answer is a lookup.
    """
    import random

    from lmi.normalise.occupation import OccupationCoder, embeddings_enabled, load_unit_titles
    from lmi.normalise.refstamp import reference_stamp
    from lmi.normalise.text import fold

    rows = con.execute("SELECT title, code, kind FROM ref_noc_titles").fetchall()
    if not any(kind in ("Example", "Index") for _, _, kind in rows):
        raise DatasetError("import OaSIS titles first: lmi reference import oasis PATH")
    rnd = random.Random(seed)
    train, test = [], []
    for title, code, kind in rows:
        held = kind in ("Example", "Index", "Inclusion") and rnd.random() < test_fraction
        (test if held else train).append((title, code))
    seen = {fold(t).strip() for t, _ in train}
    test = [(t, c) for t, c in test if fold(t).strip() not in seen]
    if limit and len(test) > limit:
        test = rnd.sample(test, limit)
    coder = OccupationCoder(
        train,
        unit_titles=load_unit_titles(con),
        use_embeddings=(
            embeddings_enabled(reference_stamp(con).noc)
            if use_embeddings is None
            else use_embeddings
        ),
    )
    return _level_scores([{"title": t, "noc_code": c} for t, c in test], coder)


def _level_scores(rows: list[dict[str, str]], coder) -> list[dict]:
    results = coder.code_many([r["title"] for r in rows])
    out = []
    for level in range(1, 6):
        top1 = top5 = 0
        for r, res in zip(rows, results, strict=True):
            gold = r["noc_code"].zfill(5)[:level]
            alts = [c[:level] for c, _ in res.alternatives]
            top1 += bool(alts) and alts[0] == gold
            top5 += gold in alts
        n = len(rows) or 1
        out.append(
            {"level": level, "n": len(rows), "top1": round(top1 / n, 4), "top5": round(top5 / n, 4)}
        )
    return out
