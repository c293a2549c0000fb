"""Greenhouse job board API: GET boards-api.greenhouse.io/v1/boards/{token}/jobs?content=true.

Returns every job of the board in one response ({"jobs": [...], "meta": {"total": n}}); the
`content` field is HTML-escaped HTML. Parsing lives in lmi.crawler.ats.greenhouse_item.
"""

from __future__ import annotations

from scrapy.http import Request

from lmi.crawler.spiders.ats_api import AtsApiSpider


class GreenhouseSpider(AtsApiSpider):
    """Crawl Greenhouse board API URLs (content=true is added when missing)."""

    name = "greenhouse"
    family = "greenhouse"

    def first_request(self, url: str) -> Request:
        if "content=" not in url:
            url += ("&" if "?" in url else "?") + "content=true"
        return Request(url, callback=self.parse, errback=self.on_error)
