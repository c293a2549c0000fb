"""The nightly lock stops overlapping runs, across processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from lmi.nightly import NightlyLocked, run_lock


def test_second_holder_is_refused_and_lock_is_released(tmp_path):
    db = tmp_path / "w.duckdb"
    with run_lock(db):
        with pytest.raises(NightlyLocked, match="another nightly run"):
            with run_lock(db):
                pass
    with run_lock(db):  # released after the first block
        pass


def test_lock_is_seen_by_another_process(tmp_path):
    db = tmp_path / "w.duckdb"
    code = textwrap.dedent(f"""
        from pathlib import Path
        from lmi.nightly import NightlyLocked, run_lock
        try:
            with run_lock(Path({str(db)!r})):
                print("acquired")
        except NightlyLocked:
            print("locked")
    """)
    with run_lock(db):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout
    assert out.strip() == "locked"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "acquired"
