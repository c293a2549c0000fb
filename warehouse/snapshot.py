"""One report, one snapshot: inside `shared_queries()`, a query run again with the same
parameters on the same connection returns the first answer (a gap report asks for the filter
summary, monthly totals, skill counts and aggregate freshness several times)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., object])
_MEMO: ContextVar[dict[Hashable, object] | None] = ContextVar("lmi_report_memo", default=None)


@contextmanager
def shared_queries() -> Iterator[None]:
    """Share query answers inside the block (nested blocks share the outer one's)."""
    if _MEMO.get() is not None:
        yield
        return
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def memo(key: Hashable, compute: Callable[[], T]) -> T:
    """compute() once per key inside `shared_queries()`; outside it, every time."""
    store = _MEMO.get()
    if store is None:
        return compute()
    if key not in store:
        store[key] = compute()
    return store[key]  # type: ignore[return-value]


def one_snapshot(fn: F) -> F:
    """Decorator: run the report function inside `shared_queries()`."""
    @functools.wraps(fn)
    def wrapper(*args: object, **kwargs: object) -> object:
        with shared_queries():
            return fn(*args, **kwargs)
    return wrapper  # type: ignore[return-value]
