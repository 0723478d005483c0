"""A short description of a table of specimens: rows, class balance, missing values."""

from __future__ import annotations

import pandas as pd

from mushroom import contract


def summarise(frame: pd.DataFrame) -> dict:
    """Rows, class counts, missing counts per column and numeric ranges of a typed table."""
    missing = {
        name: int(frame[name].isna().sum()) for name in contract.FEATURE_NAMES if name in frame
    }
    ranges = {
        name: [float(frame[name].min()), float(frame[name].max())]
        for name in contract.NUMERIC_NAMES
        if name in frame
    }
    summary = {"rows": len(frame), "missing": missing, "ranges": ranges}
    if contract.LABEL in frame:
        summary["classes"] = {
            str(k): int(v) for k, v in frame[contract.LABEL].value_counts().items()
        }
    if contract.SPECIES in frame:
        summary["species"] = int(frame[contract.SPECIES].nunique())
    return summary
