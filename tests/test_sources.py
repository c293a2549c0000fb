"""The sources file and `lmi sources`."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from urllib.parse import urlsplit

import pytest
import yaml
from typer.testing import CliRunner

from lmi.cli.main import app
from lmi.sources import ATS_API, Source, SourcesError, is_due, load_sources

runner = CliRunner()


def test_add_list_remove_roundtrip(tmp_path):
    path = tmp_path / "sources.yaml"
    r = runner.invoke(app, ["sources", "add", "acme", "--family", "jsonld", "--sitemap",
                            "--url", "https://acme.example/sitemap.xml", "--sources", str(path),
                            "--contact", "ops@college.example"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["sources", "add", "shop", "--family", "greenhouse", "--token", "shop",
                            "--sources", str(path)])
    assert r.exit_code == 0, r.output
    data = yaml.safe_load(path.read_text())
    assert data["contact"] == "ops@college.example"
    sf = load_sources(path)
    assert [s.id for s in sf.sources] == ["acme", "shop"]
    api = ATS_API["greenhouse"]     # the real API address: built, never requested here
    assert sf.get("shop").start_urls() == [api.format(token="shop")]
    assert sf.get("shop").allowed_domains() == [urlsplit(api).hostname]
    r = runner.invoke(app, ["sources", "list", "--sources", str(path), "--format", "json"])
    assert '"acme"' in r.output and '"greenhouse"' in r.output
    r = runner.invoke(app, ["sources", "remove", "acme", "--sources", str(path)])
    assert r.exit_code == 0
    assert [s.id for s in load_sources(path).sources] == ["shop"]


@pytest.mark.parametrize("args, message", [
    (["bad id!", "--family", "jsonld", "--url", "https://a.example/"], "source id"),
    (["x", "--family", "myspace", "--url", "https://a.example/"], "not one of"),
    (["x", "--family", "lever"], "--token"),
    (["x", "--family", "jsonld", "--url", "ftp://a.example/"], "not an http"),
])
def test_add_rejects_bad_sources(tmp_path, args, message):
    r = runner.invoke(app, ["sources", "add", *args, "--sources", str(tmp_path / "s.yaml")])
    assert r.exit_code == 2
    assert message in r.output
    assert not (tmp_path / "s.yaml").exists()


def test_duplicate_id_and_bad_file(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("sources:\n  - {id: a, family: jsonld, urls: ['https://a.example/'], x: 1}\n")
    with pytest.raises(SourcesError, match="unknown keys"):
        load_sources(path)
    path.write_text("sources: [\n")
    with pytest.raises(SourcesError, match="not valid YAML"):
        load_sources(path)


def test_is_due():
    s = Source(id="a", family="jsonld", urls=["https://a.example/"], every_hours=24)
    now = dt.datetime(2026, 11, 23, 2, 30)
    assert is_due(s, None, now)
    assert not is_due(s, now - dt.timedelta(hours=5), now)
    assert is_due(s, now - dt.timedelta(hours=23, minutes=30), now)  # timer slack
    s.enabled = False
    assert not is_due(s, None, now)


def test_check_fetches_local_fixture(tmp_path):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            code = 200 if self.path == "/ok" else 404
            self.send_response(code)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html></html>")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    path = tmp_path / "s.yaml"
    try:
        for sid, p in (("good", "/ok"), ("gone", "/missing")):
            assert runner.invoke(app, ["sources", "add", sid, "--family", "jsonld", "--url",
                                       base + p, "--sources", str(path)]).exit_code == 0
        r = runner.invoke(app, ["sources", "check", "good", "--fetch", "--sources", str(path)])
        assert r.exit_code == 0, r.output
        assert "HTTP 200" in r.output
        r = runner.invoke(app, ["sources", "check", "--fetch", "--sources", str(path)])
        assert r.exit_code == 1
        assert "HTTP 404" in r.output
    finally:
        server.shutdown()
