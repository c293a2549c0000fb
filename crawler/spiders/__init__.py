"""One spider per source family; `spider_for(family)` picks the class."""

from __future__ import annotations

from importlib import import_module

# family -> "module:Class" (imported lazily so one broken spider cannot break the others)
SPIDERS: dict[str, str] = {
    "jsonld": "lmi.crawler.spiders.jobposting:JobPostingSpider",
}


def spider_for(family: str) -> type:
    """The spider class for a source family."""
    try:
        module, cls = SPIDERS[family].split(":")
    except KeyError:
        raise ValueError(f"no spider for family {family!r}; known: {', '.join(SPIDERS)}") from None
    return getattr(import_module(module), cls)
