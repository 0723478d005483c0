"""Read uploaded bytes into a table of text values with canonical column names."""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass

import pandas as pd

from mushroom import contract
from mushroom.errors import NotATableError

SEPARATORS = (";", ",")


@dataclass(frozen=True)
class Table:
    """A parsed file: its rows as text, the separator found and how its header matched."""

    frame: pd.DataFrame  # text values, columns renamed to canonical names, unknown ones dropped
    separator: str
    header: contract.HeaderMatch


def decode(data: bytes) -> str:
    """Bytes to text: gzip if compressed, UTF-8 with or without a BOM; binary is refused."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if b"\x00" in data[:65536]:
        raise NotATableError("binary", "the file is binary (it contains NUL bytes), not CSV text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise NotATableError(
            "encoding",
            f"the file is not UTF-8 text: byte "
            f"0x{data[error.start]:02x} at offset {error.start}; "
            "save it as UTF-8",
        ) from error


def detect_separator(header_line: str) -> str:
    """The separator (';' or ',') that splits the header into the most contract columns."""

    def score(separator: str) -> int:
        fields = next(csv.reader([header_line], delimiter=separator))
        return len(contract.match_header(fields).columns)

    return max(SEPARATORS, key=score)


def read_table(data: bytes) -> Table:
    """Parse CSV bytes into a :class:`Table` of text values (nothing converted yet)."""
    text = decode(data)
    if not text.strip():
        raise NotATableError("empty", "the file is empty")
    separator = detect_separator(text.splitlines()[0])
    frame = pd.read_csv(
        io.StringIO(text),
        sep=separator,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=True,
    )
    header = contract.match_header(frame.columns)
    frame = frame[list(header.columns)].rename(columns=header.columns)
    return Table(frame, separator, header)
