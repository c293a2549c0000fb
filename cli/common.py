"""Options shared by many commands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lmi.cli.output import Format

DbOption = Annotated[
    Path,
    typer.Option("--db", envvar="LMI_DB", help="DuckDB warehouse file.", show_default=True),
]
DEFAULT_DB = Path("lmi.duckdb")
FormatOption = Annotated[
    Format, typer.Option("--format", "-f", help="Output format: table, json or csv.")
]
RegionOption = Annotated[
    str | None,
    typer.Option("--region", "-r",
                 help="Province code (AB), economic region code (4830) or name (Calgary)."),
]
SectorOption = Annotated[
    str | None, typer.Option("--sector", "-s", help="NAICS sector code (54) or name.")
]
OccupationOption = Annotated[
    str | None,
    typer.Option("--occupation", "-o", help="NOC 2021 code at any level (21, 2123, 21232)."),
]
SinceOption = Annotated[
    str | None, typer.Option("--since", help="First posting date included (YYYY-MM-DD).")
]
UntilOption = Annotated[
    str | None, typer.Option("--until", help="Last posting date included (YYYY-MM-DD).")
]
LimitOption = Annotated[int, typer.Option("--limit", "-n", min=1, help="Rows to show.")]
