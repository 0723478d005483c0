"""Support for the ingest tests: CSV files built from specimens, and the header of the contract."""

from __future__ import annotations

import gzip

from mushroom import contract
from tests.conftest import specimen

HEADER = list(contract.DATASET_COLUMNS)
UCI_1987_HEADER = (
    "class,cap-shape,cap-surface,cap-color,bruises,odor,gill-attachment,"
    "gill-spacing,gill-size,gill-color,stalk-shape,stalk-root,"
    "stalk-surface-above-ring,stalk-surface-below-ring,stalk-color-above-ring,"
    "stalk-color-below-ring,veil-type,veil-color,ring-number,ring-type,"
    "spore-print-color,population,habitat"
)


def csv_text(
    rows: list[dict], *, header: list[str] | None = None, sep: str = ";", newline: str = "\n"
) -> str:
    """A CSV file of specimens (canonical names as keys) under the given header."""
    header = header or HEADER
    lines = [sep.join(header)]
    lines += [sep.join(row.get(contract.canonical_name(h), "") for h in header) for row in rows]
    return newline.join(lines) + newline


def csv_bytes(rows: list[dict], *, bom: bool = False, gz: bool = False, **options) -> bytes:
    """``csv_text`` encoded as UTF-8, with a BOM and gzip when asked."""
    data = (b"\xef\xbb\xbf" if bom else b"") + csv_text(rows, **options).encode("utf-8")
    return gzip.compress(data, mtime=0) if gz else data


def good_rows(count: int) -> list[dict]:
    """``count`` valid, distinct specimens."""
    return [specimen(cap_diameter=f"{1 + i % 50}.5", season="wsau"[i % 4]) for i in range(count)]
