"""A local job board on 127.0.0.1 that publishes postings as schema.org JobPosting pages.

Serves /robots.txt, /sitemap.xml, paginated /jobs?page=N listings and /jobs/<id> detail pages
with JSON-LD, ETag and Last-Modified. A few problem pages (no JSON-LD, malformed JSON-LD) are
linked from the listings so a crawler's problem counting is exercised.
"""

from __future__ import annotations

import hashlib
import html
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

# Pages linked from the listings that carry no usable JobPosting: (path -> HTML).
DEFAULT_PROBLEM_PAGES: dict[str, str] = {
    "/jobs/filled-1": "<html><head><title>Position filled</title></head><body>"
                      "<h1>This position has been filled</h1><p>Thank you for your interest."
                      "</p><a href=\"/jobs\">All jobs</a></body></html>",
    "/jobs/filled-2": "<html><head><title>Job closed</title></head><body>"
                      "<h1>Sorry, this job is no longer accepting applications</h1></body></html>",
    "/jobs/broken-1": "<html><head><title>Warehouse Lead</title>"
                      "<script type=\"application/ld+json\">{\"@context\": \"https://schema.org\","
                      " \"@type\": \"JobPosting\", \"title\": \"Warehouse Lead\", \"description\":"
                      " \"<p>Lead a team</p>\", </script></head><body><h1>Warehouse Lead</h1>"
                      "</body></html>",
}


class _Page(NamedTuple):
    body: bytes
    content_type: str
    etag: str | None = None
    last_modified: str | None = None


def _drop_none(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v is not None}


def jobposting_jsonld(posting: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """The schema.org JobPosting object published for one posting dict from the board."""
    address = _drop_none({
        "@type": "PostalAddress", "addressLocality": posting.get("city"),
        "addressRegion": posting.get("province"), "postalCode": posting.get("postal_code"),
        "addressCountry": posting.get("country", "CA"),
    })
    obj: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": posting["title"],
        "description": posting["description"],
        "datePosted": posting.get("datePosted"),
        "validThrough": posting.get("validThrough"),
        "url": base_url + posting["url"],
        "hiringOrganization": {"@type": "Organization", "name": posting.get("employer")},
        "jobLocation": {"@type": "Place", "address": address},
        "jobLocationType": posting.get("jobLocationType"),
        "employmentType": posting.get("employmentType"),
        "baseSalary": posting.get("baseSalary"),
        "identifier": posting.get("identifier"),
        "industry": posting.get("industry"),
        "occupationalCategory": posting.get("occupationalCategory"),
        "inLanguage": posting.get("language"),
    }
    if posting.get("jobLocationType") == "TELECOMMUTE":
        obj["applicantLocationRequirements"] = {"@type": "Country", "name": "Canada"}
    return _drop_none(obj)


def _detail_page(posting: Mapping[str, Any], base_url: str) -> _Page:
    data = json.dumps(jobposting_jsonld(posting, base_url), ensure_ascii=False)
    data = data.replace("</", "<\\/")
    title = html.escape(posting["title"])
    body = (
        f"<!doctype html><html lang=\"{posting.get('language', 'en')}\"><head>"
        f"<meta charset=\"utf-8\"><title>{title} - {html.escape(posting['employer'])}</title>"
        f"<script type=\"application/ld+json\">{data}</script></head><body>"
        f"<h1>{title}</h1><p>{html.escape(posting['employer'])} - "
        f"{html.escape(posting.get('city') or '')}, {posting.get('province') or ''}</p>"
        f"<div class=\"description\">{posting['description']}</div>"
        "<p><a href=\"/jobs\">All jobs</a></p></body></html>"
    ).encode()
    posted = date.fromisoformat(posting["datePosted"])
    last_modified = format_datetime(
        datetime(posted.year, posted.month, posted.day, tzinfo=UTC), usegmt=True)
    etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
    return _Page(body, "text/html; charset=utf-8", etag, last_modified)


def _listing_page(number: int, total: int, items: list[tuple[str, str]]) -> _Page:
    links = []
    if number > 1:
        prev = "/jobs" if number == 2 else f"/jobs?page={number - 1}"
        links.append(f"<link rel=\"prev\" href=\"{prev}\">")
    if number < total:
        links.append(f"<link rel=\"next\" href=\"/jobs?page={number + 1}\">")
    rows = "".join(f"<li><a href=\"{href}\">{html.escape(text)}</a></li>" for href, text in items)
    nav = "".join(
        f"<a rel=\"{rel}\" href=\"{href}\">{label}</a> "
        for rel, href, label, ok in (
            ("prev", f"/jobs?page={number - 1}", "Previous", number > 1),
            ("next", f"/jobs?page={number + 1}", "Next", number < total),
        ) if ok
    )
    body = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>Jobs - page {number}"
            f"</title>{''.join(links)}</head><body><h1>Jobs (page {number} of {total})</h1>"
            f"<ul class=\"jobs\">{rows}</ul><nav>{nav}</nav></body></html>")
    return _Page(body.encode("utf-8"), "text/html; charset=utf-8")


