"""`lmi frameworks`: import competency frameworks (ESCO, O*NET, a provider's own) and list them."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from lmi.cli.common import DEFAULT_DB, DbOption, FormatOption
from lmi.cli.output import Format, fail, render
from lmi.cli.progress import progress_bar
from lmi.warehouse.db import session

frameworks_app = typer.Typer(help="Competency frameworks: import and list.", no_args_is_help=True)
COLUMNS = ["id", "name", "version", "skills", "imported_at"]


class Kind(StrEnum):
    esco = "esco"
    provider = "provider"
    onet = "onet"
    starter = "starter"


def _import(con: Any, kind: Kind, path: Path | None, framework_id: str | None,
            name: str | None, version: str | None) -> dict[str, Any]:
    from lmi.nlp import frameworks as fw

    if kind is Kind.esco:
        return fw.import_esco(con, path, version=version)
    if kind is Kind.onet:
        return fw.import_onet_technology(con, path, version=version)
    if kind is Kind.starter:
        return fw.import_starter(con, path)
    default_id = "provider:" + re.sub(r"[^a-z0-9_-]+", "-", path.stem.lower()).strip("-")
    return fw.import_provider(con, path, framework_id=framework_id or default_id,
                              name=name, version=version)


def _embed(con: Any, framework_id: str) -> None:
    from lmi.nlp.embeddings import LabelIndex, get_encoder

    with progress_bar(f"embedding {framework_id} labels", unit="labels") as update:
        LabelIndex.build(con, framework_id, get_encoder(), progress=update)


@frameworks_app.command("import")
def import_cmd(
    kind: Annotated[Kind, typer.Argument(help="esco | provider | onet | starter")],
    path: Annotated[Path | None, typer.Argument(
        help="ESCO CSV folder or .zip; provider .csv/.json; O*NET folder or "
             "'Technology Skills.txt'. Not needed for starter.")] = None,
    framework_id: Annotated[str | None, typer.Option(
        "--id", help="Provider framework id (default provider:<file stem>).")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Display name (provider).")] = None,
    version: Annotated[str | None, typer.Option(
        "--version", help="Framework version (default: guessed from the path or file).")] = None,
    embed: Annotated[bool, typer.Option(
        "--embed/--no-embed", help="Precompute label embeddings now (ESCO: several minutes).")
    ] = True,
    fmt: FormatOption = Format.table,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Import a framework into the warehouse; re-importing replaces its skills.

    Examples:

        lmi frameworks import esco ../shared/data/esco-1.1.1

        lmi frameworks import esco "ESCO dataset - v1.1.1 - classification - en - csv.zip"

        lmi frameworks import onet ../shared/data/onet-29.3 --no-embed

        lmi frameworks import provider my_skills.csv --id provider:acme --name "Acme skills"

        lmi frameworks import starter
    """
    if kind is not Kind.starter and path is None:
        raise fail(f"`lmi frameworks import {kind}` needs a PATH")
    if path is not None and not path.exists():
        raise fail(f"no such file or folder: {path}")
    with session(db) as con:
        try:
            row = _import(con, kind, path, framework_id, name, version)
        except (ValueError, FileNotFoundError, KeyError) as exc:
            raise fail(str(exc)) from exc
        if embed:
            _embed(con, row["id"])
    render([row], fmt, title="Imported framework", columns=COLUMNS + ["source_path"])


@frameworks_app.command("list")
def list_cmd(fmt: FormatOption = Format.table, db: DbOption = DEFAULT_DB) -> None:
    """List the loaded frameworks.

    Examples:

        lmi frameworks list

        lmi frameworks list --format json
    """
    from lmi.nlp.frameworks import list_frameworks

    with session(db) as con:
        rows = list_frameworks(con)
    render(rows, fmt, title="Frameworks", columns=COLUMNS)


def register(app: typer.Typer) -> None:
    """Attach `lmi frameworks`."""
    app.add_typer(frameworks_app, name="frameworks")
