"""Pure functions: RSS 2.0, Atom and Indeed-style XML job feeds -> JobPostingItems (lxml only).

Every item/entry/job element becomes a plain dict (child element name -> text, attributes for
empty elements such as Atom <link>, lists for repeated names), stored raw as `jsonld`, then
mapped: title, link, content/description/summary HTML, pubDate/published/updated, category,
and job extensions (<job:location>, <company>, <city>/<state>/<country>, <salary>, ...).
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any, NamedTuple

from lxml import etree

from lmi.crawler.items import JobPostingItem
from lmi.crawler.jsonld import parse_date, parse_salary_text

_HTML_FIELDS = {"content", "summary", "description", "content:encoded"}
_XMLNS_RE = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
# "Label: value" lines in summaries such as Job Bank's Atom feed
_SUMMARY_FIELD_RE = re.compile(
    r"(Location|Lieu|Employer|Employeur|Salary|Salaire|Job number|Numéro de l'offre)\s*:\s*"
    r"([^<\n]+)", re.IGNORECASE)
_REMOTE_WORDS = ("remote", "télétravail", "teletravail", "work from home")


class FeedError(ValueError):
    """The document is not an RSS, Atom or job XML feed."""


class Feed(NamedTuple):
    """The entries of one feed document and its kind (rss | atom | jobs)."""

    kind: str
    title: str | None
    entries: list[dict[str, Any]]


def _name(element: Any) -> str:
    qname = etree.QName(element)
    return f"{element.prefix}:{qname.localname}" if element.prefix else qname.localname


def _inner_markup(element: Any) -> str:
    text = html.escape(element.text or "", quote=False)
    markup = text + "".join(etree.tostring(c, encoding="unicode", with_tail=True)
                            for c in element)
    return _XMLNS_RE.sub("", markup).strip()


def element_record(element: Any) -> dict[str, Any]:
    """One feed entry as a dict: names -> text / attributes / nested dicts / lists."""
    record: dict[str, Any] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = _name(child)
        if len(child) and (name in _HTML_FIELDS or child.get("type") == "xhtml"):
            value: Any = _inner_markup(child)
        elif len(child):
            value = element_record(child)
        elif (child.text or "").strip():
            value = child.text.strip()
        elif child.attrib:
            value = dict(child.attrib)
        else:
            continue
        if name not in record:
            record[name] = value
        elif isinstance(record[name], list):
            record[name].append(value)
        else:
            record[name] = [record[name], value]
    return record


def parse_feed(body: bytes) -> Feed:
    """Parse an RSS 2.0 / Atom / Indeed <source><job> document. Raises FeedError."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(body.strip(), parser=parser)
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"not XML: {exc}") from exc
    if root is None:
        raise FeedError("not XML")
    local = etree.QName(root).localname.lower()
    if local == "rss" or local == "rdf":
        channel = next((c for c in root if etree.QName(c).localname == "channel"), root)
        items = [e for e in root.iter() if isinstance(e.tag, str)
                 and etree.QName(e).localname == "item"]
        return Feed("rss", _child_text(channel, "title"), [element_record(e) for e in items])
    if local == "feed":
        entries = [e for e in root if isinstance(e.tag, str)
                   and etree.QName(e).localname == "entry"]
        return Feed("atom", _child_text(root, "title"), [element_record(e) for e in entries])
    jobs = [e for e in root.iter() if isinstance(e.tag, str)
            and etree.QName(e).localname == "job"]
    if jobs:
        return Feed("jobs", _child_text(root, "publisher"), [element_record(e) for e in jobs])
    raise FeedError(f"root element <{local}> is not rss, feed or a job feed")


def _child_text(element: Any, localname: str) -> str | None:
    for child in element:
        if isinstance(child.tag, str) and etree.QName(child).localname == localname:
            return (child.text or "").strip() or None
    return None


