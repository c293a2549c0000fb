"""`lmi eval occupations|locations|sectors`: score the normalisers on labelled files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lmi.cli.output import Format, fail, render

DatasetOption = Annotated[Path, typer.Option("--dataset", "-d", help="Labelled CSV file.")]
EvalFormat = Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")]
DbOpt = Annotated[
    Path | None,
    typer.Option(
        "--db", help="Warehouse whose imported reference tables to use (default: starter tables)."
    ),
]


def _con(db: Path | None):
    from lmi.warehouse.db import connect

    return connect(db, create=False, read_only=True) if db else None


def occupations(
    dataset: Annotated[
        Path | None, typer.Option("--dataset", "-d", help="Labelled CSV (title,noc_code).")
    ] = None,
    fmt: EvalFormat = Format.table,
    db: DbOpt = None,
    holdout: Annotated[
        float | None,
        typer.Option(
            "--oasis-holdout",
            help="Instead of a file: hold out this share of the imported OaSIS "
            "titles (needs --db with OaSIS imported).",
        ),
    ] = None,
    fast: Annotated[
        bool, typer.Option("--fast", help="Character/word n-grams only, no sentence model.")
    ] = False,
) -> None:
    """Top-1/top-5 NOC accuracy at levels 1..5 on a CSV with columns title,noc_code.

    Examples:

        lmi eval occupations --dataset benchmarks/data/noc_titles.csv

        lmi eval occupations --dataset titles.csv --db lmi.duckdb --format json

        lmi eval occupations --dataset titles.csv --fast

        lmi eval occupations --oasis-holdout 0.2 --db lmi.duckdb
    """
    from lmi.normalise.evaluate import (
        DatasetError,
        eval_oasis_holdout,
        eval_occupations,
        read_dataset,
    )

    use_embeddings = False if fast else None
    try:
        con = _con(db)
        if holdout is not None:
            if con is None:
                raise DatasetError("--oasis-holdout needs --db with OaSIS titles imported")
            result = eval_oasis_holdout(con, test_fraction=holdout, use_embeddings=use_embeddings)
        elif dataset is None:
            raise DatasetError("give --dataset FILE.csv or --oasis-holdout SHARE")
        else:
            rows = read_dataset(dataset, ("title", "noc_code"))
            result = eval_occupations(rows, con, use_embeddings=use_embeddings)
    except (DatasetError, Exception) as exc:  # noqa: BLE001 - shown to the user
        raise fail(str(exc)) from exc
    source = f"oasis holdout {holdout}" if holdout is not None else str(dataset)
    render(result, fmt, title="NOC coding accuracy", meta={"dataset": source})


def locations(dataset: DatasetOption, fmt: EvalFormat = Format.table, db: DbOpt = None) -> None:
    """Province and ER accuracy on a CSV with columns raw,province,economic_region_code.

    A blank province means "undeterminable" (right only if answered unknown); OUTSIDE means
    outside Canada.

    Examples:

        lmi eval locations --dataset benchmarks/data/locations.csv

        lmi eval locations --dataset locs.csv --format json
    """
    from lmi.normalise.evaluate import DatasetError, eval_locations, read_dataset

    try:
        rows = read_dataset(dataset, ("raw", "province", "economic_region_code"))
        con = _con(db)
    except (DatasetError, Exception) as exc:  # noqa: BLE001 - shown to the user
        raise fail(str(exc)) from exc
    summary, errors = eval_locations(rows, con)
    render(
        [summary],
        fmt,
        title="Location normalisation",
        meta={
            "dataset": str(dataset),
            "errors": errors[:20] if fmt is Format.json else len(errors),
        },
    )


def sectors(
    dataset: Annotated[
        Path,
        typer.Option(
            "--dataset",
            "-d",
            help="Labelled CSV (industry,employer,title,description_snippet,naics_sector).",
        ),
    ],
    fmt: EvalFormat = Format.table,
    db: DbOpt = None,
    split: Annotated[
        str | None,
        typer.Option("--split", help="Only rows whose 'split' column equals this (dev, blind)."),
    ] = None,
) -> None:
    """NAICS sector accuracy, coverage and confusions, overall and by evidence source.

    Unknown answers count as wrong in `accuracy`; `answered_accuracy` scores answered rows only.
    Groups: the source that answered (industry field, employer table, text classifier, none)
    and the evidence a row offers. JSON also lists the wrong rows.

    Examples:

        lmi eval sectors --dataset benchmarks/data/sectors.csv

        lmi eval sectors --dataset benchmarks/data/sectors.csv --split blind --format json
    """
    from lmi.normalise.evaluate import DatasetError, read_dataset
    from lmi.normalise.evaluate_sectors import REQUIRED, eval_sectors

    try:
        rows = read_dataset(dataset, REQUIRED)
        if split is not None:
            rows = [r for r in rows if r.get("split") == split]
            if not rows:
                raise DatasetError(f"no rows with split={split!r} in {dataset}")
        con = _con(db)
    except (DatasetError, Exception) as exc:  # noqa: BLE001 - shown to the user
        raise fail(str(exc)) from exc
    summary, errors = eval_sectors(rows, con)
    render(
        summary,
        fmt,
        title="Sector (NAICS) accuracy",
        meta={
            "dataset": str(dataset),
            "split": split or "all",
            "errors": errors if fmt is Format.json else len(errors),
        },
    )


def register(eval_app: typer.Typer) -> None:
    """Attach `lmi eval occupations`, `lmi eval locations` and `lmi eval sectors`."""
    eval_app.command("occupations")(occupations)
    eval_app.command("locations")(locations)
    eval_app.command("sectors")(sectors)
