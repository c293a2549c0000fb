"""Progress bars for long steps: counts, rate and elapsed time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from lmi.cli.output import err_console


class RateColumn(TextColumn):
    """Items per second for the task."""

    def __init__(self, unit: str = "items") -> None:
        super().__init__("")
        self.unit = unit

    def render(self, task):  # type: ignore[override]
        speed = task.finished_speed or task.speed
        return f"{speed:,.1f} {self.unit}/s" if speed else ""


@contextmanager
def progress_bar(description: str, total: int | None = None,
                 unit: str = "items") -> Iterator[Callable[[int, int | None], None]]:
    """Yield `update(done, total)`; renders on stderr so machine output on stdout stays clean."""
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TaskProgressColumn(), RateColumn(unit), TimeElapsedColumn(),
        console=err_console, transient=False,
    ) as bar:
        task = bar.add_task(description, total=total)

        def update(done: int, new_total: int | None = None) -> None:
            bar.update(task, completed=done, total=new_total if new_total is not None else total)

        yield update
