"""Which species a specimen belongs to: the canonical data set's rows, matched by content.

The canonical UCI file stores 173 species as consecutive blocks of 353 rows, in the order of
``primary_data.csv``. ``resources/species_rows.bin`` holds a fingerprint of every canonical row
(its class and features, numbers to two decimals) with its species, so a row keeps its species
whatever the file's line endings, order, subset or header spelling. A fingerprint two species
share names neither. Rebuild it with ``python -m scripts.species_index``.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources

CANONICAL_SHA256 = "c0eb333df5747171cfc4356c966434b4e9ba1f099c4a0aa2c27f545853e6d203"
CANONICAL_ROWS = 61_069
ROWS_PER_SPECIES = 353
INDEX = "resources/species_rows.bin"
AMBIGUOUS = 255  # species index of a fingerprint that more than one species has


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


def fingerprints(frame):
    """64-bit fingerprint of each validated row: class and features, numbers to 2 decimals."""
    import numpy as np  # the ingest and training paths have it; the stdlib callers do not

    from mushroom import contract

    texts = []
    for name in (contract.LABEL, *contract.FEATURE_NAMES):
        column = frame[name]
        if column.dtype.kind == "f":
            column = column.round(2)
        texts.append(column.astype(object).where(column.notna(), "").astype(str))
    joined = texts[0].str.cat(texts[1:], sep="|") if len(frame) else []
    digests = [hashlib.blake2b(t.encode(), digest_size=8).digest() for t in joined]
    return np.array([int.from_bytes(d, "little") for d in digests], dtype=np.uint64)


def identify(frame) -> list:
    """The canonical species of each validated row, or None where its content is not a
    canonical row (or is one that several species share)."""
    import numpy as np

    keys, names = _index()
    found = fingerprints(frame)
    where = np.clip(np.searchsorted(keys, found), 0, max(len(keys) - 1, 0))
    hit = (keys[where] == found) if len(keys) else np.zeros(len(found), bool)
    catalogue_names = [entry["name"] for entry in catalogue()]
    return [
        catalogue_names[names[w]] if h and names[w] != AMBIGUOUS else None
        for w, h in zip(where, hit)
    ]


@lru_cache(maxsize=1)
def _index():
    import numpy as np

    data = resources.files("mushroom").joinpath(INDEX).read_bytes()
    count = len(data) // 9
    keys = np.frombuffer(data[: 8 * count], dtype="<u8")
    return keys, np.frombuffer(data[8 * count :], dtype=np.uint8)


def index_bytes(frame, names) -> bytes:
    """The fingerprint index of the canonical rows (sorted keys, then species indexes)."""
    import numpy as np

    number = {entry["name"]: i for i, entry in enumerate(catalogue())}
    keys = fingerprints(frame)
    codes = np.array([number[n] for n in names], dtype=np.uint8)
    order = np.argsort(keys, kind="stable")
    keys, codes = keys[order], codes[order]
    unique, first, counts = np.unique(keys, return_index=True, return_counts=True)
    chosen = codes[first].copy()
    for i in np.nonzero(counts > 1)[0]:  # the same row in two species names neither
        if len(set(codes[first[i] : first[i] + counts[i]].tolist())) > 1:
            chosen[i] = AMBIGUOUS
    return unique.astype("<u8").tobytes() + chosen.tobytes()
