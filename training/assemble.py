"""Step 1: validated frames of one or more data sets → one training set with its lineage."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Mapping

import pandas as pd

from mushroom import contract
from mushroom.errors import NotEnoughDataError

COLUMNS = (contract.LABEL, *contract.FEATURE_NAMES)
# Below these the search's hold-out and the grouped cross-validation have too little to learn
# from or to judge by (e.g. a retraining asked for when only a few feedback labels exist).
MIN_SPECIMENS, MIN_PER_CLASS = 100, 20
REPORTED = "reported"  # True for labels reported through /feedback, not the data set's own
FEEDBACK_ID = "feedback"


@dataclass(frozen=True)
class TrainingSet:
    """Labelled specimens (features, class, species or None) and where they came from."""

    frame: pd.DataFrame
    lineage: dict


def assemble(frames: Mapping[str, pd.DataFrame]) -> TrainingSet:
    """Concatenate validated frames keyed by data set id; exact duplicates are removed."""
    if not frames:
        raise NotEnoughDataError("no data sets to train on: upload a CSV of specimens to raw/")
    parts = [_canonical(frame, dataset_id) for dataset_id, frame in frames.items()]
    combined = pd.concat(parts, ignore_index=True)
    duplicated = combined.duplicated(subset=list(COLUMNS), keep="first")
    frame = combined.loc[~duplicated].reset_index(drop=True)
    lineage = {
        "dataset_ids": list(frames),
        "rows_in": {dataset_id: len(f) for dataset_id, f in frames.items()},
        "rows": len(frame),
        "duplicates_removed": int(duplicated.sum()),
        "conflicting_labels": _conflicts(frame),
        "rows_with_species": int(frame[contract.SPECIES].notna().sum()),
        "content_sha256": content_hash(frame),
    }
    return TrainingSet(frame, lineage)


def _canonical(frame: pd.DataFrame, dataset_id: str) -> pd.DataFrame:
    """The contract columns in contract order, plus species (None when the data set has none)."""
    missing = [name for name in COLUMNS if name not in frame]
    if missing:
        raise ValueError(f"data set {dataset_id!r} lacks columns {missing}")
    part = frame[list(COLUMNS)].copy()
    species = frame[contract.SPECIES] if contract.SPECIES in frame else None
    part[contract.SPECIES] = pd.Series(species, index=frame.index, dtype=object)
    part[REPORTED] = dataset_id.startswith(FEEDBACK_ID)
    return part


def _conflicts(frame: pd.DataFrame) -> int:
    """Feature vectors that appear with both labels (kept; reported for the data owners)."""
    labels = frame.groupby(list(contract.FEATURE_NAMES), dropna=False)[contract.LABEL].nunique()
    return int((labels > 1).sum())


def content_hash(frame: pd.DataFrame) -> str:
    """sha256 of the training content (labels and features, row order included)."""
    digest = hashlib.sha256()
    hashed = pd.util.hash_pandas_object(frame[list(COLUMNS)], index=False)
    digest.update(hashed.to_numpy().tobytes())
    return digest.hexdigest()


def check_enough(training_set: TrainingSet) -> None:
    """Refuse a training set too small to train and judge a model on."""
    counts = training_set.frame[contract.LABEL].value_counts()
    poisonous, edible = int(counts.get(contract.POISONOUS, 0)), int(counts.get(contract.EDIBLE, 0))
    rows = len(training_set.frame)
    if rows < MIN_SPECIMENS or min(poisonous, edible) < MIN_PER_CLASS:
        raise NotEnoughDataError(
            f"only {rows:,} specimens to train on ({poisonous:,} poisonous, {edible:,} "
            f"edible; data sets {', '.join(training_set.lineage['dataset_ids'])}): a model needs "
            f"at least {MIN_SPECIMENS} with {MIN_PER_CLASS} of each class. Upload a data set to "
            "raw/; retrying this request cannot help"
        )
