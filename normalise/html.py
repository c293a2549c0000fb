"""HTML job descriptions to plain text, keeping paragraph and bullet breaks."""

from __future__ import annotations

import html
import re

BLOCK = re.compile(
    r"<\s*(br|/p|/div|/h[1-6]|/tr|/ul|/ol|/section|/article|p|div|h[1-6]|tr)\b[^>]*>", re.I
)
ITEM = re.compile(r"<\s*li\b[^>]*>", re.I)
DROP = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.I | re.S)
TAG = re.compile(r"<[^>]+>")


def html_to_text(markup: str | None) -> str | None:
    """Strip tags: blocks become line breaks, list items become '• ' lines, entities decoded."""
    if markup is None:
        return None
    text = DROP.sub(" ", markup)
    text = ITEM.sub("\n• ", text)
    text = BLOCK.sub("\n", text)
    text = html.unescape(TAG.sub("", text)).replace("\xa0", " ")
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()
