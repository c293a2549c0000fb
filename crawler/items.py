"""Typed items the spiders yield. Spiders parse; pipelines validate and store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass
class JobPostingItem:
    """One job posting as published by its source, plus where and when it was fetched."""

    source_id: str
    url: str
    fetched_at: datetime
    jsonld: dict[str, Any]                 # the raw schema.org object (or the API record)
    title: str | None = None
    employer: str | None = None
    description_html: str | None = None
    date_posted: date | None = None
    valid_through: datetime | None = None
    location_raw: str | None = None
    address_locality: str | None = None
    address_region: str | None = None
    address_country: str | None = None
    postal_code: str | None = None
    remote: bool | None = None
    industry: str | None = None
    occupational_category: str | None = None
    employment_type: str | None = None
    salary: dict[str, Any] | None = None  # {"currency","min","max","value","unit"}
    identifier: str | None = None


@dataclass
class PageProblemItem:
    """A page that yielded no valid posting (no or malformed JSON-LD, ...): counted and logged."""

    source_id: str
    url: str
    kind: str                              # no_jsonld | malformed_jsonld | invalid | http_error ...
    detail: str = ""
    sample: str = ""                       # first bytes of the offending content, for debugging
    extra: dict[str, Any] = field(default_factory=dict)
