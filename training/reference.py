"""The training reference profile: per-feature distributions for PSI drift monitoring."""

from __future__ import annotations

import numpy as np

from mushroom.encoding import Vocabulary
from mushroom.records.reference import CATEGORICAL, NUMERIC, FeatureReference, ReferenceProfile

BINS = 10


def reference_profile(matrix: np.ndarray, vocabulary: Vocabulary) -> ReferenceProfile:
    """Numerics: quantile bin edges + shares (+ missing share); categoricals: code shares."""
    features = {}
    for position, name in enumerate(vocabulary.features):
        values = matrix[:, position]
        if name in vocabulary.categories:
            features[name] = _categorical(name, values, vocabulary.categories[name])
        else:
            features[name] = _numeric(name, values)
    return ReferenceProfile(features, rows=int(len(matrix)), bins=BINS)


def _numeric(name: str, values: np.ndarray) -> FeatureReference:
    present = values[~np.isnan(values)]
    edges = np.unique(np.quantile(present, np.linspace(0, 1, BINS + 1))) if present.size else []
    inner = np.asarray(edges)[1:-1]  # open-ended outer bins: drift beyond the range still counts
    counts = np.bincount(np.searchsorted(inner, present, side="right"), minlength=len(inner) + 1)
    return FeatureReference(
        name,
        NUMERIC,
        _shares(counts, len(values)),
        edges=tuple(float(e) for e in edges),
        missing_share=_missing_share(values),
    )


def _categorical(name: str, values: np.ndarray, codes: tuple[str, ...]) -> FeatureReference:
    present = values[~np.isnan(values)].astype(int)
    counts = np.bincount(present, minlength=len(codes))
    shares = _shares(counts, len(values))
    return FeatureReference(
        name, CATEGORICAL, shares, codes=tuple(codes), missing_share=_missing_share(values)
    )


def _missing_share(values: np.ndarray) -> float:
    return float(np.isnan(values).mean()) if len(values) else 0.0


def _shares(counts: np.ndarray, total: int) -> tuple[float, ...]:
    return tuple(round(float(c) / total, 6) if total else 0.0 for c in counts)
