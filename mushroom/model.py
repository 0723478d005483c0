"""The model bundle the prediction Lambda serves: LightGBM text model, vocabulary, safety policy.

Numpy + LightGBM's C library only (no pandas, no MLflow, not even the lightgbm Python package:
see :mod:`mushroom.booster`): the bundle is three files, ``model.lgb``, ``vocabulary.json`` and
``safety.json`` (where a model version keeps them: :mod:`mushroom.records.bundle`), read from
bytes or from a model version's folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from mushroom.booster import NativeBooster
from mushroom.encoding import Vocabulary
from mushroom.records.bundle import LAYOUT, BundleLayout
from mushroom.safety import SafetyPolicy

ROLES = ("model", "vocabulary", "safety")  # the order of from_bytes' arguments


def _text(data: bytes | str) -> str:
    return data.decode("utf-8") if isinstance(data, bytes) else data


@dataclass
class ModelBundle:
    """A trained booster with the vocabulary it was trained on and its safety policy."""

    booster: NativeBooster
    vocabulary: Vocabulary
    policy: SafetyPolicy

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
        return np.asarray(self.booster.predict(matrix, num_threads=threads), dtype=float)

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
        return [(round(p, 6), d) for p, d in zip(probability.tolist(), decisions)]

    def answers(self, matrix: np.ndarray, threads: int = 1) -> tuple[list, list, list, list]:
        """Column-wise for encoded specimens: predictions, P(poisonous) rounded to 6 places,
        decisions and explanations (batch scoring uses them without a dict per specimen)."""
        probability = self.probability_poisonous(matrix, threads)
        decisions, explanations = self.policy.assess(probability, matrix, self.vocabulary)
        poisonous = probability >= self.policy.poisonous_from
        predictions = np.where(poisonous, "poisonous", "edible").tolist()
        rounded = [round(p, 6) for p in probability.tolist()]  # as the API always rounded
        return predictions, rounded, decisions, explanations
