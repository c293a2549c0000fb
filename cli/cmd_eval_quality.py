"""Placeholder: its owner replaces this module with the real `lmi eval` commands."""

import typer


def register(eval_app: typer.Typer) -> None:
    """Attach this module's commands to `lmi eval`."""
