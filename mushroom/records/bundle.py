"""The model bundle's layout: which files a registered model version carries, and where.

``mlflow.lightgbm.log_model`` writes the booster as ``model.lgb`` in the model folder and the
files passed as ``extra_files`` under ``extra_files/``; the reference profile stays with the
run's artifacts (it describes the training data, not the model). The registry writes this
layout, the champion pointer names its files, and the serving side reads them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping

from mushroom.records.versioning import FORMAT_FIELD, check_format, require

FORMAT_VERSION = 1
MODEL_FILE, VOCABULARY_FILE, SAFETY_FILE = "model.lgb", "vocabulary.json", "safety.json"
REFERENCE_FILE = "reference_profile.json"
EXTRA_FILES_DIR = "extra_files"
RECORD = "model bundle layout"


@dataclass(frozen=True)
class BundleLayout:
    """Paths of a model version's files: relative to the model folder (model, vocabulary,
    safety) or to the run's artifact root (reference)."""

    model: str = MODEL_FILE
    vocabulary: str = f"{EXTRA_FILES_DIR}/{VOCABULARY_FILE}"
    safety: str = f"{EXTRA_FILES_DIR}/{SAFETY_FILE}"
    reference: str = REFERENCE_FILE

    def model_files(self) -> dict[str, str]:
        """The serving files, by role, relative to the model folder."""
        return {"model": self.model, "vocabulary": self.vocabulary, "safety": self.safety}

    def extra_files(self) -> tuple[str, ...]:
        """File names that go to ``log_model(extra_files=...)``."""
        return tuple(
            path.split("/", 1)[1]
            for path in self.model_files().values()
            if path.startswith(f"{EXTRA_FILES_DIR}/")
        )

    def to_dict(self) -> dict[str, Any]:
        return {FORMAT_FIELD: FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> "BundleLayout":
        check_format(doc, FORMAT_VERSION, RECORD)
        fields = ("model", "vocabulary", "safety", "reference")
        require(doc, fields, RECORD)
        return cls(*(str(doc[name]) for name in fields))


LAYOUT = BundleLayout()
