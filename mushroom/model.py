"""The model bundle the prediction Lambda serves: LightGBM text model, vocabulary, safety policy.

Numpy + LightGBM's C library only (no pandas, no MLflow, not even the lightgbm Python package:
see :mod:`mushroom.booster`): the bundle is three files, ``model.lgb``, ``vocabulary.json`` and
``safety.json`` (where a model version keeps them: :mod:`mushroom.records.bundle`), read from
bytes or from a model version's folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any, Mapping, Sequence

import numpy as np

from mushroom.booster import NativeBooster
from mushroom.encoding import Vocabulary
from mushroom.records.bundle import LAYOUT, BundleLayout
from mushroom.safety import SafetyPolicy

ROLES = ("model", "vocabulary", "safety")  # the order of from_bytes' arguments
PLACES = 6  # P(poisonous) is served rounded to this many decimal places
COLUMN_WISE_FROM = 64  # rounded column-wise from this many on (below, numpy's overhead wins)


def _text(data: bytes | str) -> str:
    return data.decode("utf-8") if isinstance(data, bytes) else data


@dataclass
class ModelBundle:
    """A trained booster with the vocabulary it was trained on and its safety policy."""

    booster: NativeBooster
    vocabulary: Vocabulary
    policy: SafetyPolicy
    # Seconds the booster took on its last call: a challenger in shadow is compared with the
    # champion on it (the only cost that differs between two versions of the same code)
    booster_seconds: float = field(default=0.0, compare=False, repr=False)

    @classmethod
    def from_bytes(cls, model: bytes | str, vocabulary: bytes | str, safety: bytes | str):
        """Build from the three files' contents (e.g. read from S3)."""
        bundle = cls(
            NativeBooster(_text(model)),
            Vocabulary.from_json(_text(vocabulary)),
            SafetyPolicy.from_json(_text(safety)),
        )
        bundle.policy.index(bundle.vocabulary)  # compiled now, not by the first request
        return bundle

    @classmethod
    def from_folder(cls, folder: str | Path, layout: BundleLayout = LAYOUT) -> "ModelBundle":
        """Build from a registered model version's folder (its files where ``layout`` says)."""
        files = layout.model_files()
        return cls.from_bytes(*((Path(folder) / files[role]).read_bytes() for role in ROLES))

    def probability_poisonous(self, matrix: np.ndarray, threads: int = 1) -> np.ndarray:
        """P(poisonous) for encoded specimens (one thread is fastest for small batches)."""
        start = perf_counter()
        probability = self.booster.predict(matrix, num_threads=threads)
        self.booster_seconds = perf_counter() - start
        return np.asarray(probability, dtype=float)

    def predict(self, records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Prediction, P(poisonous), the served decision and its explanation (the candidate
        species and the fields that would settle a doubt) for specimens (canonical names)."""
        answers = self.answers(self.vocabulary.encode_records(records))
        return [
            {"prediction": p, "probability_poisonous": q, "decision": d, **explanation}
            for p, q, d, explanation in zip(*answers)
        ]

    def shadow_answers(self, records: Sequence[Mapping[str, Any]]) -> list[tuple[float, str]]:
        """(P(poisonous) rounded to 6 places, decision) per specimen, without explanations:
        what a challenger in shadow logs beside the champion's answer."""
        matrix = self.vocabulary.encode_records(records)
        probability = self.probability_poisonous(matrix)
        decisions = self.policy.decide(probability, matrix, self.vocabulary)
        return list(zip(rounded(probability), decisions))

    def answers(self, matrix: np.ndarray, threads: int = 1) -> tuple[list, list, list, list]:
        """Column-wise for encoded specimens: predictions, P(poisonous) rounded to 6 places,
        decisions and explanations (batch scoring uses them without a dict per specimen)."""
        return self.answers_to(self.probability_poisonous(matrix, threads), matrix)

    def answers_to(self, probability: np.ndarray, matrix: np.ndarray) -> tuple:
        """:meth:`answers`, given the booster's P(poisonous) of ``matrix``."""
        decisions, explanations = self.policy.assess(probability, matrix, self.vocabulary)
        poisonous = probability >= self.policy.poisonous_from
        predictions = np.where(poisonous, "poisonous", "edible").tolist()
        return predictions, rounded(probability), decisions, explanations


def rounded(probability: np.ndarray) -> list[float]:
    """``round(p, 6)`` of each probability, as the API always served it. ``round`` costs
    ~0.4 us a value (a twentieth of a batch's main thread). Column-wise, the nearest integer to
    p x 10**6 (below 10**6, computed within 6e-11) is ``round``'s unless p x 10**6 lies within
    1e-9 of a half: those few take ``round`` itself; k / 10**6 is then the same double."""
    if len(probability) < COLUMN_WISE_FROM:
        return [round(p, PLACES) for p in probability.tolist()]
    scaled = probability * 10.0**PLACES
    result = np.rint(scaled) / 10.0**PLACES
    near_half = np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-9)
    result[near_half] = [round(p, PLACES) for p in probability[near_half].tolist()]
    return result.tolist()
