"""A warehouse with a few hand-written skills, for extractor tests (no ESCO needed)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from lmi.nlp.frameworks import import_provider
from lmi.warehouse.db import apply_schema


def small_warehouse(tmp: Path, skills: list[dict], framework_ids: tuple[str, ...] = ("small",)
                    ) -> duckdb.DuckDBPyConnection:
    """In-memory warehouse with `skills` imported as a provider framework under each id."""
    path = tmp / "small.json"
    path.write_text(json.dumps({"framework": {"name": "Small", "version": "1"},
                                "skills": skills}))
    con = duckdb.connect()
    apply_schema(con)
    for framework_id in framework_ids:
        import_provider(con, path, framework_id=framework_id)
    return con
