"""The reference profile: the training data's distribution per feature, written beside each
trained model (``reference_profile.json`` in the run's artifacts) and read by the monitor to
measure drift.

One shape: ``features`` maps each feature to ``{"kind": "numeric", "edges": [...], "shares":
[...], "missing_share": m}`` (one share per bin between consecutive edges) or ``{"kind":
"categorical", "shares": {code: share}, "missing_share": m}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from mushroom.records.versioning import FORMAT_FIELD, check_format, require

FORMAT_VERSION = 1
RECORD = "reference profile"
NUMERIC, CATEGORICAL = "numeric", "categorical"


@dataclass(frozen=True)
class FeatureReference:
    """The training distribution of one feature: numeric bins or categorical codes."""

    name: str
    kind: str  # NUMERIC or CATEGORICAL
    shares: tuple[float, ...]  # one per bin (numeric) or per code (categorical)
    edges: tuple[float, ...] = ()  # numeric bin edges, len(shares) + 1
    codes: tuple[str, ...] = ()  # categorical codes, len(shares)
    missing_share: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        if self.kind == NUMERIC:
            shape = {"edges": list(self.edges), "shares": list(self.shares)}
        else:
            shape = {"shares": dict(zip(self.codes, self.shares))}
        return {"kind": self.kind, **shape, "missing_share": self.missing_share}

    @classmethod
    def from_dict(cls, name: str, doc: Mapping[str, Any]) -> "FeatureReference":
        what = f"{RECORD}, feature {name!r}"
        require(doc, ("kind", "shares"), what)
        missing = float(doc.get("missing_share") or 0.0)
        if doc["kind"] == NUMERIC:
            require(doc, ("edges",), what)
            edges, shares = _floats(doc["edges"]), _floats(doc["shares"])
            return cls(name, NUMERIC, shares, edges=edges, missing_share=missing)
        if doc["kind"] != CATEGORICAL or not isinstance(doc["shares"], Mapping):
            raise ValueError(f"{what}: expected numeric edges or categorical code shares")
        codes = tuple(str(code) for code in doc["shares"])
        return cls(
            name, CATEGORICAL, _floats(doc["shares"].values()), codes=codes, missing_share=missing
        )


def _floats(values: Iterable) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


@dataclass(frozen=True)
class ReferenceProfile:
    """Per-feature training distributions of one trained model."""

    features: Mapping[str, FeatureReference]
    rows: int
    bins: int

    def to_dict(self) -> dict[str, Any]:
        features = {name: feature.to_dict() for name, feature in self.features.items()}
        return {
            FORMAT_FIELD: FORMAT_VERSION,
            "rows": self.rows,
            "bins": self.bins,
            "features": features,
        }

    def to_json(self) -> str:
        """``reference_profile.json``."""
        return json.dumps(self.to_dict(), indent=1, sort_keys=True)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> "ReferenceProfile":
        check_format(doc, FORMAT_VERSION, RECORD)
        require(doc, ("features", "rows", "bins"), RECORD)
        if not isinstance(doc["features"], Mapping):
            raise ValueError(f"{RECORD}: features must map feature names to distributions")
        features = {
            name: FeatureReference.from_dict(name, spec) for name, spec in doc["features"].items()
        }
        return cls(features, int(doc["rows"]), int(doc["bins"]))

    @classmethod
    def from_json(cls, text: str | bytes) -> "ReferenceProfile":
        return cls.from_dict(json.loads(text))
