"""Single-threaded BLAS for the normaliser's small matrix products.

The sector model's fit and the NOC similarity blocks are small; with OpenBLAS threads they are
slower (10x-100x for the fit on a busy 2-CPU machine: threads spin while waiting for a core).
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager

_lock = threading.Lock()
_controller = None


def single_threaded_blas() -> AbstractContextManager:
    """Context manager limiting BLAS (OpenBLAS/MKL) to one thread; cheap to enter per batch."""
    global _controller
    with _lock:
        if _controller is None:
            import numpy  # noqa: F401 - load BLAS before inspecting the loaded libraries
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")
