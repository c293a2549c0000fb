"""Import a provider's microcredential catalogue (CSV, JSON, YAML, Open Badges 3.0 or CTDL
JSON-LD) and map its learning outcomes to framework skills with the skill extractor."""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb

from lmi.warehouse.credential_formats import structured_records
from lmi.warehouse.db import WarehouseError, rows

COLUMNS = ("id", "title", "provider", "description", "learning_outcomes")
REQUIRED = ("title", "learning_outcomes")


class CatalogueError(WarehouseError):
    """A malformed catalogue file; the message names the file and the line."""

    def __init__(self, path: str | Path, line: int | None, problem: str):
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(f"{where}: {problem}")
        self.path, self.line, self.problem = str(path), line, problem


class Extractor(Protocol):
    def extract_many(self, texts: list[str]) -> list[Any]: ...


@dataclass
class Entry:
    """One credential as read from the file, before storage."""

    line: int
    title: str
    provider: str | None
    description: str | None
    outcomes: list[str]
    given_id: str | None = None
    credential_id: str = field(default="")


def _text(value: Any, path: Path, line: int, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int | float):
        raise CatalogueError(path, line, f"{name} must be text, got {type(value).__name__}")
    return str(value).strip() or None


def _split_outcomes(value: Any, path: Path, line: int) -> list[str]:
    if isinstance(value, list):
        items = [_text(v, path, line, "learning_outcomes item") for v in value]
    elif isinstance(value, str):
        items = [v.strip() for v in re.split(r"\s*\|\s*|\r?\n", value)]
    elif value is None:
        items = []
    else:
        raise CatalogueError(path, line, "learning_outcomes must be a list or '|'-separated text")
    outcomes = [re.sub(r"^[-*•]\s*", "", v) for v in items if v]
    if not outcomes:
        raise CatalogueError(path, line, "no learning outcomes (separate them with '|' or "
                                         "newlines)")
    return outcomes


def _entry(record: dict[str, Any], path: Path, line: int | None) -> Entry:
    unknown = sorted(set(record) - set(COLUMNS))
    if unknown:
        raise CatalogueError(path, line, f"unknown field(s) {unknown}; expected {list(COLUMNS)}")
    title = _text(record.get("title"), path, line, "title")
    if not title:
        raise CatalogueError(path, line, "missing title")
    return Entry(line=line, title=title,
                 provider=_text(record.get("provider"), path, line, "provider"),
                 description=_text(record.get("description"), path, line, "description"),
                 outcomes=_split_outcomes(record.get("learning_outcomes"), path, line),
                 given_id=_text(record.get("id"), path, line, "id"))


def _read_csv(path: Path, text: str) -> list[Entry]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise CatalogueError(path, 1, "empty file") from None
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        raise CatalogueError(path, 1, f"wrong columns {header}: need {list(REQUIRED)}, "
                                      f"may have {[c for c in COLUMNS if c not in REQUIRED]}")
    entries, line = [], reader.line_num + 1
    for cells in reader:
        if any(c.strip() for c in cells):
            if len(cells) != len(header):
                raise CatalogueError(path, line, f"{len(cells)} fields, expected {len(header)}")
            entries.append(_entry(dict(zip(header, cells, strict=True)), path, line))
        line = reader.line_num + 1
    return entries


def _read_json(path: Path, text: str) -> list[Entry]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogueError(path, exc.lineno, f"bad JSON: {exc.msg}") from None
    structured = structured_records(data)
    if structured is not None:
        return [_entry(r, path, None) for r in structured]
    if isinstance(data, dict) and isinstance(data.get("credentials"), list):
        data = data["credentials"]
    if not isinstance(data, list):
        raise CatalogueError(path, 1, "expected a JSON list of credential objects")
    starts = _object_lines(text)
    entries = []
    for i, record in enumerate(data):
        line = starts[i] if i < len(starts) else None
        if not isinstance(record, dict):
            raise CatalogueError(path, line, "expected an object with title, learning_outcomes")
        entries.append(_entry(record, path, line))
    return entries


