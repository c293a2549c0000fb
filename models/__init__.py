"""Trained artefacts the project ships (each folder has a MODEL_CARD.md)."""
