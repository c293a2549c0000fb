"""Conditional requests: revisit a known posting page with If-None-Match / If-Modified-Since.

The runner loads the validators of pages whose posting is stored (table http_cache) into the
setting LMI_HTTP_VALIDATORS {url: [etag, last_modified, posting_key]}. A 304 answer becomes a
SeenUnchangedItem (a sighting, no body, no parsing); a 200 answer's validators are remembered
per URL (`fresh_validators`) so the pipeline can store them with the posting they produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scrapy.http import Request, Response

from lmi.crawler.middlewares import divert, source_id_of


@dataclass
class SeenUnchangedItem:
    """A known posting page answered 304 Not Modified: seen again, content unchanged."""

    source_id: str
    url: str
    posting_key: str
    seen_at: datetime
    etag: str | None = None
    last_modified: str | None = None


def fresh_validators(crawler: Any) -> dict[str, tuple[str | None, str | None]]:
    """url -> (etag, last_modified) of 200 responses in this crawl (shared with the pipeline)."""
    store = getattr(crawler, "_lmi_fresh_validators", None)
    if store is None:
        store = {}
        crawler._lmi_fresh_validators = store
    return store


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1").strip() if value else None


class ConditionalRequestMiddleware:
    """Send validators for pages seen before; turn 304s into SeenUnchangedItems."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.enabled = crawler.settings.getbool("LMI_CONDITIONAL", True)
        self.known: dict[str, Any] = dict(crawler.settings.getdict("LMI_HTTP_VALIDATORS"))
        self.fresh = fresh_validators(crawler)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ConditionalRequestMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        if not self.enabled or request.method != "GET":
            return None
        known = self.known.get(request.url)
        if not known or "If-None-Match" in request.headers:
            return None
        etag, last_modified, _key = known
        if etag:
            request.headers["If-None-Match"] = etag
        if last_modified:
            request.headers["If-Modified-Since"] = last_modified
        if etag or last_modified:
            request.meta["lmi_conditional"] = True
            self.crawler.stats.inc_value("lmi/conditional_requests")
        return None

    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Response:
        if request.meta.get("lmi_synthetic"):
            return response
        if response.status == 304 and request.meta.get("lmi_conditional"):
            etag, last_modified, key = self.known[request.url]
            self.crawler.stats.inc_value("lmi/not_modified")
            seen = SeenUnchangedItem(
                source_id=source_id_of(self.crawler), url=request.url, posting_key=key,
                seen_at=datetime.now(UTC).replace(tzinfo=None),
                etag=_header(response, "ETag") or etag,
                last_modified=_header(response, "Last-Modified") or last_modified)
            return divert(request, [seen], status=304, synthetic=False)
        if response.status == 200:
            self.crawler.stats.inc_value("lmi/responses_ok")
            etag, last_modified = _header(response, "ETag"), _header(response, "Last-Modified")
            if etag or last_modified:
                self.fresh[response.url] = (etag, last_modified)
        return response
