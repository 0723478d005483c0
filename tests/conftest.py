"""Shared helpers for every test suite: paths and tiny specimen builders."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


def specimen(**overrides) -> dict:
    """A valid labelled specimen (canonical names) with the given values replaced."""
    base = {
        "class": "p",
        "cap-diameter": "15.26",
        "cap-shape": "x",
        "cap-surface": "g",
        "cap-color": "o",
        "does-bruise-or-bleed": "f",
        "gill-attachment": "e",
        "gill-spacing": "",
        "gill-color": "w",
        "stem-height": "16.95",
        "stem-width": "17.09",
        "stem-root": "s",
        "stem-surface": "y",
        "stem-color": "w",
        "veil-type": "u",
        "veil-color": "w",
        "has-ring": "t",
        "ring-type": "g",
        "spore-print-color": "",
        "habitat": "d",
        "season": "w",
    }
    base.update({key.replace("_", "-"): value for key, value in overrides.items()})
    return base


@pytest.fixture(scope="session")
def real_data_file() -> Path:
    """The real data set (make data puts it there); tests that need it skip without it."""
    path = DATA / "secondary_data.csv"
    if not path.exists():
        pytest.skip("data/secondary_data.csv is missing: run `make data`")
    return path
