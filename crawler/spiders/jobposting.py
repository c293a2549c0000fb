"""Generic schema.org JobPosting spider: sitemap mode or listing mode. Parses only, no NLP.

Listing mode starts from listing URLs, follows rel="next" and same-host links under the start
path (or matching LMI_ALLOW), and yields a JobPostingItem per JobPosting found. Sitemap mode
reads sitemap.xml (or robots.txt Sitemap: lines, sitemap indexes, .gz) and visits every URL on
the start host as a detail page. A page that should hold a posting but has none (or only
malformed JSON-LD) yields a PageProblemItem.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from lmi.crawler.items import JobPostingItem, PageProblemItem
from lmi.crawler.jsonld import extract_jobpostings, to_item
from lmi.crawler.spiders.base import SourceSpider

_SKIP_EXT = re.compile(r"\.(pdf|docx?|xlsx?|zip|gz|png|jpe?g|gif|svg|webp|css|js|ico|mp4|mp3)$",
                       re.IGNORECASE)
LISTING_MIN_LINKS = 3   # a page without postings but with this many job links is a listing


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class JobPostingSpider(SourceSpider):
    """Crawl one source's postings. Arguments: start_urls, source_id, sitemap, allow."""

    name = "jobposting"
    family = "jsonld"

    def __init__(self, start_urls: str | Iterable[str] = (), source_id: str = "",
                 sitemap: bool | str = False, allow: str | None = None, **kwargs: Any) -> None:
        super().__init__(start_urls, source_id, sitemap, allow, **kwargs)
        self.hosts = {urlsplit(u).netloc.lower() for u in self.start_urls}
        self.prefixes = [self._prefix(u) for u in self.start_urls]
        self.allow = re.compile(allow) if allow else None

    @staticmethod
    def _prefix(url: str) -> str:
        """Path prefix to stay under: '/jobs' for /jobs or /jobs?page=1, '' for the site root."""
        path = urlsplit(url).path
        if path.endswith((".xml", ".html", ".htm", ".txt")):
            path = path.rsplit("/", 1)[0]
        return path.rstrip("/")

    # ------------------------------------------------------------------ start

    def start_requests(self) -> Iterator[Request]:
        for url in self.start_urls:
            if not self.sitemap:
                yield Request(url, callback=self.parse_page, errback=self.on_error,
                              cb_kwargs={"is_start": True})
            elif url.rstrip("/").endswith("robots.txt"):
                yield Request(url, callback=self.parse_robots, errback=self.on_error)
            else:
                yield Request(url, callback=self.parse_sitemap, errback=self.on_error)

    async def start(self) -> AsyncIterator[Request]:  # Scrapy >= 2.13
        for request in self.start_requests():
            yield request

    # ------------------------------------------------------------------ sitemap mode

    def parse_robots(self, response: Response) -> Iterator[Request]:
        for url in sitemap_urls_from_robots(response.text, base_url=response.url):
            yield Request(url, callback=self.parse_sitemap, errback=self.on_error)

    def parse_sitemap(self, response: Response) -> Iterator[Request | PageProblemItem]:
        body = response.body
        if response.url.endswith(".gz") or body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body)
            except OSError as exc:
                yield self._problem(response.url, "bad_sitemap", str(exc), body[:200])
                return
        try:
            sitemap = Sitemap(body)
        except Exception as exc:  # noqa: BLE001 - lxml raises several types
            yield self._problem(response.url, "bad_sitemap", str(exc), body[:200])
            return
        for entry in sitemap:
            loc = entry.get("loc")
            if not loc or not self._same_host(loc):
                continue
            if sitemap.type == "sitemapindex":
                yield Request(loc, callback=self.parse_sitemap, errback=self.on_error)
            else:
                yield Request(loc, callback=self.parse_detail, errback=self.on_error)

    def parse_detail(self, response: Response) -> Iterator[JobPostingItem | PageProblemItem]:
        items, problem = self._postings(response)
        yield from items
        if problem is not None:
            yield problem

    # ------------------------------------------------------------------ listing mode

    def parse_page(self, response: Response,
                   is_start: bool = False) -> Iterator[Request | JobPostingItem | PageProblemItem]:
        items, problem = self._postings(response)
        yield from items
        if not isinstance(response, TextResponse):
            if problem is not None:
                yield problem
            return
        next_links = self._rel_links(response, ("next", "prev"))
        links = [u for u in self._links(response) if self._follow(u)]
        for url in dict.fromkeys(next_links + links):
            yield Request(url, callback=self.parse_page, errback=self.on_error)
        looks_like_listing = is_start or bool(next_links) or len(links) >= LISTING_MIN_LINKS
        if problem is not None and (problem.kind != "no_jsonld" or not looks_like_listing):
            yield problem

    def _rel_links(self, response: TextResponse, rels: tuple[str, ...]) -> list[str]:
        found = []
        for node in response.xpath("//link[@href] | //a[@href]"):
            rel = (node.attrib.get("rel") or "").lower().split()
            if any(r in rel for r in rels):
                url = response.urljoin(node.attrib["href"])
                if self._same_host(url):
                    found.append(url.split("#", 1)[0])
        return found

    def _links(self, response: TextResponse) -> list[str]:
        hrefs = response.xpath("//a/@href").getall()
        return [response.urljoin(h).split("#", 1)[0] for h in hrefs
                if not h.startswith(("mailto:", "tel:", "javascript:"))]

    def _follow(self, url: str) -> bool:
        if not self._same_host(url) or _SKIP_EXT.search(urlsplit(url).path):
            return False
        if self.allow is not None:
            return bool(self.allow.search(url))
        path = urlsplit(url).path
        return any(not p or path == p or path.startswith(p + "/") for p in self.prefixes)

    def _same_host(self, url: str) -> bool:
        return urlsplit(url).netloc.lower() in self.hosts

    # ------------------------------------------------------------------ shared

    def _postings(self, response: Response
                  ) -> tuple[list[JobPostingItem], PageProblemItem | None]:
        """Items for every JobPosting on the page, or the problem that explains why none."""
        if not isinstance(response, TextResponse):
            kind = response.headers.get("Content-Type", b"").decode(errors="ignore")
            return [], self._problem(response.url, "not_html", kind)
        found = extract_jobpostings(response.text)
        fetched_at = _now()
        items = []
        for index, posting in enumerate(found.postings):
            url = response.url
            own = posting.get("url")
            if len(found.postings) > 1:
                url = response.urljoin(own) if isinstance(own, str) and own else (
                    f"{response.url}#posting-{index + 1}")
            items.append(to_item(posting, source_id=self.source_id, url=url,
                                 fetched_at=fetched_at))
        if items:
            return items, None
        if found.errors:
            return [], self._problem(response.url, "malformed_jsonld", "; ".join(found.errors),
                                     response.text[:300])
        detail = f"{found.blocks} ld+json block(s), no JobPosting" if found.blocks else \
            "no ld+json block"
        return [], self._problem(response.url, "no_jsonld", detail, response.text[:300])

    def _problem(self, url: str, kind: str, detail: str = "",
                 sample: str | bytes = "") -> PageProblemItem:
        if isinstance(sample, bytes):
            sample = sample.decode("utf-8", errors="replace")
        return PageProblemItem(source_id=self.source_id, url=url, kind=kind, detail=detail[:500],
                               sample=sample[:300])

    def on_error(self, failure: Any) -> Iterator[PageProblemItem]:
        """Turn a failed request (HTTP error, DNS, timeout) into a counted problem."""
        request = failure.request
        if failure.check(HttpError):
            status = failure.value.response.status
            yield self._problem(request.url, "http_error", f"HTTP {status}")
        else:
            yield self._problem(request.url, "fetch_error",
                                f"{failure.type.__name__}: {failure.getErrorMessage()}"[:500])
