"""Job-posting deduplication: exact keys (source identifier, canonical URL) and near-duplicate text.

Near duplicates are found with MinHash + LSH over word shingles of normalised, boilerplate-free
text, then confirmed pair by pair with the exact shingle Jaccard/containment, the title, the
employer and the location. Clusters come from union-find; a cluster's id is its smallest
posting_id. `dedup_warehouse` writes the clusters to the `posting_clusters` table.
"""

from __future__ import annotations

import html
import re
import unicodedata
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
from datasketch import MinHash, MinHashLSH

SHINGLE_WORDS = 3          # word n-gram size of the text shingles
NUM_PERM = 128             # MinHash permutations
LSH_THRESHOLD = 0.25       # candidate floor (estimated Jaccard); weighted for recall
MIN_SHINGLES = 8           # texts shorter than this are never near-duplicates
TITLE_MIN = 0.5            # title token containment needed for a text duplicate
# Shingle Jaccard / containment needed, by employer relation (tuned on the tune half only).
# (containment 1.01 = containment alone never decides). Re-run benchmarks/tune_dedup.py to refit.
JACCARD_SAME, CONTAIN_SAME = 0.95, 0.775         # same or compatible employer
JACCARD_HIDDEN, CONTAIN_HIDDEN = 0.35, 1.01      # employer hidden, an agency, or agency wording
JACCARD_OTHER, CONTAIN_OTHER = 0.95, 1.01        # two different named employers

# ---------------------------------------------------------------------------- URLs and keys

_TRACKING_KEYS = {
    "gclid", "gclsrc", "dclid", "fbclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
    "ref", "referer", "referrer", "ref_src", "refid", "source", "src", "trk", "trackingid",
    "tracking_id", "from", "campaign", "cmp", "utm", "_ga", "_gl", "spm", "share", "sharesource",
}
_TRACKING_PREFIXES = ("utm_", "hsa_", "pk_", "mtm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str | None) -> str:
    """Normalise a posting URL so tracking variants of one page compare equal.

    >>> canonical_url("HTTPS://www.Jobs.ca:443/job/123/?utm_source=x&id=9#apply")
    'https://jobs.ca/job/123?id=9'
    """
    if not url:
        return ""
    parts = urlsplit(url.strip())
    scheme = (parts.scheme or "https").lower()
    scheme = "https" if scheme == "http" else scheme
    host = (parts.hostname or "").lower().rstrip(".")
    host = host.removeprefix("www.")
    port = parts.port if parts.port and parts.port != _DEFAULT_PORTS.get(parts.scheme.lower()) \
        else None
    netloc = f"{host}:{port}" if port else host
    path = re.sub(r"/{2,}", "/", parts.path or "").rstrip("/")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in _TRACKING_KEYS and not k.lower().startswith(_TRACKING_PREFIXES)]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))


def _key_method(key: str) -> str:
    return "identifier" if key.startswith("id:") else "url"


def exact_keys(posting: Mapping[str, Any]) -> list[str]:
    """Keys that make two postings the same page: (source, identifier) and the canonical URL."""
    keys = []
    ident = str(posting.get("identifier") or "").strip()
    if ident:
        keys.append(f"id:{posting.get('source_id') or ''}:{ident.lower()}")
    url = canonical_url(posting.get("url"))
    if url:
        keys.append(f"url:{url}")
    return keys

# ---------------------------------------------------------------------------- text

_TAG = re.compile(r"<(br|/p|/li|/div|/h\d|li|p|div|h\d)\b[^>]*>|<[^>]+>", re.I)
_URL = re.compile(r"\b(?:https?://|www\.)\S+")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    rf"\b\d{{4}}-\d{{1,2}}-\d{{1,2}}\b|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b"
    rf"|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b|\b\d{{1,2}}\s+{_MONTH}\s+\d{{4}}\b",
)
_NUMBER = re.compile(r"\$?\d[\d,.]*(?:k\b)?\$?")
_NONWORD = re.compile(r"[^a-z0-9 ]+")
_SEGMENT = re.compile(r"[\n\r*;!?]+|(?<=[a-z0-9)])\.(?:\s+|$)|\s-\s")
_SEPARATORS = str.maketrans({c: "\n" for c in "•·▪●■◦–—"} | {"’": "'", "\xa0": " "})
_BOILERPLATE = re.compile(  # searched in folded, lower-case text
    r"\b(?:apply (now|today|online|here|through|via)|click (on )?apply|how to apply|to apply,"
    r"|submit (your )?(resume|cv|application)|send (your )?(resume|cv)"
    r"|equal[- ]opportunit|employment equity|divers(e|ity)|inclusi(ve|on)|accommodat"
    r"|accessib|disabilit|aoda|indigenous|visible minorit|lgbt|2slgbt|veteran"
    r"|thank all (applicants|candidates)|(only|those) (candidates |applicants )?selected"
    r"|will be contacted|background check|criminal record|police check"
    r"|job types?:|schedule:|work location:|pay:|expected hours|benefits:|application deadline"
    r"|competitive (salary|compensation|wages|pay)|benefits? package|rrsp|group benefits"
    r"|postulez|equite en matiere|seules les personnes|nous remercions|mesures d.adaptation)")


