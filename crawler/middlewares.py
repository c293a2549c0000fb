"""Downloader and spider middlewares that keep a crawl polite, on its sites, and going.

* AllowedHostsMiddleware: only the source's hosts, never private/link-local addresses (loopback
  only when the start URLs are loopback); a dropped request is a counted problem.
* ResponseGuardMiddleware: redirect loops and redirects off-site, pages over DOWNLOAD_MAXSIZE
  ("too_large"), over DOWNLOAD_WARNSIZE ("large_page") and bodies that are not valid in their
  declared encoding ("bad_encoding").
* RetryAfterMiddleware: on 429/503 pause the whole domain for Retry-After seconds (capped).
* CallbackErrorsMiddleware: an exception in a spider callback (e.g. a JSON API that changed
  shape) becomes a counted "parse_error" problem instead of a lost page.

A middleware that drops a request answers it with a synthetic response whose callback yields
the problem item, so the problem flows through the pipelines and the spider's errback never
sees it (no double counting). Problems on pages that are still processed go out through the
`problem_found` signal, which the pipelines listen to.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import signals
from scrapy.exceptions import DownloadCancelledError
from scrapy.http import Request, Response, TextResponse

from lmi.crawler.items import PageProblemItem

logger = logging.getLogger(__name__)

problem_found = object()   # signal: problem=PageProblemItem (page still processed)
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}
REDIRECT_CODES = {301, 302, 303, 307, 308}


def source_id_of(crawler: Any) -> str:
    spider = getattr(crawler, "spider", None)
    return crawler.settings.get("LMI_SOURCE_ID") or getattr(spider, "source_id", "") or ""


def report_problem(crawler: Any, url: str, kind: str, detail: str = "",
                   sample: str | bytes = "") -> None:
    """Count a problem on a page that is still processed (sent to the pipelines as a signal)."""
    crawler.signals.send_catch_log(signal=problem_found,
                                   problem=make_problem(crawler, url, kind, detail, sample))


def make_problem(crawler: Any, url: str, kind: str, detail: str = "",
                 sample: str | bytes = "") -> PageProblemItem:
    if isinstance(sample, bytes):
        sample = sample[:300].decode("utf-8", errors="replace")
    crawler.stats.inc_value(f"lmi/problem/{kind}")
    return PageProblemItem(source_id=source_id_of(crawler), url=url, kind=kind,
                           detail=detail[:500], sample=sample[:300])


def error_bodies(crawler: Any) -> dict[str, bytes]:
    """url -> first bytes of its last 4xx/5xx answer (samples for the spiders' http_error)."""
    store = getattr(crawler, "_lmi_error_bodies", None)
    if store is None:
        store = crawler._lmi_error_bodies = {}
    return store


def with_sample(crawler: Any, item: Any) -> Any:
    """Give an http_error problem without a sample the body of the error response."""
    if isinstance(item, PageProblemItem) and not item.sample:
        body = error_bodies(crawler).pop(item.url, b"")
        item.sample = body.decode("utf-8", errors="replace")[:300]
    return item


def divert(request: Request, items: Iterable[Any], *, status: int = 200,
           synthetic: bool = True) -> Response:
    """Answer `request` with a response whose callback yields `items` (and nothing else)."""
    produced = list(items)

    def callback(response: Response, **_kwargs: Any) -> Iterator[Any]:
        yield from produced

    meta = {**request.meta, "handle_httpstatus_all": True, "lmi_synthetic": synthetic}
    replaced = request.replace(callback=callback, errback=None, meta=meta, cb_kwargs={})
    return Response(url=request.url, status=status, request=replaced)


# ------------------------------------------------------------------ allowed hosts

def _host_matches(host: str, allowed: Iterable[str]) -> bool:
    return any(host == a or host.endswith("." + a) for a in allowed)


@lru_cache(maxsize=4096)
def resolve(host: str) -> tuple[str, ...]:
    """IP addresses of a host (cached); () when it does not resolve."""
    try:
        return tuple(sorted({info[4][0] for info in socket.getaddrinfo(host, None)}))
    except (socket.gaierror, UnicodeError, OSError):
        return ()


def address_problem(host: str, loopback_ok: bool) -> str | None:
    """Why `host` must not be fetched (a private, link-local... address), or None if fine."""
    for text in resolve(host):
        ip = ipaddress.ip_address(text.split("%", 1)[0])
        if ip.is_loopback:
            if not loopback_ok:
                return f"{host} resolves to loopback address {ip}"
        elif not ip.is_global:
            return f"{host} resolves to non-public address {ip}"
    return None


def is_loopback_host(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    addresses = resolve(host)
    return bool(addresses) and all(ipaddress.ip_address(a.split("%", 1)[0]).is_loopback
                                   for a in addresses)


class AllowedHostsMiddleware:
    """Drop requests to hosts outside LMI_ALLOWED_DOMAINS or to non-public addresses."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.allowed = {h.lower() for h in crawler.settings.getlist("LMI_ALLOWED_DOMAINS") if h}
        self.loopback_ok: bool | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Any) -> AllowedHostsMiddleware:
        return cls(crawler)

    def spider_opened(self, spider: Any = None) -> None:
        spider = spider or self.crawler.spider
        if not self.allowed:  # default: the hosts of the start URLs
            self.allowed = {(urlsplit(u).hostname or "").lower()
                            for u in getattr(spider, "start_urls", [])} - {""}
        self.loopback_ok = bool(self.allowed) and all(is_loopback_host(h) for h in self.allowed)

    def check(self, url: str) -> tuple[str, str] | None:
        """(kind, detail) when `url` must not be fetched, else None."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https"):
            return "offsite", f"scheme {parts.scheme!r} not allowed"
        if self.allowed and not _host_matches(host, self.allowed):
            return "offsite", f"host {host} not in allowed domains {sorted(self.allowed)}"
        reason = address_problem(host, bool(self.loopback_ok))
        return ("private_address", reason) if reason else None

    def process_request(self, request: Request, spider: Any = None) -> Response | None:
        if self.loopback_ok is None:
            self.spider_opened()
        verdict = self.check(request.url)
        if verdict is None:
            return None
        kind, detail = verdict
        self.crawler.stats.inc_value("lmi/dropped")
        logger.info("dropped %s: %s", request.url, detail)
        return divert(request, [make_problem(self.crawler, request.url, kind, detail)])


# ------------------------------------------------------------------ responses

class ResponseGuardMiddleware:
    """Redirect loops/off-site redirects, oversized pages and undecodable bodies."""

    def __init__(self, crawler: Any, hosts: AllowedHostsMiddleware) -> None:
        self.crawler = crawler
        self.hosts = hosts
        self.warnsize = crawler.settings.getint("DOWNLOAD_WARNSIZE", 0)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ResponseGuardMiddleware:
        return cls(crawler, AllowedHostsMiddleware(crawler))

    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Request | Response:
        if request.meta.get("lmi_synthetic"):
            return response
        if response.status in REDIRECT_CODES and b"Location" in response.headers:
            diverted = self._check_redirect(request, response)
            if diverted is not None:
                return diverted
        if response.status >= 400:
            bodies = error_bodies(self.crawler)
            if len(bodies) < 1000:
                bodies[response.url] = response.body[:300]
        if self.warnsize and len(response.body) > self.warnsize:
            report_problem(self.crawler, response.url, "large_page",
                           f"{len(response.body)} bytes > DOWNLOAD_WARNSIZE {self.warnsize}")
        if isinstance(response, TextResponse) and response.status == 200:
            self._check_encoding(response)
        return response

    def _check_redirect(self, request: Request, response: Response) -> Response | None:
        location = response.headers["Location"].decode("latin-1")
        target = urljoin(request.url, location)
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target.split("#", 1)[0] in {u.split("#", 1)[0] for u in chain}:
            detail = " -> ".join([*chain, target])
            return divert(request, [make_problem(self.crawler, request.url, "redirect_loop",
                                                 detail[:500])])
        if self.hosts.loopback_ok is None:
            self.hosts.spider_opened()
        verdict = self.hosts.check(target)
        if verdict is not None:
            detail = f"redirect to {target}: {verdict[1]}"
            return divert(request, [make_problem(self.crawler, request.url,
                                                 "offsite_redirect", detail)])
        return None

    def _check_encoding(self, response: TextResponse) -> None:
        try:
            response.body.decode(response.encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            start = max(0, getattr(exc, "start", 0) - 40)
            report_problem(self.crawler, response.url, "bad_encoding",
                           f"not valid {response.encoding}: {exc}",
                           response.body[start:start + 120])

    def process_exception(self, request: Request, exception: BaseException,
                          spider: Any = None) -> Response | None:
        if isinstance(exception, DownloadCancelledError) and "max size" in str(exception):
            return divert(request, [make_problem(self.crawler, request.url, "too_large",
                                                 str(exception))])
        return None


# ------------------------------------------------------------------ back-off

def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), None if absent/bad."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryAfterMiddleware:
    """Pause the domain's download slot when it answers 429/503 (Retry-After, capped)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.codes = {429, 503}
        self.cap = settings.getfloat("LMI_RETRY_AFTER_MAX", 120.0)
        self.default = settings.getfloat("LMI_BACKOFF_DEFAULT", 5.0)

    @classmethod
    def from_crawler(cls, crawler: Any) -> RetryAfterMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Response:
        if response.status not in self.codes or request.meta.get("lmi_synthetic"):
            return response
        asked = retry_after_seconds(response.headers.get("Retry-After"))
        wait = min(self.cap, self.default if asked is None else asked)
        self.crawler.stats.inc_value("lmi/backoffs")
        if wait > 0:
            self.pause(request, wait)
        return response

    def pause(self, request: Request, seconds: float) -> None:
        """Hold every queued request of the request's slot for `seconds`."""
        from scrapy.utils.asyncio import call_later

        downloader = self.crawler.engine.downloader
        key = request.meta.get("download_slot") or downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        release: Callable[..., None] | None = getattr(downloader, "_latercall", None)
        if slot is None or release is None:
            return
        if slot.latercall is not None:
            slot.latercall.cancel()
        logger.info("backing off %s for %.1f s", key, seconds)
        slot.latercall = call_later(seconds, release, slot)


# ------------------------------------------------------------------ spider side

class CallbackErrorsMiddleware:
    """A callback that raises yields a counted parse_error problem; the crawl goes on."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> CallbackErrorsMiddleware:
        return cls(crawler)

    def process_spider_exception(self, response: Response, exception: BaseException,
                                 spider: Any = None) -> Iterable[Any] | None:
        from scrapy.spidermiddlewares.httperror import HttpError

        if isinstance(exception, HttpError):
            return None
        detail = f"{type(exception).__name__}: {exception}"
        logger.warning("callback failed on %s: %s", response.url, detail)
        return [make_problem(self.crawler, response.url, "parse_error", detail,
                             response.body[:300])]
