"""Ashby posting API: GET api.ashbyhq.com/posting-api/job-board/{name}?includeCompensation=true.

One response holds the whole board ({"jobs": [...], "apiVersion": ...}); unlisted jobs
(isListed false) are skipped. Parsing lives in lmi.crawler.ats.ashby_item.
"""

from __future__ import annotations

from scrapy.http import Request

from lmi.crawler.spiders.ats_api import AtsApiSpider


class AshbySpider(AtsApiSpider):
    """Crawl Ashby job-board API URLs (includeCompensation=true is added when missing)."""

    name = "ashby"
    family = "ashby"

    def first_request(self, url: str) -> Request:
        if "includeCompensation=" not in url:
            url += ("&" if "?" in url else "?") + "includeCompensation=true"
        return Request(url, callback=self.parse, errback=self.on_error)
