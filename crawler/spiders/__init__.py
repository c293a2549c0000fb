"""One spider per source family; `spider_for(family)` picks the class."""

from __future__ import annotations

from importlib import import_module

# family -> "module:Class" (imported lazily so one broken spider cannot break the others)
SPIDERS: dict[str, str] = {
    "jsonld": "lmi.crawler.spiders.jobposting:JobPostingSpider",
    "greenhouse": "lmi.crawler.spiders.greenhouse:GreenhouseSpider",
    "lever": "lmi.crawler.spiders.lever:LeverSpider",
    "ashby": "lmi.crawler.spiders.ashby:AshbySpider",
    "jobbank": "lmi.crawler.spiders.jobbank:JobBankSpider",
    "feed": "lmi.crawler.spiders.feed:FeedSpider",
}


def spider_for(family: str) -> type:
    """The spider class for a source family."""
    try:
        module, cls = SPIDERS[family].split(":")
    except KeyError:
        raise ValueError(f"no spider for family {family!r}; known: {', '.join(SPIDERS)}") from None
    return getattr(import_module(module), cls)
