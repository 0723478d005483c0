"""Split a table of specimens into accepted and rejected rows, every reason per rejected row.

Vectorised with pandas to find the cells that break a rule; each such cell's reason is then
produced by :func:`mushroom.contract.check_value`, so tables and single API requests share one
set of rules and one wording.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mushroom import contract
from mushroom.contract import LABEL, SPECIES, Categorical, Numeric

REASONS = "reasons"


@dataclass(frozen=True)
class Validation:
    """The outcome of validating a table: typed accepted rows, raw rejected rows + reasons."""

    accepted: pd.DataFrame
    rejected: pd.DataFrame  # the original text values plus a ``reasons`` column (list of dicts)

    @property
    def counts_by_rule(self) -> dict[str, int]:
        """Count of reasons per ``column/rule`` pair, e.g. ``cap-shape/unknown_code``."""
        counts: dict[str, int] = {}
        for reasons in self.rejected[REASONS]:
            for reason in reasons:
                key = f"{reason['column']}/{reason['rule']}"
                counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items()))


def validate(table: pd.DataFrame, *, labelled: bool = True) -> Validation:
    """Validate a table of text values whose columns carry canonical contract names."""
    text = _as_text(table)
    names = [n for n in ((LABEL,) if labelled else ()) + contract.FEATURE_NAMES]
    bad = {name: _invalid_cells(name, text.get(name)) for name in names}
    reasons = _reasons(text, bad)
    rejected_mask = reasons.map(len).astype(bool) if len(reasons) else pd.Series(dtype=bool)
    rejected = table.loc[rejected_mask.to_numpy(dtype=bool)].copy()
    rejected[REASONS] = reasons[rejected_mask]
    accepted = _typed(text.loc[~rejected_mask.to_numpy(dtype=bool)], names)
    return Validation(accepted, rejected)


def _as_text(table: pd.DataFrame) -> pd.DataFrame:
    return table.astype(object).where(table.notna(), "").map(lambda v: str(v).strip())


def _invalid_cells(name: str, values: pd.Series | None) -> np.ndarray:
    """Boolean mask of the cells of one column that break its rule (absent column: all missing)."""
    column = contract.COLUMNS[name]
    if values is None:
        return np.full(0, column.required, dtype=bool)
    missing = (values == "").to_numpy()
    if isinstance(column, Numeric):
        numbers = pd.to_numeric(
            values.where(~values.str.contains("_", regex=False)), errors="coerce"
        ).to_numpy(dtype=float)
        valid = np.isfinite(numbers) & (numbers >= column.minimum) & (numbers <= column.maximum)
    else:
        valid = values.isin(list(column.codes)).to_numpy()
    return np.where(missing, column.required, ~valid)


def _reasons(text: pd.DataFrame, bad: dict[str, np.ndarray]) -> pd.Series:
    per_row: list[list[dict]] = [[] for _ in range(len(text))]
    for name, mask in bad.items():
        if mask.size == 0:  # the whole column is absent from the table
            if contract.COLUMNS[name].required:
                reason = contract.check_value(name, None).as_dict()
                for row in per_row:
                    row.append(reason)
            continue
        values = text[name].to_numpy()
        for position in np.flatnonzero(mask):
            per_row[position].append(contract.check_value(name, values[position]).as_dict())
    return pd.Series(per_row, index=text.index, dtype=object)


def _typed(text: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Accepted rows in their working types: floats, codes as strings, missing as NaN/None."""
    typed = pd.DataFrame(index=text.index)
    for name in names:
        values = text[name] if name in text else pd.Series("", index=text.index)
        if isinstance(contract.COLUMNS[name], Categorical):
            typed[name] = values.where(values != "", None).astype(object)
        else:
            typed[name] = pd.to_numeric(values.where(values != ""), errors="coerce").astype(float)
    if SPECIES in text:
        typed[SPECIES] = text[SPECIES].where(text[SPECIES] != "", None).astype(object)
    return typed
