"""RSS 2.0 / Atom / Indeed-style XML job feeds: one JobPostingItem per item, entry or job.

Parsing lives in lmi.crawler.feeds (lxml). A document that is not a feed yields a PageProblemItem
(kind "bad_feed"); an entry without title or description is left to the validation pipeline.
"""

from __future__ import annotations

from collections.abc import Iterator

from scrapy.http import Response

from lmi.crawler.feeds import FeedError, entry_url, feed_item, parse_feed
from lmi.crawler.items import JobPostingItem, PageProblemItem
from lmi.crawler.spiders.base import SourceSpider, utcnow


class FeedSpider(SourceSpider):
    """Crawl job feed URLs (no link following: a feed lists its postings)."""

    name = "feed"
    family = "feed"

    def parse(self, response: Response, **kwargs: object
              ) -> Iterator[JobPostingItem | PageProblemItem]:
        try:
            feed = parse_feed(response.body)
        except FeedError as exc:
            yield self.problem(response.url, "bad_feed", str(exc), response.body[:300])
            return
        if not feed.entries:
            yield self.problem(response.url, "empty_feed", f"{feed.kind} feed without entries",
                               response.body[:300])
        fetched_at = utcnow()
        for index, record in enumerate(feed.entries):
            url = response.urljoin(entry_url(record, response.url, index))
            yield feed_item(record, source_id=self.source_id, url=url, fetched_at=fetched_at)
