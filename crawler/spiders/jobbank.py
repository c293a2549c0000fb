"""Canada's Job Bank (jobbank.gc.ca / guichetemplois.gc.ca): search results, then postings.

Search pages (/jobsearch/jobsearch?searchstring=...&page=N) list result articles linking to
/jobsearch/jobposting/<id> (French: /rechercheemplois/offredemploi/<id>); the spider follows
them and the next result pages. Posting pages carry schema.org JobPosting as RDFa/microdata
and/or JSON-LD, read with lmi.crawler.jsonld; the NOC code, job number and description fall
back to the page's own markup when the structured data lacks them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from scrapy.http import Request, Response, TextResponse

from lmi.crawler.items import JobPostingItem, PageProblemItem
from lmi.crawler.jsonld import extract_jobpostings, to_item
from lmi.crawler.spiders.base import SourceSpider, utcnow

POSTING_RE = re.compile(r"/(?:jobsearch/jobposting|rechercheemplois/offredemploi)/(\d+)")
SEARCH_RE = re.compile(r"/(?:jobsearch/jobsearch|rechercheemplois/rechercheemplois)\b")
_NOC_RE = re.compile(r"\bNOC(?:\s+2021)?\s*:?\s*(\d{5})\b|\bCNP(?:\s+2021)?\s*:?\s*(\d{5})\b")
_JOB_NUMBER_RE = re.compile(r"(?:Job number|Numéro de l'offre|Numéro de l’offre)\s*:?\s*(\d+)",
                            re.IGNORECASE)


def posting_url(url: str) -> str | None:
    """Canonical posting URL (no ;jsessionid, no ?source=...) or None if not a posting link."""
    parts = urlsplit(url)
    match = POSTING_RE.search(parts.path)
    if match is None:
        return None
    path = parts.path[:match.end()]
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _page_number(url: str) -> int:
    try:
        return int(dict(parse_qsl(urlsplit(url).query)).get("page", 1))
    except ValueError:
        return 1


class JobBankSpider(SourceSpider):
    """Start from Job Bank search URLs (or posting URLs); yield one item per posting page."""

    name = "jobbank"
    family = "jobbank"

    def parse(self, response: Response, **kwargs: object
              ) -> Iterator[Request | JobPostingItem | PageProblemItem]:
        if POSTING_RE.search(urlsplit(response.url).path):
            yield from self.parse_posting(response)
        else:
            yield from self.parse_search(response)

    # ------------------------------------------------------------------ search results

    def parse_search(self, response: Response) -> Iterator[Request | PageProblemItem]:
        if not isinstance(response, TextResponse):
            yield self.problem(response.url, "not_html", "search page is not HTML")
            return
        links = response.css("article a.resultJobItem::attr(href)").getall() or \
            response.xpath("//a[contains(@href, '/jobposting/') or "
                           "contains(@href, '/offredemploi/')]/@href").getall()
        postings = dict.fromkeys(u for u in (posting_url(response.urljoin(h)) for h in links)
                                 if u and self._same_host(u, response.url))
        for url in postings:
            yield Request(url, callback=self.parse_posting, errback=self.on_error)
        if not postings and not response.css("article"):
            yield self.problem(response.url, "no_results", "search page without result articles",
                               response.text[:300])
        for url in self._next_pages(response):
            yield Request(url, callback=self.parse_search, errback=self.on_error)

    def _next_pages(self, response: TextResponse) -> list[str]:
        current = _page_number(response.url)
        hrefs = response.css("link[rel~=next]::attr(href), a[rel~=next]::attr(href), "
                             "a#moreresultbutton::attr(href)").getall()
        hrefs += [h for h in response.css("a[href*='page=']::attr(href)").getall()]
        found = []
        for href in hrefs:
            url = response.urljoin(href)
            if (self._same_host(url, response.url) and SEARCH_RE.search(urlsplit(url).path)
                    and _page_number(url) == current + 1):
                found.append(url.split("#", 1)[0])
        return list(dict.fromkeys(found))

    @staticmethod
    def _same_host(url: str, other: str) -> bool:
        return urlsplit(url).netloc.lower() == urlsplit(other).netloc.lower()

    # ------------------------------------------------------------------ posting pages

    def parse_posting(self, response: Response
                      ) -> Iterator[JobPostingItem | PageProblemItem]:
        if not isinstance(response, TextResponse):
            yield self.problem(response.url, "not_html", "posting page is not HTML")
            return
        found = extract_jobpostings(response.text)
        url = posting_url(response.url) or response.url
        if not found.postings:
            kind = "malformed_jsonld" if found.errors else "no_jsonld"
            yield self.problem(url, kind, "; ".join(found.errors) or "no JobPosting markup",
                               response.text[:300])
            return
        item = to_item(found.postings[0], source_id=self.source_id, url=url,
                       fetched_at=utcnow())
        page_text = " ".join(response.xpath("//body//text()").getall())
        if not item.occupational_category:
            noc = response.css(".aa_jobbank_job_noccode::text, [property='occupationalCategory']"
                               "::text").get()
            match = _NOC_RE.search(page_text)
            item.occupational_category = (noc or "").strip() or (
                next(g for g in match.groups() if g) if match else None)
        if not item.identifier:
            match = _JOB_NUMBER_RE.search(page_text)
            item.identifier = match.group(1) if match else POSTING_RE.search(url).group(1)
        if not (item.description_html or "").strip():
            blocks = response.css(".job-posting-detail-requirements").getall()
            item.description_html = "\n".join(blocks) or None
        yield item
