"""Read credential records from Open Badges 3.0 and Credential Engine CTDL JSON-LD.

Each reader returns plain records {id, title, provider, description, learning_outcomes} that
lmi.warehouse.credentials validates and imports like CSV / JSON rows.

- Open Badges 3.0: an AchievementCredential / OpenBadgeCredential (credentialSubject.
  achievement) or a bare Achievement. Outcomes: the lines of criteria.narrative and each
  alignment[] targetName (with targetDescription; targetUrl kept in the text for review).
- CTDL: a ceterms credential (ceterms:Certificate, ceterms:DigitalBadge, ceterms:Credential,
  ...) alone or in an "@graph". Outcomes: ceterms:teaches (and ceterms:requires competencies)
  CredentialAlignmentObjects' ceterms:targetNodeName (+ targetNodeDescription), or the
  ceasn:competencyText of a ceasn:Competency in the same graph that targetNode points to.
"""

from __future__ import annotations

import re
from typing import Any

Record = dict[str, Any]
OB3_TYPES = {"AchievementCredential", "OpenBadgeCredential", "Achievement"}
CTDL_SKIP = {"ceterms:CredentialAlignmentObject", "ceasn:Competency",
             "ceasn:CompetencyFramework", "ceterms:CredentialOrganization",
             "ceterms:Organization", "ceterms:QACredentialOrganization"}


def _types(node: Any) -> set[str]:
    if not isinstance(node, dict):
        return set()
    value = node.get("type", node.get("@type", []))
    return set(value if isinstance(value, list) else [value])


def _text(value: Any) -> str | None:
    """A plain string from a string, a JSON-LD language map ({'en-US': ...}) or a list."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        for key in ("en-US", "en", "en-CA", "@value", *value.keys()):
            if key in value:
                return _text(value[key])
    if isinstance(value, list) and value:
        return _text(value[0])
    return None


def _lines(narrative: str | None) -> list[str]:
    items = re.split(r"\r?\n+|(?<=[.;])\s+(?=[A-Z])", narrative or "")
    return [re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", i).strip() for i in items if i.strip()]


def is_ob3(node: Any) -> bool:
    return bool(_types(node) & OB3_TYPES) or (isinstance(node, dict) and
                                              "credentialSubject" in node)


def is_ctdl(node: Any) -> bool:
    return any(t.startswith("ceterms:") for t in _types(node)) or (
        isinstance(node, dict) and "@graph" in node)


def from_ob3(node: Record) -> Record:
    """One OB3 credential or achievement -> a catalogue record."""
    subject = node.get("credentialSubject") or {}
    subject = subject[0] if isinstance(subject, list) and subject else subject
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    achievement = achievement if isinstance(achievement, dict) else node
    criteria = achievement.get("criteria") or {}
    outcomes = _lines(criteria.get("narrative") if isinstance(criteria, dict) else None)
    for a in achievement.get("alignment") or []:
        name = _text(a.get("targetName"))
        if name:
            extra = _text(a.get("targetDescription"))
            url = a.get("targetUrl")
            outcomes.append(name + (f": {extra}" if extra else "") + (f" <{url}>" if url else ""))
    issuer = node.get("issuer") or achievement.get("creator") or {}
    return {"id": achievement.get("id") or node.get("id"),
            "title": _text(achievement.get("name")) or _text(node.get("name")),
            "provider": _text(issuer.get("name")) if isinstance(issuer, dict) else None,
            "description": _text(achievement.get("description")),
            "learning_outcomes": outcomes}


def _ctdl_nodes(data: Any) -> tuple[list[Record], dict[str, str]]:
    nodes = data.get("@graph", [data]) if isinstance(data, dict) else data
    nodes = [n for n in nodes if isinstance(n, dict)]
    competencies = {n.get("@id"): _text(n.get("ceasn:competencyText")) for n in nodes
                    if "ceasn:Competency" in _types(n) and n.get("@id")}
    creds = [n for n in nodes if is_ctdl(n) and not _types(n) & CTDL_SKIP and "@graph" not in n]
    return creds, {k: v for k, v in competencies.items() if v}


def from_ctdl(data: Any) -> list[Record]:
    """Every ceterms credential in a CTDL document (single node or @graph) -> records."""
    creds, competencies = _ctdl_nodes(data)
    out = []
    for c in creds:
        outcomes = []
        for prop in ("ceterms:teaches", "ceterms:requires", "ceterms:targetCompetency"):
            items = c.get(prop) or []
            for a in items if isinstance(items, list) else [items]:
                if isinstance(a, str):
                    name = competencies.get(a)
                else:
                    name = _text(a.get("ceterms:targetNodeName")) or competencies.get(
                        a.get("ceterms:targetNode"))
                    desc = _text(a.get("ceterms:targetNodeDescription"))
                    name = name + f": {desc}" if name and desc else name
                if name:
                    outcomes.append(name)
        owner = c.get("ceterms:ownedBy") or c.get("ceterms:offeredBy")
        owner = owner[0] if isinstance(owner, list) and owner else owner
        out.append({"id": c.get("ceterms:ctid") or c.get("@id"),
                    "title": _text(c.get("ceterms:name")),
                    "provider": _text(owner.get("ceterms:name")) if isinstance(owner, dict)
                    else None,
                    "description": _text(c.get("ceterms:description")),
                    "learning_outcomes": outcomes})
    return out


def structured_records(data: Any) -> list[Record] | None:
    """Records when `data` is OB3 or CTDL (a node, a list of nodes, or a graph), else None."""
    items = data if isinstance(data, list) else [data]
    if items and all(is_ob3(i) for i in items):
        return [from_ob3(i) for i in items]
    if items and all(is_ctdl(i) for i in items):
        return [r for i in items for r in from_ctdl(i)]
    return None
