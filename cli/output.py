"""Render rows for humans (rich tables) or machines (json, csv). Every report goes through here."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from lmi.warehouse.export import plain  # noqa: F401 - re-exported for the CLI modules

# Piped output (CI logs, files) gets a wide, fixed width instead of rich's 80-column fallback.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True)
TEXT_WIDTH = 48  # long text cells (evidence, lists) wrap within this width in tables


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 1 else f"{value:,.1f}"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    return str(plain(value))


def render(rows: Sequence[dict[str, Any]], fmt: Format | str = Format.table, *,
           title: str | None = None, meta: dict[str, Any] | None = None,
           columns: Sequence[str] | None = None) -> None:
    """Print rows. JSON carries `meta` (filters, window, versions) beside the rows."""
    fmt = Format(fmt)
    cols = list(columns or (rows[0].keys() if rows else []))
    if fmt is Format.json:
        payload = {"meta": plain(meta or {}), "rows": [plain(dict(r)) for r in rows]}
        if title:
            payload["title"] = title
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return
    if fmt is Format.csv:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: _cell(r.get(k)) if isinstance(r.get(k), list) else plain(r.get(k))
                             for k in cols})
        sys.stdout.write(buf.getvalue())
        return
    table = Table(title=title, title_justify="left", header_style="bold")
    for c in cols:
        values = [r.get(c) for r in rows]
        numeric = all(isinstance(v, int | float | bool) or v is None for v in values)
        if numeric:
            table.add_column(c.replace("_", " "), justify="right", no_wrap=True)
        else:
            table.add_column(c.replace("_", " "), overflow="fold", max_width=TEXT_WIDTH)
    for r in rows:
        table.add_row(*(_cell(r.get(c)) for c in cols))
    console.print(table)
    if not rows:
        console.print("[dim]no rows match these filters[/dim]")
    if meta:
        shown = ", ".join(f"{k}={_cell(v)}" for k, v in meta.items() if v not in (None, "", []))
        console.print(f"[dim]{shown}[/dim]")


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a clear error to stderr and return an Exit to raise."""
    err_console.print(f"[bold red]error:[/bold red] {message}")
    return typer.Exit(code)
