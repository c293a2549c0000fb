"""NAICS sector of a posting: industry field, then employer table, then a text classifier."""

from __future__ import annotations

import csv
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from lmi.normalise.sector_hints import SECTOR_HINTS, sector_of
from lmi.normalise.text import fold, place_key

DATA_DIR = Path(__file__).resolve().parent / "data"
LEGAL_SUFFIX = re.compile(
    r"\b(incorporated|inc|ltd|ltee|limited|limitee|corp|corporation|co|company|llc|llp|lp|plc|"
    r"ulc|sa|s a|senc|s e n c|gmbh|group|groupe|canada|of canada|du canada|holdings)\b\.?",
    re.I,
)
INDUSTRY_MIN = 0.30
TEXT_MIN = 0.40


@dataclass(frozen=True)
class SectorResult:
    code: str | None  # 2-digit sector ('54', '31-33') or None when unknown
    subsector: str | None  # 3-digit subsector when the evidence names one
    source: str | None  # industry | employer | classifier
    confidence: float
    employer: str | None = None  # normalised parent employer when the table knows it


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
        probs = self.model.predict_proba([text])[0]
        best = int(np.argmax(probs))
        return str(self.model.classes_[best]), float(probs[best])


_lock = threading.Lock()
_classifiers: dict[object, SectorClassifier] = {}
_employers: dict[str, tuple[str, str]] = {}


def _classifier(con: duckdb.DuckDBPyConnection | None) -> SectorClassifier:
    key: object = None
    if con is not None:
        try:
            key = (id(con), con.execute("SELECT count(*) FROM ref_naics_elements").fetchone()[0])
        except duckdb.Error:
            key = None
    with _lock:
        if key not in _classifiers:
            _classifiers[key] = SectorClassifier(con if key is not None else None)
        return _classifiers[key]


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
    clf = _classifier(con)
    known = employer_parent(employer)
    parent = known[0] if known else None
    if industry and industry.strip():
        sub = clf.titles.get(place_key(industry))
        if sub:
            return SectorResult(sector_of(sub), sub, "industry", 0.95, parent)
        code, prob = clf.predict(industry)
        if prob >= INDUSTRY_MIN:
            return SectorResult(code, None, "industry", round(prob, 3), parent)
    if known:
        naics = known[1]
        return SectorResult(
            sector_of(naics), naics if len(naics) >= 3 else None, "employer", 0.9, parent
        )
    text = " ".join(t for t in (title, (description or "")[:1500]) if t)
    if text.strip():
        code, prob = clf.predict(text)
        if prob >= TEXT_MIN:
            return SectorResult(code, None, "classifier", round(prob, 3), parent)
    return SectorResult(None, None, None, 0.0, parent)