def _read_yaml(path: Path, text: str) -> list[Entry]:
    """YAML with the JSON shapes: a list of credentials, {credentials: [...]}, OB3 or CTDL."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise CatalogueError(path, line + 1 if line is not None else None,
                             f"bad YAML: {getattr(exc, 'problem', exc)}") from None
    structured = structured_records(data)
    if structured is not None:
        return [_entry(r, path, None) for r in structured]
    if isinstance(data, dict) and isinstance(data.get("credentials"), list):
        data = data["credentials"]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise CatalogueError(path, 1, "expected a YAML list of credentials (title, "
                                      "learning_outcomes, ...)")
    return [_entry(r, path, None) for r in data]


def _object_lines(text: str) -> list[int]:
    """Line number where each top-level element of the credential list starts."""
    decoder, lines = json.JSONDecoder(), []
    start = text.find("[", text.find('"credentials"') if text.lstrip().startswith("{") else 0)
    pos = start + 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return lines
        lines.append(text.count("\n", 0, pos) + 1)
        _, pos = decoder.raw_decode(text, pos)


def read_catalogue(path: str | Path) -> list[Entry]:
    """Parse and validate a whole catalogue file (nothing is stored)."""
    path = Path(path)
    if not path.is_file():
        raise CatalogueError(path, None, "no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogueError(path, None, f"not UTF-8 text ({exc.reason})") from None
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        entries = _read_yaml(path, text)
    elif suffix in (".json", ".jsonld") or text.lstrip()[:1] in ("[", "{"):
        entries = _read_json(path, text)
    else:
        entries = _read_csv(path, text)
    if not entries:
        raise CatalogueError(path, None, "no credentials in file")
    return entries


def _derived_id(title: str, provider: str | None) -> str:
    key = f"{title.strip().lower()}|{(provider or '').strip().lower()}"
    return "mc-" + hashlib.sha1(key.encode()).hexdigest()[:12]


def _assign_ids(con: duckdb.DuckDBPyConnection, entries: list[Entry], path: Path) -> None:
    """Reuse a stored id (by id, else title+provider) so re-imports update in place."""
    seen: dict[str, int] = {}
    for e in entries:
        if e.given_id:
            e.credential_id = e.given_id
        else:
            found = con.execute(
                "SELECT credential_id FROM microcredentials WHERE lower(title) = lower(?) "
                "AND lower(coalesce(provider, '')) = lower(coalesce(?, '')) LIMIT 1",
                [e.title, e.provider]).fetchone()
            e.credential_id = found[0] if found else _derived_id(e.title, e.provider)
        if e.credential_id in seen:
            raise CatalogueError(path, e.line, f"duplicate credential (same id or title and "
                                               f"provider as line {seen[e.credential_id]})")
        seen[e.credential_id] = e.line


def _links(entry: Entry, extraction: Any, index: int) -> list[tuple]:
    best: dict[tuple[str, str], Any] = {}
    for m in extraction.skills:
        key = (m.framework_id, m.skill_id)
        if key not in best or m.confidence > best[key].confidence:
            best[key] = m
    return [(entry.credential_id, m.framework_id, m.skill_id, m.text, index,
             float(m.confidence), m.method) for m in best.values()]


def import_catalogue(con: duckdb.DuckDBPyConnection, path: str | Path,
                     extractor: Extractor) -> dict[str, Any]:
    """Import a catalogue; map each learning outcome to skills with `extractor.extract_many`.

    CSV columns: title, learning_outcomes (outcomes separated by '|' or newlines) and optional
    id, provider, description. JSON: a list of objects with the same keys (learning_outcomes a
    list or a string). Re-importing updates credentials in place (matched by id, else by
    title+provider). Raises CatalogueError (file and line) before anything is written; the
    write itself is one transaction.
    """
    path = Path(path)
    entries = read_catalogue(path)
    _assign_ids(con, entries, path)
    texts = [o for e in entries for o in e.outcomes]
    extractions = list(extractor.extract_many(texts))
    if len(extractions) != len(texts):
        raise WarehouseError("the extractor returned a different number of results than texts")
    links, i = [], 0
    for e in entries:
        for index, _ in enumerate(e.outcomes):
            links.extend(_links(e, extractions[i], index))
            i += 1
    ids = [e.credential_id for e in entries]
    existing = {r[0] for r in con.execute(
        "SELECT credential_id FROM microcredentials WHERE list_contains(?, credential_id)",
        [ids]).fetchall()}
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM credential_skills WHERE list_contains(?, credential_id)", [ids])
        con.execute("DELETE FROM microcredentials WHERE list_contains(?, credential_id)", [ids])
        con.executemany(
            "INSERT INTO microcredentials (credential_id, title, provider, description, "
            "learning_outcomes, source_file) VALUES (?, ?, ?, ?, ?, ?)",
            [(e.credential_id, e.title, e.provider, e.description, e.outcomes,
              str(path.resolve())) for e in entries])
        if links:
            con.executemany(
                "INSERT INTO credential_skills (credential_id, framework_id, skill_id, "
                "matched_text, outcome_index, confidence, method) VALUES (?, ?, ?, ?, ?, ?, ?)",
                links)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    mapped = {(link[0], link[4]) for link in links}
    return {
        "file": str(path), "credentials": len(entries), "new": len(set(ids) - existing),
        "updated": len(existing), "outcomes": len(texts), "skill_links": len(links),
        "unmapped_outcomes": len(texts) - len(mapped),
        "extractor_version": getattr(extractor, "version", None),
    }


def list_credentials(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every stored credential with its outcome and mapped-skill counts."""
    return rows(con, """
        SELECT m.credential_id, m.title, m.provider,
               len(m.learning_outcomes) AS outcomes,
               count(DISTINCT (cs.framework_id, cs.skill_id)) FILTER (WHERE cs.skill_id IS NOT NULL)
                   AS skills
        FROM microcredentials AS m
        LEFT JOIN credential_skills AS cs USING (credential_id)
        GROUP BY ALL
        ORDER BY m.title, m.credential_id""")