def _fold(text: str) -> str:
    """Lower-case ASCII: accents removed (Montréal -> montreal)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_SEPARATORS))
        text = text.encode("ascii", "ignore").decode()
    return text.lower()


def normalise_text(text: str | None, *, drop_boilerplate: bool = True) -> str:
    """Plain, folded text: HTML stripped, URLs/e-mails/dates/numbers replaced by placeholders,
    punctuation and whitespace folded, boilerplate sentences (apply now, EEO...) dropped."""
    if not text:
        return ""
    text = _fold(html.unescape(_TAG.sub("\n", text)))
    text = _EMAIL.sub(" email ", _URL.sub(" url ", text))
    text = _NUMBER.sub(" num ", _DATE.sub(" date ", text))
    kept = [seg for seg in _SEGMENT.split(text)
            if seg.strip() and not (drop_boilerplate and _BOILERPLATE.search(seg))]
    return " ".join(_NONWORD.sub(" ", " ".join(kept)).split())


def shingles(text: str, k: int = SHINGLE_WORDS) -> np.ndarray:
    """Sorted unique 32-bit hashes of the word k-grams of already normalised text."""
    words = text.split()
    if not words:
        return np.empty(0, dtype=np.uint64)
    tok = np.fromiter((zlib.crc32(w.encode()) for w in words), dtype=np.uint64, count=len(words))
    if len(tok) < k:
        tok = np.concatenate([tok, np.zeros(k - len(tok), dtype=np.uint64)])
    acc = np.zeros(len(tok) - k + 1, dtype=np.uint64)
    for j in range(k):  # polynomial combination, wrapping in 64 bits, folded to 32
        acc = acc * np.uint64(1_000_003) + tok[j:len(tok) - k + 1 + j]
    return np.unique((acc ^ (acc >> np.uint64(32))) & np.uint64(0xFFFFFFFF))


_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=7, hashfunc=int)
_PERMS, _SCHEME = _TEMPLATE.permutations, _TEMPLATE.scheme


def minhash(shingle_hashes: np.ndarray) -> MinHash:
    """datasketch MinHash of precomputed 32-bit shingle hashes (shared permutations)."""
    m = MinHash(num_perm=NUM_PERM, seed=7, hashfunc=int, permutations=_PERMS, scheme=_SCHEME)
    if len(shingle_hashes):
        m.update_batch(shingle_hashes.tolist())
    return m

# ---------------------------------------------------------------------------- employer, place

_LEGAL = {"inc", "incorporated", "ltd", "limited", "ltee", "corp", "corporation", "co", "company",
          "llc", "llp", "lp", "ulc", "plc", "srl", "sa", "senc", "the", "canada", "cie", "enr"}
_HIDDEN = {"", "confidential", "confidentiel", "anonymous", "private", "undisclosed", "employer",
           "company", "n a", "na", "hiring company", "our client", "client", "unknown",
           "confidential employer", "employeur confidentiel", "private company"}
_AGENCY = re.compile(
    r"staffing|recruit|personnel|placement|headhunt|talent|employment (services|agency|"
    r"professionals|solutions)|search (group|partners)|\bhr\b|resourcing|workforce|temps?\b"
    r"|randstad|adecco|robert half|manpower|kelly services|\bhays\b|aerotek|spherion|drakkar"
    r"|agilus|modis|procom|teksystems|insight global|michael page|\blhh\b|kforce|people bank", re.I)
_AGENCY_TEXT = re.compile(
    r"\bour (valued )?client|on behalf of (a|an|our)\b|notre client|\bfor (a|our) client"
    r"|client of ours|partnered with (a|an|one)\b|confidential (employer|client|company)"
    r"|hiring for (a|an) (client|reputable|leading)", re.I)


def normalise_employer(name: str | None) -> str:
    """'Shopify Inc.' -> 'shopify'; 'Groupe Dynamite Ltée' -> 'groupe dynamite'."""
    words = _NONWORD.sub(" ", _fold(name or "").replace("&", " and ")).split()
    kept = [w for w in words if w not in _LEGAL]
    return " ".join(kept or words)


def employer_kind(name: str | None) -> str:
    """'hidden' (blank/Confidential), 'agency' (staffing firm) or 'named'."""
    norm = " ".join(_NONWORD.sub(" ", _fold(name or "")).split())
    if norm in _HIDDEN:
        return "hidden"
    return "agency" if _AGENCY.search(norm) else "named"


_PROVINCES = {
    "ab": "AB", "alberta": "AB", "bc": "BC", "british columbia": "BC", "colombie britannique": "BC",
    "mb": "MB", "manitoba": "MB", "nb": "NB", "new brunswick": "NB", "nouveau brunswick": "NB",
    "nl": "NL", "newfoundland and labrador": "NL", "terre neuve et labrador": "NL",
    "ns": "NS", "nova scotia": "NS", "nouvelle ecosse": "NS", "nt": "NT",
    "northwest territories": "NT", "nu": "NU", "nunavut": "NU", "on": "ON", "ontario": "ON",
    "pe": "PE", "pei": "PE", "prince edward island": "PE", "qc": "QC", "quebec": "QC",
    "sk": "SK", "saskatchewan": "SK", "yt": "YT", "yukon": "YT",
}
_CITY_ALIASES = {"quebec city": "quebec", "ville de quebec": "quebec", "greater sudbury": "sudbury",
                 "grand sudbury": "sudbury", "st johns": "st john s", "saint johns": "st john s"}
_POSTAL = re.compile(r"\b[a-z]\d[a-z] ?\d[a-z]\d\b")
_REMOTE = re.compile(r"\b(remote|teletravail|work from home|wfh|hybrid|hybride|in|canada)\b")


def location_key(posting: Mapping[str, Any]) -> tuple[str, str]:
    """(city, province), '' where unknown: 'Toronto, Ontario M5V 2T6' -> ('toronto', 'ON')."""
    city = " ".join(_NONWORD.sub(" ", _fold(posting.get("city") or "")).split())
    prov = (posting.get("province") or "").upper()
    raw = _POSTAL.sub(" ", _fold(posting.get("location_raw") or ""))
    parts = [" ".join(_NONWORD.sub(" ", p).split()) for p in raw.split(",")]
    parts = [_REMOTE.sub(" ", p).strip() for p in parts]
    parts = [" ".join(p.split()) for p in parts if p.strip()]
    if parts and not prov:
        if parts[-1] in _PROVINCES:
            prov = _PROVINCES[parts.pop()]
        elif parts[-1].rsplit(" ", 1)[-1] in _PROVINCES and " " in parts[-1]:
            head, code = parts[-1].rsplit(" ", 1)
            prov, parts[-1] = _PROVINCES[code], head
    if not city and parts:
        city = parts[0]
    city = _CITY_ALIASES.get(city, city)
    return city, prov if prov in _PROVINCES.values() else ""


def locations_conflict(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """True when both places are known and differ (multi-location hiring is not duplication)."""
    if a[1] and b[1] and a[1] != b[1]:
        return True
    return bool(a[0] and b[0] and a[0] != b[0])

# ---------------------------------------------------------------------------- pair decision


@dataclass(frozen=True)
class Features:
    """What the pair decision needs about one posting, computed once."""

    posting_id: str
    keys: tuple[str, ...]
    shingles: np.ndarray
    title: frozenset[str]
    employer: str
    kind: str
    agency_text: bool
    place: tuple[str, str]


_TITLE_NOISE = {"f", "h", "m", "d", "x", "full", "part", "time", "contract", "permanent",
                "temporary", "urgent", "hiring", "immediately", "new", "remote", "hybrid", "job",
                "position", "num"}


def features(posting: Mapping[str, Any]) -> Features:
    """Features of one posting dict (keys as in `find_duplicate_clusters`)."""
    text = normalise_text(posting.get("description"))
    title = normalise_text(posting.get("title"), drop_boilerplate=False).split()
    return Features(
        posting_id=str(posting["posting_id"]),
        keys=tuple(exact_keys(posting)),
        shingles=shingles(text),
        title=frozenset(w for w in title if w not in _TITLE_NOISE) or frozenset(title),
        employer=normalise_employer(posting.get("employer")),
        kind=employer_kind(posting.get("employer")),
        agency_text=bool(_AGENCY_TEXT.search(posting.get("description") or "")),
        place=location_key(posting),
    )


def _overlap(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(Jaccard, containment in the smaller set) of two sorted unique hash arrays."""
    if not len(a) or not len(b):
        return 0.0, 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter), inter / min(len(a), len(b))