def _first(record: dict[str, Any], *names: str) -> Any:
    """The first present value among `names`, matching prefixed names by local part too."""
    for name in names:
        for key, value in record.items():
            if key == name or (":" not in name and key.split(":")[-1] == name):
                return value[0] if isinstance(value, list) and value else value
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("term") or value.get("label") or value.get("name") or value.get(
            "href")
    return value.strip() or None if isinstance(value, str) else None


def _link(record: dict[str, Any]) -> str | None:
    links = record.get("link")
    for link in links if isinstance(links, list) else [links]:
        if isinstance(link, str) and link.strip():
            return link.strip()
        if isinstance(link, dict) and link.get("href") and link.get("rel", "alternate") in (
                "alternate", ""):
            return link["href"].strip()
    for name in ("url", "guid", "id"):
        value = _text(_first(record, name))
        if value and value.startswith(("http://", "https://")):
            return value
    return None


def _all_texts(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [t for t in (_text(v) for v in values) if t]


def _location(record: dict[str, Any]) -> tuple[str | None, dict[str, str | None]]:
    parts = {"locality": _text(_first(record, "city")),
             "region": _text(_first(record, "state", "province", "region")),
             "country": _text(_first(record, "country")),
             "postal_code": _text(_first(record, "postalcode", "postal_code", "zip"))}
    written = _text(_first(record, "job:location", "location"))
    joined = ", ".join(v for v in (parts["locality"], parts["region"], parts["country"]) if v)
    return written or joined or None, parts


def summary_fields(description: str | None) -> dict[str, str]:
    """'Location: Sudbury (ON)<br/>Employer: ...' lines -> {location, employer, salary, job}."""
    out: dict[str, str] = {}
    names = {"lieu": "location", "employeur": "employer", "salaire": "salary",
             "job number": "job", "numéro de l'offre": "job"}
    for label, value in _SUMMARY_FIELD_RE.findall(description or ""):
        key = names.get(label.lower(), label.lower())
        out.setdefault(key, html.unescape(value).strip())
    return out


def feed_item(record: dict[str, Any], *, source_id: str, url: str,
              fetched_at: datetime) -> JobPostingItem:
    """Map one feed entry (see element_record) to a JobPostingItem."""
    location, parts = _location(record)
    description = _text(_first(record, "content:encoded", "content", "description", "summary"))
    written = summary_fields(description)
    location = location or written.get("location")
    salary_text = _text(_first(record, "job:salary", "salary")) or written.get("salary")
    remote_flag = _text(_first(record, "remote", "remotetype", "job:remote"))
    haystack = " ".join(t for t in (location, remote_flag) if t).lower()
    remote = True if any(w in haystack for w in _REMOTE_WORDS) or (
        remote_flag or "").lower() in {"true", "yes", "1"} else (False if location else None)
    date_text = _first(record, "pubDate", "published", "updated", "dc:date", "date")
    return JobPostingItem(
        source_id=source_id, url=url, fetched_at=fetched_at, jsonld=record,
        title=_text(_first(record, "title")),
        employer=_text(_first(record, "job:company", "company", "hiringOrganization",
                              "employer")) or written.get("employer"),
        description_html=description,
        date_posted=parse_date(_text(date_text)),
        valid_through=None, location_raw=location,
        address_locality=parts["locality"], address_region=parts["region"],
        address_country=parts["country"], postal_code=parts["postal_code"], remote=remote,
        occupational_category=", ".join(_all_texts(record.get("category"))) or None,
        employment_type=_text(_first(record, "job:employmentType", "job:type", "jobtype")),
        salary=parse_salary_text(salary_text),
        identifier=_text(_first(record, "referencenumber")) or written.get("job") or _text(
            _first(record, "guid", "id")),
    )


def entry_url(record: dict[str, Any], feed_url: str, index: int) -> str:
    """The entry's own link, else a stable per-entry URL inside the feed."""
    return _link(record) or f"{feed_url}#entry-{index + 1}"