def _build_site(postings: list[Mapping[str, Any]], base_url: str, page_size: int,
                extra_pages: Mapping[str, str]) -> dict[str, _Page]:
    """Listings, sitemap, robots and extra pages; detail pages are rendered per request."""
    site: dict[str, _Page] = {}
    for path, body in extra_pages.items():
        site[path] = _Page(body.encode("utf-8"), "text/html; charset=utf-8")
    entries = [(p["url"], f"{p['title']} - {p['employer']}") for p in postings]
    # spread the problem pages over the listings, one every few postings
    for i, path in enumerate(extra_pages):
        entries.insert(min(len(entries), 7 + i * 11), (path, path.rsplit("/", 1)[-1]))
    pages = max(1, -(-len(entries) // page_size))
    for number in range(1, pages + 1):
        chunk = entries[(number - 1) * page_size: number * page_size]
        site[f"/jobs?page={number}"] = _listing_page(number, pages, chunk)
    site["/jobs"] = site["/jobs?page=1"]
    site["/"] = _Page(b"<!doctype html><html><body><h1>LMI demo job board</h1>"
                      b"<a href=\"/jobs\">Browse jobs</a></body></html>", "text/html")
    site["/robots.txt"] = _Page(
        f"User-agent: *\nAllow: /\nSitemap: {base_url}/sitemap.xml\n".encode(), "text/plain")
    urls = [(p["url"], p.get("datePosted")) for p in postings]
    urls += [(path, None) for path in extra_pages]
    xml = "".join(
        f"<url><loc>{html.escape(base_url + path)}</loc>"
        + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "") + "</url>"
        for path, lastmod in urls
    )
    site["/sitemap.xml"] = _Page(
        ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
         "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
         f"{xml}</urlset>").encode(), "application/xml")
    return site


def _handler(site: dict[str, _Page], details: Mapping[str, Mapping[str, Any]],
             base_url: list[str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            pass

        def _lookup(self) -> _Page | None:
            parts = urlsplit(self.path)
            path = parts.path.rstrip("/") or "/"
            if path == "/jobs":
                page = parse_qs(parts.query).get("page", ["1"])[0]
                return site.get(f"/jobs?page={page}")
            if path in details:  # rendered now, so edits to a posting dict show up
                return _detail_page(details[path], base_url[0])
            return site.get(path)

        def _send(self, head_only: bool) -> None:
            page = self._lookup()
            if page is None:
                body = b"<html><body><h1>404 Not Found</h1></body></html>"
                self.send_response(404)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head_only:
                    self.wfile.write(body)
                return
            if page.etag and self.headers.get("If-None-Match") == page.etag:
                self.send_response(304)
                self.send_header("ETag", page.etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", page.content_type)
            self.send_header("Content-Length", str(len(page.body)))
            if page.etag:
                self.send_header("ETag", page.etag)
            if page.last_modified:
                self.send_header("Last-Modified", page.last_modified)
            self.end_headers()
            if not head_only:
                self.wfile.write(page.body)

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            self._send(head_only=False)

        def do_HEAD(self) -> None:  # noqa: N802 - http.server API
            self._send(head_only=True)

    return Handler


@contextmanager
def serve_board(postings: list[Mapping[str, Any]], *, page_size: int = 50,
                extra_pages: Mapping[str, str] | None = None) -> Iterator[str]:
    """Serve `postings` on 127.0.0.1 (free port) in a background thread; yield the base URL.

    `extra_pages` (path -> HTML) are served and linked from the listings; None means
    DEFAULT_PROBLEM_PAGES (two pages without JSON-LD, one with malformed JSON-LD); {} means none.
    Detail pages are rendered per request from the posting dicts, so changing a dict while
    serving changes its page (new content, new ETag); listings and sitemap stay as started.
    """
    pages = DEFAULT_PROBLEM_PAGES if extra_pages is None else extra_pages
    site: dict[str, _Page] = {}
    details = {p["url"]: p for p in postings}
    base: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site, details, base))
    server.daemon_threads = True
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    base.append(base_url)
    site.update(_build_site(list(postings), base_url, page_size, pages))
    thread = threading.Thread(target=server.serve_forever, name="lmi-demo-board", daemon=True)
    thread.start()
    try:
        yield base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