def _employer_relation(a: Features, b: Features) -> str:
    if a.kind != "named" or b.kind != "named" or a.agency_text or b.agency_text:
        return "hidden"
    wa, wb = set(a.employer.split()), set(b.employer.split())
    return "same" if wa <= wb or wb <= wa else "other"


def _title_overlap(a: Features, b: Features) -> float:
    if not a.title or not b.title:
        return 1.0
    return len(a.title & b.title) / min(len(a.title), len(b.title))


def _thresholds(relation: str) -> tuple[float, float]:
    return {"same": (JACCARD_SAME, CONTAIN_SAME), "hidden": (JACCARD_HIDDEN, CONTAIN_HIDDEN)
            }.get(relation, (JACCARD_OTHER, CONTAIN_OTHER))


def near_duplicate_score(a: Features, b: Features) -> float | None:
    """Text Jaccard when the pair is a near duplicate, else None. Cheap checks (place, title,
    length) run before the text overlap."""
    if locations_conflict(a.place, b.place) or _title_overlap(a, b) < TITLE_MIN:
        return None
    if min(len(a.shingles), len(b.shingles)) < MIN_SHINGLES:
        return None
    min_jaccard, min_containment = _thresholds(_employer_relation(a, b))
    jac, con = _overlap(a.shingles, b.shingles)
    return jac if jac >= min_jaccard or con >= min_containment else None


