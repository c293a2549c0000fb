"""Write report tables as json, csv, parquet or xlsx, always with the report's `meta`.

- json: {"meta": ..., "<table>": [rows...]} (one table is called "rows").
- csv: one table; nested values (lists, dicts) as JSON text. No place for meta (use json).
- parquet (pyarrow): one file per table, meta as the file's key-value metadata "lmi_meta";
  with several tables FILE.parquet becomes FILE-<table>.parquet.
- xlsx (openpyxl): one sheet per table and a "meta" sheet of key / value rows.
Text formats go to stdout without an output file; binary formats need one.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

TEXT_FORMATS = ("json", "csv")
BINARY_FORMATS = ("parquet", "xlsx")
Row = dict[str, Any]


class ExportError(ValueError):
    """A request the user can fix (binary format without a file, csv of several tables)."""


def plain(value: Any) -> Any:
    """JSON-ready value: dates as ISO text, decimals as floats, tuples as lists."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def flat(value: Any) -> Any:
    """A cell for csv / xlsx: scalars as they are, lists of scalars joined by '; ', else JSON."""
    value = plain(value)
    if isinstance(value, list) and all(not isinstance(v, list | dict) for v in value):
        return "; ".join("" if v is None else str(v) for v in value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _columns(rows: Sequence[Row], columns: Sequence[str] | None) -> list[str]:
    if columns:
        return list(columns)
    return list(dict.fromkeys(k for r in rows for k in r))


def to_json(tables: Mapping[str, Sequence[Row]], meta: Mapping[str, Any]) -> str:
    """The JSON document of a report."""
    payload = {"meta": plain(dict(meta))} | {name: [plain(dict(r)) for r in rows]
                                            for name, rows in tables.items()}
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def to_csv(rows: Sequence[Row], columns: Sequence[str] | None = None) -> str:
    """One table as CSV text."""
    cols = _columns(rows, columns)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: flat(r.get(k)) for k in cols})
    return buf.getvalue()


def write_parquet(rows: Sequence[Row], meta: Mapping[str, Any], path: Path,
                  columns: Sequence[str] | None = None) -> Path:
    """One table as Parquet with `meta` (JSON) in the key-value metadata 'lmi_meta'."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = _columns(rows, columns)
    data = [{k: plain(r.get(k)) for k in cols} for r in rows]
    table = pa.Table.from_pylist(data) if data else pa.table({c: pa.array([]) for c in cols})
    table = table.replace_schema_metadata({"lmi_meta": json.dumps(plain(dict(meta)))})
    pq.write_table(table, path)
    return path


def write_xlsx(tables: Mapping[str, Sequence[Row]], meta: Mapping[str, Any], path: Path,
               columns: Mapping[str, Sequence[str]] | None = None) -> Path:
    """Every table as a sheet, plus a 'meta' sheet (key, value as JSON when nested)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for name, rows in tables.items():
        sheet = book.create_sheet(name[:31])
        cols = _columns(rows, (columns or {}).get(name))
        sheet.append(cols)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for r in rows:
            sheet.append([flat(r.get(c)) for c in cols])
        sheet.freeze_panes = "A2"
    info = book.create_sheet("meta")
    info.append(["key", "value"])
    for key, value in plain(dict(meta)).items():
        info.append([key, flat(value) if isinstance(value, list) else
                     json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value])
    book.save(path)
    return path


def export(tables: Mapping[str, Sequence[Row]], meta: Mapping[str, Any], fmt: str,
           output: Path | None = None,
           columns: Mapping[str, Sequence[str]] | None = None) -> list[Path]:
    """Write the tables in `fmt`; to `output`, or stdout for text formats. Returns files written.

    Raises ExportError for a binary format without `output`, or csv of several tables.
    """
    fmt = str(fmt)
    if fmt not in TEXT_FORMATS + BINARY_FORMATS:
        raise ExportError(f"unknown format {fmt!r}: use {', '.join(TEXT_FORMATS + BINARY_FORMATS)}")
    if fmt in BINARY_FORMATS and output is None:
        raise ExportError(f"--format {fmt} is binary: add --output FILE (e.g. --output "
                          f"report.{fmt}).")
    if fmt == "csv" and len(tables) != 1:
        raise ExportError(f"csv holds one table; this report has {', '.join(tables)}: pick one "
                          "with --part, or use json or xlsx.")
    cols = columns or {}
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        assert output is not None
        if len(tables) == 1:
            (name, rows), = tables.items()
            return [write_parquet(rows, meta, output, cols.get(name))]
        return [write_parquet(rows, meta, output.with_name(f"{output.stem}-{name}.parquet"),
                              cols.get(name)) for name, rows in tables.items()]
    if fmt == "xlsx":
        assert output is not None
        return [write_xlsx(tables, meta, output, cols)]
    if fmt == "json":
        text = to_json(tables, meta)
    else:
        (name, rows), = tables.items()
        text = to_csv(rows, cols.get(name))
    if output is None:
        sys.stdout.write(text)
        return []
    output.write_text(text, encoding="utf-8")
    return [output]
