"""schema.org items written in HTML attributes: microdata (itemscope/itemprop) and RDFa Lite
(vocab/typeof/property), turned into JSON-LD-shaped dicts so one mapper reads all three.

Follows the microdata value rules (meta@content, a@href, img@src, time@datetime, else text);
`description` keeps its inner HTML. Written with lxml (extruct is not a dependency).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

from lxml import etree
from lxml import html as lxml_html

_URL_ATTR = {"a": "href", "link": "href", "area": "href", "img": "src", "audio": "src",
             "video": "src", "source": "src", "embed": "src", "iframe": "src", "track": "src",
             "object": "data"}
_HTML_PROPS = {"description"}                 # keep their markup: description_html
_TEXT_PROPS = {"name", "title", "description"}  # text even on <a href>


class _Mode:
    def __init__(self, scope: str, prop: str, kind: str) -> None:
        self.scope, self.prop, self.kind = scope, prop, kind


MICRODATA = _Mode("itemscope", "itemprop", "itemtype")
RDFA = _Mode("typeof", "property", "typeof")


def _local(name: str) -> str:
    """'http://schema.org/JobPosting', 'schema:title' -> 'JobPosting', 'title'."""
    return re.split(r"[/#:]", name.strip().rstrip("/"))[-1]


def _types(node: Any, mode: _Mode) -> list[str]:
    return [_local(t) for t in (node.get(mode.kind) or "").split() if t.strip()]


def _is_scope(node: Any, mode: _Mode) -> bool:
    return node.get(mode.scope) is not None


def _inner_html(node: Any) -> str:
    parts = [html.escape(node.text or "", quote=False)]
    parts += [lxml_html.tostring(child, encoding="unicode") for child in node]
    return "".join(parts).strip()


def _value(node: Any, names: list[str]) -> str:
    if node.get("content") is not None:
        return node.get("content").strip()
    tag = node.tag.lower() if isinstance(node.tag, str) else ""
    if any(n in _HTML_PROPS for n in names):
        return _inner_html(node)
    attr = _URL_ATTR.get(tag)
    if attr and node.get(attr) and not any(n in _TEXT_PROPS for n in names):
        return node.get(attr).strip()
    if tag == "time" and node.get("datetime"):
        return node.get("datetime").strip()
    if tag in {"data", "meter"} and node.get("value") is not None:
        return node.get("value").strip()
    return " ".join(node.text_content().split())


def _props(node: Any, mode: _Mode) -> Iterator[tuple[Any, list[str]]]:
    """(element, property names) owned by the item at `node` (not by nested items)."""
    for child in node.iterchildren():
        if not isinstance(child.tag, str):
            continue
        names = [_local(n) for n in (child.get(mode.prop) or "").split() if n.strip()]
        if names:
            yield child, names
        if not _is_scope(child, mode):
            yield from _props(child, mode)


def _item(node: Any, mode: _Mode, depth: int = 0) -> dict[str, Any]:
    types = _types(node, mode)
    out: dict[str, Any] = {"@type": types[0] if len(types) == 1 else types} if types else {}
    if node.get("itemid"):
        out["@id"] = node.get("itemid")
    for child, names in _props(node, mode):
        value: Any = (_item(child, mode, depth + 1) if _is_scope(child, mode) and depth < 20
                      else _value(child, names))
        for name in names:
            if name not in out:
                out[name] = value
            elif isinstance(out[name], list):
                out[name].append(value)
            else:
                out[name] = [out[name], value]
    return out


def parse_document(page_html: str | bytes) -> Any | None:
    """lxml tree of an HTML page, or None when it cannot be parsed."""
    data = page_html.encode("utf-8") if isinstance(page_html, str) else page_html
    if not data.strip():
        return None
    try:
        parser = lxml_html.HTMLParser(encoding="utf-8")
        return lxml_html.document_fromstring(data, parser=parser)
    except (etree.ParserError, ValueError):
        return None


def extract_items(page_html: str | bytes) -> list[dict[str, Any]]:
    """Every top-level microdata and RDFa item of a page as a JSON-LD-like dict."""
    root = parse_document(page_html)
    if root is None:
        return []
    items: list[dict[str, Any]] = []
    for mode in (MICRODATA, RDFA):
        for node in root.iter():
            if not isinstance(node.tag, str) or not _is_scope(node, mode):
                continue
            if node.get(mode.prop):      # a property of an enclosing item, parsed with it
                continue
            if mode is RDFA and not node.get("typeof", "").strip():
                continue
            items.append(_item(node, mode))
    return items
