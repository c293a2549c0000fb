"""A small threaded HTTP server on 127.0.0.1 that serves canned responses to tests.

    routes = {"/v1/boards/acme/jobs": (200, {"Content-Type": "application/json"}, body),
              "/v0/postings/acme?limit=2&mode=json&skip=0": b"[...]"}
    with FixtureServer(routes) as server:
        server.url("/v1/boards/acme/jobs")  # -> http://127.0.0.1:<free port>/v1/boards/acme/jobs

A route key is a path, or a path plus query (matched with its parameters in any order, which
wins over the bare path). A value is (status, headers, body), or just a body (200, with a
content type guessed from the path). Unknown paths answer 404. `server.hits` lists the
requested paths (with query) in order.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

Route = tuple[int, Mapping[str, str], bytes]
_TYPES = {".json": "application/json", ".xml": "application/xml", ".html": "text/html",
          ".rss": "application/rss+xml", ".atom": "application/atom+xml", ".txt": "text/plain"}


def _key(target: str) -> str:
    parts = urlsplit(target)
    query = sorted(parse_qsl(parts.query, keep_blank_values=True))
    return parts.path + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "")


def _route(path: str, value: Any) -> Route:
    if isinstance(value, tuple):
        status, headers, body = value
        return status, dict(headers), body.encode("utf-8") if isinstance(body, str) else body
    body = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    ctype = _TYPES.get(Path(urlsplit(path).path).suffix, "text/html")
    if ctype.startswith(("text/", "application/json")):
        ctype += "; charset=utf-8"
    return 200, {"Content-Type": ctype}, body


class FixtureServer:
    """Context manager: start on a free port, serve `routes`, stop on exit."""

    def __init__(self, routes: Mapping[str, Any]) -> None:
        self.routes = {_key(path): _route(path, value) for path, value in routes.items()}
        self.hits: list[str] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        if self._server is None:
            raise RuntimeError("server not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        return self.base + path

    def lookup(self, target: str) -> Route:
        key = _key(target)
        return self.routes.get(key) or self.routes.get(urlsplit(key).path) or (
            404, {"Content-Type": "text/plain"}, b"not found")

    def __enter__(self) -> FixtureServer:
        server_ref = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                server_ref.hits.append(self.path)
                status, headers, body = server_ref.lookup(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
