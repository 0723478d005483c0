"""A local data file (the canonical UCI file or any file of the contract) as validated rows."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mushroom import contract, species
from mushroom.table import read_table
from mushroom.validation import Validation, validate


@dataclass(frozen=True)
class DataFile:
    """One file's id (name + content hash), accepted rows (species if canonical), rejections."""

    dataset_id: str
    accepted: pd.DataFrame
    validation: Validation


def load(path: Path) -> DataFile:
    """Read and validate a file; rows of the canonical data set get their species by content."""
    data = Path(path).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    validation = validate(read_table(data).frame)
    accepted = validation.accepted
    if contract.SPECIES not in accepted:
        accepted[contract.SPECIES] = species.identify(accepted)
    return DataFile(f"{Path(path).name}@{digest[:12]}", accepted, validation)
