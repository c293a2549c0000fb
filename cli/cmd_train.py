"""Placeholder: its owner replaces this module with the real commands."""

import typer


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the root app."""
