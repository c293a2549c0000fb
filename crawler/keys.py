"""Stable identities for crawled postings: canonical URL, content hash, posting key, raw id."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_", "mc_")
_TRACKING_PARAMS = {"gclid", "fbclid", "msclkid", "ref", "source", "src", "trk"}


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop default port, fragment and tracking parameters."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((parts.scheme == "http" and port == 80)
                     or (parts.scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith(_TRACKING_PREFIXES) and k.lower() not in _TRACKING_PARAMS]
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), host, path, urlencode(query), ""))


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def content_hash(jsonld: Any) -> str:
    """sha1 of the posting's JSON-LD with sorted keys: equal content, equal hash."""
    return _sha1(json.dumps(jsonld, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                            default=str))


def posting_key(source_id: str, url: str) -> str:
    """sha1(source_id | canonical url): one posting across its versions."""
    return _sha1(f"{source_id}|{canonical_url(url)}")


def raw_id(source_id: str, url: str, digest: str) -> str:
    """sha1(source_id | url | content_hash): one version of one posting."""
    return _sha1(f"{source_id}|{canonical_url(url)}|{digest}")