def show_credential(con: duckdb.DuckDBPyConnection, credential_id: str) -> dict[str, Any]:
    """A credential, its outcomes, and per outcome the mapped skills with evidence and confidence.

    Accepts the id or the exact title (case-insensitive).
    """
    found = rows(con, "SELECT * FROM microcredentials WHERE credential_id = $id "
                      "OR lower(title) = lower($id) ORDER BY credential_id = $id DESC LIMIT 1",
                 {"id": credential_id})
    if not found:
        known = rows(con, "SELECT credential_id, title FROM microcredentials")
        choices = {r["credential_id"]: r["credential_id"] for r in known}
        choices |= {r["title"].lower(): f"{r['credential_id']} ({r['title']})" for r in known}
        close = difflib.get_close_matches(credential_id.lower(), list(choices), n=5, cutoff=0.4)
        hint = f" Closest: {', '.join(choices[c] for c in close)}." if close else ""
        raise WarehouseError(f"no credential {credential_id!r}.{hint} "
                             "List them with `lmi credentials list`.")
    cred = found[0]
    links = rows(con, """
        SELECT cs.outcome_index, cs.framework_id, cs.skill_id,
               coalesce(s.preferred_label, cs.skill_id) AS label,
               cs.matched_text, cs.confidence, cs.method
        FROM credential_skills AS cs
        LEFT JOIN skills AS s USING (framework_id, skill_id)
        WHERE cs.credential_id = $id
        ORDER BY cs.outcome_index, cs.confidence DESC, label""", {"id": cred["credential_id"]})
    outcomes = [{"index": i, "text": text,
                 "skills": [{k: v for k, v in link.items() if k != "outcome_index"}
                            for link in links if link["outcome_index"] == i]}
                for i, text in enumerate(cred["learning_outcomes"] or [])]
    return {**{k: cred[k] for k in ("credential_id", "title", "provider", "description",
                                      "source_file", "imported_at")},
            "outcomes": outcomes}
