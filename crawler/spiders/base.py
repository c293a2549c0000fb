"""Shared plumbing of the source-family spiders: arguments, start requests, problems, errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError

from lmi.crawler.items import PageProblemItem


def utcnow() -> datetime:
    """Naive UTC now (the warehouse stores naive UTC timestamps)."""
    return datetime.now(UTC).replace(tzinfo=None)


class SourceSpider(scrapy.Spider):
    """Base: start_urls, source_id (and the runner's sitemap/allow, ignored unless used)."""

    family = "base"

    def __init__(self, start_urls: str | Iterable[str] = (), source_id: str = "",
                 sitemap: bool | str = False, allow: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        urls = start_urls.split(",") if isinstance(start_urls, str) else list(start_urls)
        self.start_urls = [u.strip() for u in urls if u.strip()]
        self.source_id = source_id or (urlsplit(self.start_urls[0]).netloc if self.start_urls
                                       else "unknown")
        self.sitemap = sitemap if isinstance(sitemap, bool) else sitemap.lower() in {"1", "true"}
        self.allow = allow

    def start_requests(self) -> Iterator[Request]:
        for url in self.start_urls:
            yield self.first_request(url)

    async def start(self) -> AsyncIterator[Request]:  # Scrapy >= 2.13
        for request in self.start_requests():
            yield request

    def first_request(self, url: str) -> Request:
        """The request for one start URL (override to add paging parameters)."""
        return Request(url, callback=self.parse, errback=self.on_error)

    def problem(self, url: str, kind: str, detail: str = "",
                sample: str | bytes = "") -> PageProblemItem:
        """A counted, logged problem with the first bytes of the offending content."""
        if isinstance(sample, bytes):
            sample = sample.decode("utf-8", errors="replace")
        return PageProblemItem(source_id=self.source_id, url=url, kind=kind, detail=detail[:500],
                               sample=sample[:300])

    def decode_json(self, response: Response) -> tuple[Any, PageProblemItem | None]:
        """The response body as JSON, or an api_shape problem when it is not JSON."""
        try:
            return json.loads(response.body), None          # bytes: UTF-8/16/32 detected
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            ctype = response.headers.get("Content-Type", b"").decode(errors="ignore")
            return None, self.problem(response.url, "api_shape",
                                      f"not JSON ({ctype or 'no content type'}): {exc}",
                                      response.body[:300])

    def on_error(self, failure: Any) -> Iterator[PageProblemItem]:
        """Turn a failed request (HTTP error, DNS, timeout) into a counted problem."""
        request = failure.request
        if failure.check(HttpError):
            status = failure.value.response.status
            yield self.problem(request.url, "http_error", f"HTTP {status}",
                               failure.value.response.body[:300])
        else:
            yield self.problem(request.url, "fetch_error",
                               f"{failure.type.__name__}: {failure.getErrorMessage()}"[:500])
