"""Read uploaded CSV bytes into rows of text with the standard library only (no pandas).

The lean prediction Lambda scores batch files with this reader; it applies the same decoding
and separator rules as :mod:`mushroom.table` (which needs pandas) so both read a file alike.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass

from mushroom import contract
from mushroom.errors import NotATableError

SEPARATORS = (";", ",")


@dataclass(frozen=True)
class TextTable:
    """A parsed file: original headers, rows as dicts of text keyed by original header."""

    headers: tuple[str, ...]
    rows: list[dict[str, str]]
    separator: str
    header: contract.HeaderMatch
    malformed: dict[int, str]  # row index -> why its cells do not line up with the header

    def specimen(self, row: dict[str, str]) -> dict[str, str]:
        """The row's contract columns under their canonical names."""
        return {name: row.get(original, "") for original, name in self.header.columns.items()}


def decode(data: bytes) -> str:
    """Bytes to text: gzip if compressed, UTF-8 with or without a BOM; binary is refused."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if b"\x00" in data[:65536]:
        raise NotATableError("binary", "the file is binary (it contains NUL bytes), not CSV text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise NotATableError("encoding", f"the file is not UTF-8 text: byte "
                             f"0x{data[error.start]:02x} at offset {error.start}; "
                             "save it as UTF-8") from error  # fmt: skip


def detect_separator(header_line: str) -> str:
    """The separator (';' or ',') that splits the header into the most contract columns."""

    def score(separator: str) -> int:
        fields = next(csv.reader([header_line], delimiter=separator))
        return len(contract.match_header(fields).columns)

    return max(SEPARATORS, key=score)


def read_text_table(data: bytes) -> TextTable:
    """Parse CSV bytes into a :class:`TextTable`; blank lines are skipped, nothing converted."""
    text = decode(data)
    if not text.strip():
        raise NotATableError("empty", "the file is empty")
    separator = detect_separator(text.splitlines()[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    headers = tuple(next(reader))
    rows, malformed = [], {}
    for values in reader:
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(headers):
            malformed[len(rows)] = (f"the row has {len(values)} cells, the header "
                                    f"{len(headers)}")  # fmt: skip
        rows.append(dict(zip(headers, values)))
    return TextTable(headers, rows, separator, contract.match_header(headers), malformed)
