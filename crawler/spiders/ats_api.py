"""One spider class for the JSON job-board APIs; greenhouse/lever/ashby subclass it."""

from __future__ import annotations

from collections.abc import Iterator

from scrapy.http import Request, Response

from lmi.crawler.ats import parse_board
from lmi.crawler.items import JobPostingItem, PageProblemItem
from lmi.crawler.spiders.base import SourceSpider, utcnow


class AtsApiSpider(SourceSpider):
    """Fetch a board's API URL(s), yield one JobPostingItem per listed record."""

    family = "ats"

    def parse(self, response: Response, **kwargs: object
              ) -> Iterator[JobPostingItem | PageProblemItem | Request]:
        data, problem = self.decode_json(response)
        if problem is not None:
            yield problem
            return
        board = parse_board(self.family, data, source_id=self.source_id, url=response.url,
                            fetched_at=utcnow())
        yield from board.items
        yield from board.problems
        yield from self.next_pages(response, data, board.records)

    def next_pages(self, response: Response, data: object, records: int) -> Iterator[Request]:
        """Requests for further pages of the same board (none: these APIs return all jobs)."""
        return iter(())