def is_near_duplicate(a: Features, b: Features) -> bool:
    """Pair decision on text, title, employer and place (see `near_duplicate_score`)."""
    return near_duplicate_score(a, b) is not None


def text_decision(a: Features, b: Features) -> tuple[bool, dict[str, Any]]:
    """`is_near_duplicate` with the evidence (for diagnostics and threshold tuning)."""
    jac, con = _overlap(a.shingles, b.shingles)
    info = {"jaccard": round(jac, 3), "containment": round(con, 3),
            "title": round(_title_overlap(a, b), 3), "employer": _employer_relation(a, b),
            "place_conflict": locations_conflict(a.place, b.place)}
    return is_near_duplicate(a, b), info


def pair_decision(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    """(duplicate?, method, evidence) for two posting dicts, without LSH candidate search."""
    fa, fb = features(a), features(b)
    shared = set(fa.keys) & set(fb.keys)
    if shared:
        return True, _key_method(min(shared)), {}
    dup, info = text_decision(fa, fb)
    return dup, "text" if dup else "", info

# ---------------------------------------------------------------------------- clustering


class _UnionFind:
    """Union-find whose roots remember the known places and named employers of their members,
    so weak evidence never joins jobs in two cities or of two named employers."""

    def __init__(self, feats: Iterable[Features]):
        self.parent: dict[str, str] = {}
        self.places: dict[str, set[tuple[str, str]]] = {}
        self.employers: dict[str, set[frozenset[str]]] = {}
        for f in feats:
            self.parent[f.posting_id] = f.posting_id
            self.places[f.posting_id] = {f.place} if any(f.place) else set()
            named = f.kind == "named" and not f.agency_text and f.employer
            self.employers[f.posting_id] = {frozenset(f.employer.split())} if named else set()

    def find(self, x: str) -> str:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def _conflict(self, ra: str, rb: str, employer_guard: bool) -> bool:
        if any(locations_conflict(x, y) for x in self.places[ra] for y in self.places[rb]):
            return True
        ea, eb = self.employers[ra], self.employers[rb]
        return employer_guard and bool(ea and eb) and not any(
            x <= y or y <= x for x in ea for y in eb)

    def union(self, a: str, b: str, *, guard: bool, employer_guard: bool = True) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if guard and self._conflict(ra, rb, employer_guard):
            return False
        if rb < ra:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.places[ra] |= self.places.pop(rb)
        self.employers[ra] |= self.employers.pop(rb)
        return True


@cache
def _lsh_params() -> tuple[int, int]:
    """(bands, rows) for LSH_THRESHOLD, weighted towards recall; computed once (it is slow)."""
    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM, weights=(0.2, 0.8))
    return lsh.b, lsh.r


