"""`lmi credentials import|list|show`: a provider's microcredential catalogue."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer

from lmi.cli.cmd_reports import open_warehouse, plain
from lmi.cli.common import DEFAULT_DB, DbOption, FormatOption
from lmi.cli.output import Format, console, fail, render
from lmi.warehouse.credentials import import_catalogue, list_credentials, show_credential
from lmi.warehouse.db import WarehouseError, connect

app = typer.Typer(help="Microcredential catalogue: import, list, show.", no_args_is_help=True)


def build_extractor(con: duckdb.DuckDBPyConnection) -> Any:
    """The skill extractor over the frameworks loaded in this warehouse (imported lazily)."""
    from lmi.nlp.extractor import SkillExtractor

    return SkillExtractor.from_warehouse(con)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(
        help="Catalogue file: CSV, JSON, YAML, Open Badges 3.0 or CTDL JSON-LD.")],
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = Format.table,
) -> None:
    """Import a catalogue and map each learning outcome to framework skills.

    CSV columns: title, provider, description, learning_outcomes (separated by '|' or
    newlines), optional id. JSON / YAML: a list of objects with the same keys. Open Badges 3.0
    (AchievementCredential or Achievement: name, description, criteria.narrative,
    alignment[].targetName) and Credential Engine CTDL (ceterms:name, ceterms:description,
    ceterms:teaches targetNodeName) JSON-LD are read too. Re-importing updates in place.

    Example:  lmi credentials import lmi/demo/sample_catalogue.csv --db demo.duckdb
    """
    try:
        con = connect(db, create=False)
    except WarehouseError as exc:
        raise fail(str(exc)) from None
    try:
        summary = import_catalogue(con, file, build_extractor(con))
    except ImportError as exc:
        raise fail(f"the skill extractor is not available: {exc}") from None
    except WarehouseError as exc:
        raise fail(str(exc)) from None
    finally:
        con.close()
    render([summary], fmt, title=f"Imported {file}",
           columns=["credentials", "new", "updated", "outcomes", "skill_links",
                    "unmapped_outcomes", "extractor_version", "file"])


@app.command("list")
def list_(db: DbOption = DEFAULT_DB, fmt: FormatOption = Format.table) -> None:
    """Every imported credential with its outcome and mapped-skill counts.

    Example:  lmi credentials list --format csv
    """
    with open_warehouse(db) as con:
        rows = list_credentials(con)
    render(rows, fmt, title="Microcredentials")


@app.command("show")
def show(
    credential_id: Annotated[str, typer.Argument(help="Credential id (or exact title).")],
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = Format.table,
) -> None:
    """A credential's learning outcomes and the skills each maps to, with evidence.

    Example:  lmi credentials show nrc-dat-101
    """
    with open_warehouse(db) as con:
        cred = show_credential(con, credential_id)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(plain(cred), ensure_ascii=False, indent=2) + "\n")
        return
    rows = [{"outcome": o["index"] + 1, "learning_outcome": o["text"], **s}
            for o in cred["outcomes"] for s in (o["skills"] or [{}])]
    columns = ["outcome", "learning_outcome", "label", "matched_text", "confidence", "method",
               "framework_id", "skill_id"]
    if fmt is Format.csv:
        render(rows, fmt, columns=columns)
        return
    console.print(f"[bold]{cred['title']}[/bold] ({cred['credential_id']}) — "
                  f"{cred['provider'] or 'no provider'}")
    if cred["description"]:
        console.print(cred["description"])
    render(rows, fmt, columns=columns[:-1], title="Learning outcomes -> skills")


def register(root: typer.Typer) -> None:
    """Attach `lmi credentials ...`."""
    root.add_typer(app, name="credentials")
