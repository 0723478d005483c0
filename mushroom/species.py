"""Which species a specimen belongs to: the canonical file's species blocks and their names.

The canonical UCI file stores 173 species as consecutive blocks of 353 rows, in the order of
``primary_data.csv``; only that file (recognised by its checksum) gets species from row order.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

CANONICAL_SHA256 = "c0eb333df5747171cfc4356c966434b4e9ba1f099c4a0aa2c27f545853e6d203"
CANONICAL_ROWS = 61_069
ROWS_PER_SPECIES = 353


@lru_cache(maxsize=1)
def catalogue() -> tuple[dict, ...]:
    """The 173 species of primary_data.csv: id, name, family and class, in file order."""
    text = resources.files("mushroom").joinpath("resources/species.json").read_text("utf-8")
    return tuple(json.loads(text)["species"])


def is_canonical(sha256: str) -> bool:
    """True when a file's sha256 is that of the canonical secondary_data.csv."""
    return sha256.lower() == CANONICAL_SHA256


def canonical_species(row_count: int = CANONICAL_ROWS) -> list[str]:
    """Species name of each data row of the canonical file (row index // 353)."""
    names = [entry["name"] for entry in catalogue()]
    return [names[row // ROWS_PER_SPECIES] for row in range(row_count)]
