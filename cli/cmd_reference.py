"""`lmi reference`: import, download and list the geography, NAICS and NOC reference tables."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from lmi.cli.common import DEFAULT_DB, DbOption, FormatOption
from lmi.cli.output import Format, console, fail, render
from lmi.warehouse.db import session

reference_app = typer.Typer(
    help="Reference data for normalisation: geography, NAICS, NOC.", no_args_is_help=True
)


class Kind(StrEnum):
    noc = "noc"
    oasis = "oasis"
    naics = "naics"
    geography = "geography"


@reference_app.command("import")
def import_cmd(
    kind: Annotated[Kind, typer.Argument(help="noc | oasis | naics | geography")],
    path: Annotated[Path, typer.Argument(help="The official file, or the folder holding it.")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Replace a reference table with an official file (import noc before oasis).

    Examples:

        lmi reference import noc ../shared/data/canada-noc-oasis

        lmi reference import oasis ../shared/data/canada-noc-oasis

        lmi reference import naics ../shared/data/naics-canada-2022

        lmi reference import geography ../shared/data/canada-geography
    """
    from lmi.normalise import reference as ref

    if not path.exists():
        raise fail(f"no such file or folder: {path}")
    importer = {
        Kind.noc: ref.import_noc,
        Kind.oasis: ref.import_oasis,
        Kind.naics: ref.import_naics,
        Kind.geography: ref.import_geography,
    }[kind]
    try:
        with session(db) as con:
            n = importer(con, path)
    except ref.ReferenceError as exc:
        raise fail(str(exc)) from exc
    console.print(f"imported {n:,} {kind.value} rows into {db}")


@reference_app.command("download")
def download_cmd(
    kind: Annotated[Kind, typer.Argument(help="noc | oasis | naics | geography")],
    dest: Annotated[Path, typer.Option("--dest", help="Folder to save the files in.")],
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url", help="Mirror to fetch from instead of the official open-data site."
        ),
    ] = None,
) -> None:
    """Download the official reference files (then run `lmi reference import`).

    Examples:

        lmi reference download naics --dest data/naics

        lmi reference download geography --dest data/geo --base-url https://mirror.example/geo
    """
    from lmi.normalise.reference import ReferenceError, download_reference

    try:
        saved = download_reference(kind.value, dest, base_url=base_url)
    except (ReferenceError, OSError) as exc:
        raise fail(f"download failed: {exc}") from exc
    for path in saved:
        console.print(f"saved {path}")


@reference_app.command("list")
def list_cmd(fmt: FormatOption = Format.table, db: DbOption = DEFAULT_DB) -> None:
    """Rows in each reference table (starter tables are loaded into empty ones first).

    Examples:

        lmi reference list

        lmi reference list --format json
    """
    from lmi.normalise.reference import load_starter_reference, reference_status

    with session(db) as con:
        load_starter_reference(con)
        rows = reference_status(con)
    render(rows, fmt, title="Reference tables", columns=["table", "rows", "source"])


def register(app: typer.Typer) -> None:
    """Attach `lmi reference`."""
    app.add_typer(reference_app, name="reference")
