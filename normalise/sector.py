"""NAICS sector of a posting: industry field, then employer table, then a text classifier."""

from __future__ import annotations

import csv
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from types import EllipsisType

import duckdb
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from lmi.normalise.blas import single_threaded_blas
from lmi.normalise.refstamp import Stamp, reference_stamp
from lmi.normalise.sector_hints import SECTOR_HINTS, sector_of
from lmi.normalise.text import fold, place_key

DATA_DIR = Path(__file__).resolve().parent / "data"
LEGAL_SUFFIX = re.compile(
    r"\b(incorporated|inc|ltd|ltee|limited|limitee|corp|corporation|co|company|llc|llp|lp|plc|"
    r"ulc|sa|s a|senc|s e n c|gmbh|group|groupe|canada|of canada|du canada|holdings)\b\.?",
    re.I,
)
INDUSTRY_MIN = 0.30
TEXT_MIN = 0.30


@dataclass(frozen=True)
class SectorResult:
    code: str | None  # 2-digit sector ('54', '31-33') or None when unknown
    subsector: str | None  # 3-digit subsector when the evidence names one
    source: str | None  # industry | employer | classifier
    confidence: float
    employer: str | None = None  # normalised parent employer when the table knows it


@dataclass(frozen=True)
class SectorEvidence:
    """What a posting says that can place it in a sector."""

    industry: str | None = None
    employer: str | None = None
    title: str | None = None
    description: str | None = None


def normalise_employer(name: str | None) -> str | None:
    """'Saputo Inc.' -> 'saputo': legal suffixes and punctuation dropped, accents folded."""
    if not name:
        return None
    key = place_key(LEGAL_SUFFIX.sub(" ", fold(name).replace("&", " and ")))
    return key or None


def _load_employers() -> dict[str, tuple[str, str]]:
    with (DATA_DIR / "employers.csv").open(encoding="utf-8", newline="") as fh:
        return {
            normalise_employer(r["name"]) or "": (r["parent"], r["naics"])
            for r in csv.DictReader(fh)
        }


class SectorClassifier:
    """TF-IDF + logistic regression over sector hints, NAICS titles and (if imported) elements."""

    def __init__(self, con: duckdb.DuckDBPyConnection | None = None):
        texts, labels = self._training(con)
        self.model: Pipeline = make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, preprocessor=fold),
            LogisticRegression(max_iter=2000, C=8.0),
        )
        with single_threaded_blas():
            self.model.fit(texts, labels)
        self.titles = self._subsector_titles(con)

    @staticmethod
    def _naics_rows(con: duckdb.DuckDBPyConnection | None) -> list[tuple[str, str]]:
        rows: list[tuple[str, str]] = []
        if con is not None:
            try:
                rows = con.execute("SELECT code, title FROM ref_naics").fetchall()
                rows += con.execute(
                    "SELECT code, text FROM (SELECT code, text, row_number() OVER "
                    "(PARTITION BY substr(code, 1, 3) ORDER BY code) AS n FROM ref_naics_elements "
                    "WHERE kind ILIKE '%example%') WHERE n <= 60"
                ).fetchall()
            except duckdb.Error:
                rows = []
        if not rows:
            with (DATA_DIR / "naics_sectors.csv").open(encoding="utf-8", newline="") as fh:
                rows = [(r["code"], r["title"]) for r in csv.DictReader(fh)]
        return rows

    def _training(self, con: duckdb.DuckDBPyConnection | None) -> tuple[list[str], list[str]]:
        texts, labels = [], []
        for sector, hints in SECTOR_HINTS.items():
            for hint in hints:
                texts.append(hint)
                labels.append(sector)
        for code, title in self._naics_rows(con):
            texts.append(title)
            labels.append(sector_of(code))
        return texts, labels

    def _subsector_titles(self, con: duckdb.DuckDBPyConnection | None) -> dict[str, str]:
        return {place_key(t): c for c, t in self._naics_rows(con) if len(c) == 3 and c.isdigit()}

    def predict(self, text: str) -> tuple[str, float]:
        """Most likely sector and its probability."""
        return self.predict_many([text])[0]

    def predict_many(self, texts: list[str]) -> list[tuple[str, float]]:
        """(sector, probability) per text with one predict_proba call over the distinct texts."""
        distinct = list(dict.fromkeys(texts))
        if not distinct:
            return []
        probs = self.model.predict_proba(distinct)
        best = probs.argmax(axis=1)
        got = {
            t: (str(self.model.classes_[b]), float(p[b]))
            for t, b, p in zip(distinct, best, probs, strict=True)
        }
        return [got[t] for t in texts]


_lock = threading.Lock()
_classifiers: dict[object, SectorClassifier] = {}
_employers: dict[str, tuple[str, str]] = {}


def sector_classifier(
    con: duckdb.DuckDBPyConnection | None = None, *, stamp: Stamp | EllipsisType = ...
) -> SectorClassifier:
    """The classifier for these NAICS tables, cached per stamp (see lmi.normalise.refstamp)."""
    if stamp is ...:
        stamp = reference_stamp(con).naics
    with _lock:
        if stamp not in _classifiers:
            _classifiers[stamp] = SectorClassifier(con if stamp is not None else None)
        return _classifiers[stamp]


def employer_parent(name: str | None) -> tuple[str, str] | None:
    """(parent name, NAICS code) for an employer the table knows, else None."""
    if not _employers:
        _employers.update(_load_employers())
    key = normalise_employer(name)
    return _employers.get(key) if key else None


def classify_sector(
    *,
    industry: str | None = None,
    employer: str | None = None,
    title: str | None = None,
    description: str | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> SectorResult:
    """Sector from the strongest available evidence, or code None below the thresholds."""
    evidence = SectorEvidence(industry, employer, title, description)
    return classify_sectors([evidence], sector_classifier(con))[0]


def classify_sectors(items: list[SectorEvidence], clf: SectorClassifier) -> list[SectorResult]:
    """Batch `classify_sector`: industry field, then employer table, then the text classifier.

    Each evidence kind is scored with one vectorised predict over the distinct texts.
    """
    out: list[SectorResult | None] = [None] * len(items)
    known = [employer_parent(e.employer) for e in items]
    parents = [k[0] if k else None for k in known]
    industry_rows = []
    for i, e in enumerate(items):
        if not (e.industry and e.industry.strip()):
            continue
        sub = clf.titles.get(place_key(e.industry))
        if sub:
            out[i] = SectorResult(sector_of(sub), sub, "industry", 0.95, parents[i])
        else:
            industry_rows.append(i)
    preds = clf.predict_many([items[i].industry or "" for i in industry_rows])
    for i, (code, prob) in zip(industry_rows, preds, strict=True):
        if prob >= INDUSTRY_MIN:
            out[i] = SectorResult(code, None, "industry", round(prob, 3), parents[i])
    text_rows, texts = [], []
    for i, e in enumerate(items):
        if out[i] is not None:
            continue
        if known[i]:
            naics = known[i][1]
            sub = naics if len(naics) >= 3 else None
            out[i] = SectorResult(sector_of(naics), sub, "employer", 0.9, parents[i])
            continue
        parts = (e.industry, e.employer, e.title, (e.description or "")[:1500])
        text = " ".join(t for t in parts if t)
        if text.strip():
            text_rows.append(i)
            texts.append(text)
    for i, (code, prob) in zip(text_rows, clf.predict_many(texts), strict=True):
        if prob >= TEXT_MIN:
            out[i] = SectorResult(code, None, "classifier", round(prob, 3), parents[i])
    return [r or SectorResult(None, None, None, 0.0, parents[i]) for i, r in enumerate(out)]
