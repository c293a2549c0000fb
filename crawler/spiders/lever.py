"""Lever postings API: GET api.lever.co/v0/postings/{company}?mode=json, paged by skip/limit.

The response is a JSON list of postings; a page as long as `limit` means there may be more, so
the spider asks for the next one (setting LMI_API_PAGE_SIZE, default 100). Parsing lives in
lmi.crawler.ats.lever_item.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy.http import Request, Response

from lmi.crawler.spiders.ats_api import AtsApiSpider

DEFAULT_PAGE_SIZE = 100


def with_params(url: str, **params: str | int) -> str:
    """`url` with query parameters set (added or replaced), others kept in order."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


class LeverSpider(AtsApiSpider):
    """Crawl Lever postings API URLs page by page."""

    name = "lever"
    family = "lever"

    def _page_size(self) -> int:
        size = self.settings.getint("LMI_API_PAGE_SIZE", DEFAULT_PAGE_SIZE) if hasattr(
            self, "crawler") else DEFAULT_PAGE_SIZE
        return max(1, size)

    def first_request(self, url: str) -> Request:
        query = dict(parse_qsl(urlsplit(url).query))
        params: dict[str, str | int] = {}
        if "mode" not in query:
            params["mode"] = "json"
        if "limit" not in query:
            params["limit"] = self._page_size()
            params["skip"] = query.get("skip", 0)
        return Request(with_params(url, **params) if params else url, callback=self.parse,
                       errback=self.on_error)

    def next_pages(self, response: Response, data: object, records: int) -> Iterator[Request]:
        query = dict(parse_qsl(urlsplit(response.url).query))
        try:
            limit, skip = int(query["limit"]), int(query.get("skip", 0))
        except (KeyError, ValueError):
            return
        if isinstance(data, list) and records >= limit > 0:
            yield Request(with_params(response.url, skip=skip + limit), callback=self.parse,
                          errback=self.on_error)
