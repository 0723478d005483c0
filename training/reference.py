"""The training reference profile: per-feature distributions for PSI drift monitoring."""

from __future__ import annotations

import json

import numpy as np

from mushroom.encoding import Vocabulary

BINS = 10


def reference_profile(matrix: np.ndarray, vocabulary: Vocabulary) -> dict:
    """Numerics: quantile bin edges + shares (+ missing share); categoricals: code shares."""
    features = {}
    for position, name in enumerate(vocabulary.features):
        values = matrix[:, position]
        if name in vocabulary.categories:
            features[name] = _categorical(values, vocabulary.categories[name])
        else:
            features[name] = _numeric(values)
    return {"rows": int(len(matrix)), "bins": BINS, "features": features}


def _numeric(values: np.ndarray) -> dict:
    present = values[~np.isnan(values)]
    edges = np.unique(np.quantile(present, np.linspace(0, 1, BINS + 1))) if present.size else []
    inner = np.asarray(edges)[1:-1]  # open-ended outer bins: drift beyond the range still counts
    counts = np.bincount(np.searchsorted(inner, present, side="right"), minlength=len(inner) + 1)
    return {
        "kind": "numeric",
        "edges": [float(e) for e in edges],
        "shares": _shares(counts, len(values)),
        "missing_share": float(np.isnan(values).mean()) if len(values) else 0.0,
    }


def _categorical(values: np.ndarray, codes: tuple[str, ...]) -> dict:
    present = values[~np.isnan(values)].astype(int)
    counts = np.bincount(present, minlength=len(codes))
    shares = dict(zip(codes, _shares(counts, len(values))))
    return {
        "kind": "categorical",
        "shares": shares,
        "missing_share": float(np.isnan(values).mean()) if len(values) else 0.0,
    }


def _shares(counts: np.ndarray, total: int) -> list[float]:
    return [round(float(c) / total, 6) if total else 0.0 for c in counts]


def to_json(profile: dict) -> str:
    """Serialise as ``reference_profile.json``."""
    return json.dumps(profile, indent=1, sort_keys=True)