_METHOD_RANK = {"identifier": 0, "url": 1, "text": 2}


def cluster_postings(postings: Iterable[Mapping[str, Any]]) -> dict[str, tuple[str, str]]:
    """posting_id -> (cluster_id, method) where method is how the posting joined ('' if alone)."""
    feats = sorted((features(p) for p in postings), key=lambda f: f.posting_id)
    by_id = {f.posting_id: f for f in feats}
    uf = _UnionFind(feats)
    method: dict[str, str] = {}

    def link(a: str, b: str, how: str, guard: bool, employer_guard: bool = True) -> None:
        if uf.union(a, b, guard=guard, employer_guard=employer_guard):
            for x in (a, b):
                if _METHOD_RANK[how] < _METHOD_RANK.get(method.get(x, ""), 9):
                    method[x] = how

    first_with_key: dict[str, str] = {}
    for f in feats:
        for key in f.keys:
            if key in first_with_key:
                link(first_with_key[key], f.posting_id, _key_method(key), guard=False)
            else:
                first_with_key[key] = f.posting_id
    # Blocking: a near duplicate needs a shared title word, so LSH runs per title word.
    lsh: dict[str, MinHashLSH] = {}
    candidates: set[tuple[str, str]] = set()
    for f in feats:
        if len(f.shingles) < MIN_SHINGLES:
            continue
        m = minhash(f.shingles)
        for word in sorted(f.title) or [""]:
            index = lsh.get(word)
            if index is None:
                index = lsh[word] = MinHashLSH(num_perm=NUM_PERM, params=_lsh_params())
            candidates.update((o, f.posting_id) for o in index.query(m))
            index.insert(f.posting_id, m, check_duplication=False)
    # Strongest evidence first, so a hidden-employer posting joins its best match.
    edges = sorted((-score, a, b) for a, b in candidates
                   if (score := near_duplicate_score(by_id[a], by_id[b])) is not None)
    for _, a, b in edges:
        other = _employer_relation(by_id[a], by_id[b]) == "other"
        link(a, b, "text", guard=True, employer_guard=not other)
    return {pid: (uf.find(pid), method.get(pid, "")) for pid in by_id}


def find_duplicate_clusters(postings: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """posting_id -> cluster_id (the smallest posting_id of its cluster) over posting dicts with
    keys posting_id, url, identifier, source_id, title, employer, description, city/province or
    location_raw, date_posted."""
    return {pid: cid for pid, (cid, _) in cluster_postings(postings).items()}

# ---------------------------------------------------------------------------- warehouse step


def dedup_warehouse(con: Any) -> dict[str, Any]:
    """Cluster every posting in the warehouse and rewrite `posting_clusters` (idempotent: the
    whole table is recomputed, so new postings join existing clusters). Returns stats."""
    from lmi.warehouse.db import rows, sql

    postings = rows(con, sql("dedup/select_postings"))
    clusters = cluster_postings(postings)
    rank = {p["posting_id"]: (employer_kind(p["employer"]) != "named", str(p["date_posted"] or "9"),
                              str(p["first_seen"] or ""), p["posting_id"]) for p in postings}
    canonical: dict[str, str] = {}
    for pid, (cid, _) in clusters.items():
        if cid not in canonical or rank[pid] < rank[canonical[cid]]:
            canonical[cid] = pid
    ids = sorted(clusters)
    is_canon = [canonical[clusters[i][0]] == i for i in ids]
    size: dict[str, int] = {}
    for cid, _ in clusters.values():
        size[cid] = size.get(cid, 0) + 1
    methods = [("unique" if size[clusters[i][0]] == 1 else "canonical") if c else clusters[i][1]
               for i, c in zip(ids, is_canon, strict=True)]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(sql("dedup/clear_clusters"))
        if ids:
            con.execute(sql("dedup/insert_clusters"),
                        [ids, [clusters[i][0] for i in ids], is_canon, methods])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    by_method: dict[str, int] = {}
    for m, c in zip(methods, is_canon, strict=True):
        if not c:
            by_method[m] = by_method.get(m, 0) + 1
    unique = len(canonical)
    return {"postings": len(ids), "unique_jobs": unique, "duplicates": len(ids) - unique,
            "duplicate_share": round((len(ids) - unique) / len(ids), 4) if ids else 0.0,
            "by_method": dict(sorted(by_method.items()))}
