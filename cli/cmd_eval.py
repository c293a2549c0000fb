"""`lmi eval ...`: measure the extractor, linker and normalisers on labelled files.

Each area registers its commands on `eval_app` from its own module.
"""

from __future__ import annotations

import typer

eval_app = typer.Typer(
    help="Measure quality on labelled files: linking, spans, extraction, occupations, locations.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Attach `lmi eval` and the commands of each evaluation module."""
    from lmi.cli import cmd_eval_dedup, cmd_eval_normalise, cmd_eval_quality, cmd_eval_spans

    for module in (cmd_eval_quality, cmd_eval_spans, cmd_eval_normalise, cmd_eval_dedup):
        module.register(eval_app)
    app.add_typer(eval_app, name="eval")
