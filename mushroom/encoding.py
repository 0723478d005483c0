"""Feature encoding shared by training and serving: a fixed vocabulary, integer codes, NaN.

The vocabulary comes from the data contract (not from whatever a training set happened to
contain), is serialised to JSON beside every model, and is read back by the prediction Lambda.
Categoricals become integer codes (LightGBM's native categorical input), numbers stay floats,
missing values become NaN, and an unknown code is an error, never a silent code.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from typing import Any, Mapping, Sequence

import numpy as np

from mushroom import contract
from mushroom.errors import UnknownCodeError


@dataclass(frozen=True)
class Vocabulary:
    """Model input layout: feature order, and the code list (index = integer) per categorical."""

    features: tuple[str, ...]
    categories: Mapping[str, tuple[str, ...]]
    schema_version: str = contract.SCHEMA_VERSION

    @classmethod
    def from_contract(cls) -> "Vocabulary":
        """The vocabulary of the current data contract (codes in sorted order)."""
        categories = {
            c.name: tuple(sorted(c.codes))
            for c in contract.FEATURES
            if isinstance(c, contract.Categorical)
        }
        return cls(contract.FEATURE_NAMES, categories)

    @property
    def categorical_features(self) -> list[str]:
        """Names of the categorical inputs, for LightGBM's ``categorical_feature``."""
        return [name for name in self.features if name in self.categories]

    def encode_frame(self, frame) -> np.ndarray:
        """Encode a pandas frame (canonical column names) into a float matrix."""
        import pandas as pd  # imported here: the lean serving path never calls this

        matrix = np.full((len(frame), len(self.features)), np.nan)
        for position, name in enumerate(self.features):
            values = frame[name] if name in frame else pd.Series(np.nan, index=frame.index)
            if name in self.categories:
                codes = pd.Index(self.categories[name]).get_indexer(values)
                unknown = values.notna().to_numpy() & (codes < 0)
                if unknown.any():
                    raise UnknownCodeError(name, sorted(set(values[unknown].astype(str))))
                matrix[:, position] = np.where(codes < 0, np.nan, codes)
            else:
                matrix[:, position] = pd.to_numeric(values, errors="raise").to_numpy(float)
        return matrix

    def encode_records(self, records: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Encode specimens given as dicts (canonical names) without pandas: the serving path."""
        try:
            return self._encode_typed(records)
        except (KeyError, TypeError, ValueError):  # text, blanks, unknown codes: the full rules
            return self._encode_columns(records)

    def _encode_typed(self, records: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Column by column, for records that name every feature, with known codes and numbers
        as numbers or None (the contract's records: the serving path). Anything else (a
        feature left out, unknown or padded codes, text) raises and takes the column path,
        which applies every rule and raises the documented errors."""
        if not records:
            return np.empty((0, len(self._plan)))
        columns = []
        for (_, lookup), column in zip(self._plan, zip(*map(self._row_of, records))):
            if lookup is not None:
                columns.append([lookup[value] for value in column])
            elif any(value.__class__ is str for value in column):
                raise ValueError("text where a number belongs")
            else:
                columns.append(column)  # numbers, and None: NaN below
        return np.array(columns, dtype=float).T

    @cached_property
    def _row_of(self):
        """A record's values in feature order (KeyError when one is left out)."""
        names = [name for name, _ in self._plan]
        return itemgetter(*names) if len(names) > 1 else (lambda record: (record[names[0]],))

    def _encode_columns(self, records: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Column by column with the contract's notion of missing (any input)."""
        matrix = np.full((len(records), len(self.features)), np.nan)
        for position, name in enumerate(self.features):
            values = [record.get(name) for record in records]
            if name in self.categories:
                matrix[:, position] = self._encode_codes(name, values)
            else:
                matrix[:, position] = [
                    math.nan if contract.is_missing(v) else float(v) for v in values
                ]
        return matrix

    def _encode_codes(self, name: str, values: list) -> list[float]:
        """Integer codes of one categorical column (column-wise: fast for 1,000 specimens)."""
        lookup = self._lookups[name]
        codes = [lookup.get(v, math.nan) if type(v) is str else math.nan for v in values]
        for value, code in zip(values, codes):
            if math.isnan(code) and not contract.is_missing(value):
                raise UnknownCodeError(name, [str(value)])
        return codes

    @cached_property
    def _lookups(self) -> dict[str, dict[str, float]]:
        """Code -> integer per categorical, built once per vocabulary."""
        return {
            name: {code: float(i) for i, code in enumerate(codes)}
            for name, codes in self.categories.items()
        }

    @cached_property
    def _plan(self) -> tuple[tuple[str, dict | None], ...]:
        """(name, code -> integer incl. None -> NaN) per feature; ``None`` for numerics."""
        return tuple(
            (name, {**self._lookups[name], None: math.nan} if name in self.categories else None)
            for name in self.features
        )

    def decode(self, name: str, code: float) -> str | None:
        """The original code of an encoded categorical value (NaN gives ``None``)."""
        return None if math.isnan(code) else self.categories[name][int(code)]

    def to_json(self) -> str:
        """Serialise (ships beside every model as ``vocabulary.json``)."""
        return json.dumps(
            {
                "schema_version": self.schema_version,
                "features": list(self.features),
                "categories": {k: list(v) for k, v in self.categories.items()},
            },
            indent=1,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> "Vocabulary":
        """Read a vocabulary written by :meth:`to_json`."""
        doc = json.loads(text)
        categories = {k: tuple(v) for k, v in doc["categories"].items()}
        return cls(tuple(doc["features"]), categories, doc["schema_version"])
