"""The `lmi` command: a thin layer over the library. Each command group lives in its own module."""

from __future__ import annotations

import typer

from lmi import __version__
from lmi.cli import (
    cmd_crawl,
    cmd_credentials,
    cmd_demo,
    cmd_eval,
    cmd_frameworks,
    cmd_nightly,
    cmd_reference,
    cmd_reports,
    cmd_sources,
    cmd_train,
    cmd_train_linker,
)

app = typer.Typer(
    name="lmi",
    help=(
        "Labour-market intelligence from job postings: crawl postings, extract skills, "
        "find in-demand and emerging skills, and report microcredential gaps.\n\n"
        "Start with:  lmi demo"
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lmi {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """Labour-market intelligence from job postings."""


for module in (
    cmd_demo, cmd_crawl, cmd_nightly, cmd_sources, cmd_frameworks, cmd_reference, cmd_credentials,
    cmd_reports, cmd_eval, cmd_train, cmd_train_linker,
):
    module.register(app)

if __name__ == "__main__":
    app()
