"""The sources file: which sites to crawl, with which spider family, how often.

A YAML file (default ./lmi-sources.yaml, or $LMI_SOURCES) managed by `lmi sources`:

    contact: ops@college.example        # put into the crawler's User-Agent
    sources:
      - id: acme-careers
        family: jsonld                    # jsonld | greenhouse | lever | ashby | jobbank | feed
        urls: [https://careers.acme.example/sitemap.xml]
        sitemap: true
      - id: shopify-greenhouse
        family: greenhouse
        token: shopify                    # board token / company / board name for ATS APIs
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

FAMILIES = ("jsonld", "greenhouse", "lever", "ashby", "jobbank", "feed")
ATS_API = {
    "greenhouse": "https://boards-api.greenhouse.io/v1/boards/{token}/jobs?content=true",
    "lever": "https://api.lever.co/v0/postings/{token}?mode=json",
    "ashby": "https://api.ashbyhq.com/posting-api/job-board/{token}?includeCompensation=true",
}
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


class SourcesError(ValueError):
    """The sources file or a source definition is invalid."""


@dataclass
class Source:
    """One configured source of postings."""

    id: str
    family: str
    urls: list[str] = field(default_factory=list)
    token: str | None = None
    sitemap: bool = False
    every_hours: float = 24.0
    expire_after_missed: int = 3
    enabled: bool = True

    def start_urls(self) -> list[str]:
        """Where the spider starts: the configured URLs, or the ATS API URL built from the token."""
        if self.urls:
            return list(self.urls)
        if self.family in ATS_API and self.token:
            return [ATS_API[self.family].format(token=self.token)]
        return []

    def allowed_domains(self) -> list[str]:
        """Hosts this source may fetch from; nothing else is followed."""
        return sorted({urlsplit(u).hostname or "" for u in self.start_urls()} - {""})

    def validate(self) -> None:
        if not _ID.match(self.id):
            raise SourcesError(f"source id {self.id!r}: use lower-case letters, digits, - _ .")
        if self.family not in FAMILIES:
            raise SourcesError(f"source {self.id}: family {self.family!r} is not one of "
                               f"{', '.join(FAMILIES)}")
        urls = self.start_urls()
        if not urls:
            need = "--token" if self.family in ATS_API else "--url"
            raise SourcesError(f"source {self.id}: no start URL (give {need})")
        for u in urls:
            if urlsplit(u).scheme not in ("http", "https"):
                raise SourcesError(f"source {self.id}: {u!r} is not an http(s) URL")


@dataclass
class SourcesFile:
    path: Path
    contact: str | None = None
    sources: list[Source] = field(default_factory=list)

    def get(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        known = ", ".join(s.id for s in self.sources) or "none"
        raise SourcesError(f"no source {source_id!r} in {self.path} (known: {known})")

    def add(self, source: Source, *, replace: bool = False) -> None:
        source.validate()
        existing = [s for s in self.sources if s.id == source.id]
        if existing and not replace:
            raise SourcesError(f"source {source.id!r} already exists in {self.path}")
        self.sources = [s for s in self.sources if s.id != source.id] + [source]

    def save(self) -> None:
        """Write atomically (temp file, then rename), so a crash never leaves half a file."""
        data: dict[str, Any] = {"contact": self.contact, "sources": []}
        for s in self.sources:
            d = {k: v for k, v in asdict(s).items() if v not in (None, [], "")}
            data["sources"].append(d)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        os.replace(tmp, self.path)


def sources_path(explicit: str | os.PathLike | None = None) -> Path:
    return Path(explicit or os.environ.get("LMI_SOURCES") or "lmi-sources.yaml")


def load_sources(path: str | os.PathLike | None = None, *, must_exist: bool = False) -> SourcesFile:
    """Read and validate the sources file; a missing file is an empty list unless must_exist."""
    target = sources_path(path)
    if not target.exists():
        if must_exist:
            raise SourcesError(f"no sources file at {target}; create one with `lmi sources add`")
        return SourcesFile(path=target)
    try:
        data = yaml.safe_load(target.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SourcesError(f"{target}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("sources", []), list):
        raise SourcesError(f"{target}: expected a mapping with a `sources:` list")
    out = SourcesFile(path=target, contact=data.get("contact"))
    for i, raw in enumerate(data.get("sources") or [], start=1):
        if not isinstance(raw, dict) or "id" not in raw or "family" not in raw:
            raise SourcesError(f"{target}: source #{i} needs at least `id` and `family`")
        unknown = set(raw) - set(Source.__dataclass_fields__)
        if unknown:
            raise SourcesError(f"{target}: source {raw['id']}: unknown keys {sorted(unknown)}")
        source = Source(**raw)
        source.validate()
        out.sources.append(source)
    return out


def is_due(source: Source, last_finished: dt.datetime | None, now: dt.datetime) -> bool:
    """A source is due when enabled and its interval has passed since its last finished crawl."""
    if not source.enabled:
        return False
    if last_finished is None:
        return True
    # a little slack so that a nightly timer that fires a few minutes early still crawls
    return now - last_finished >= dt.timedelta(hours=source.every_hours) - dt.timedelta(hours=1)
