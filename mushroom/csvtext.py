"""Read uploaded CSV bytes into rows of text with the standard library only (no pandas).

The lean prediction Lambda scores batch files with this reader. The file is opened by
:func:`mushroom.table.open_table`, as ingest opens it (that part needs no pandas; only ingest's
row frames do), so a file is decoded, split into lines and fields and refused (gzip, UTF-8 with
or without BOM, binary, UTF-16, empty, separator, duplicated or missing columns, no data rows)
alike whichever prefix it is uploaded to. Only the label is optional here: batch files are
scored, not trained on. Rows are read in blocks, so memory does not grow with the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from typing import Iterator

from mushroom import contract
from mushroom.table import open_table
from mushroom.textfile import (
    Header,
    Readable,
    content_blocks,
    is_blank,
    numbered_lines,
    read_header,
    split_line,
)

BLOCK_ROWS = 5000


@dataclass(frozen=True)
class TextRow:
    """One data row: its place among the data rows (0-based), its fields by original header,
    and why its line cannot be split into the header's fields (None when it can)."""

    index: int
    values: dict[str, str]
    malformed: str | None


class TextRows:
    """An opened file whose rows are read once, in order, block by block."""

    def __init__(self, header: Header, lines: Iterator[tuple[int, bytes]], first_row: int = 0):
        self.headers, self.separator = header.fields, header.separator
        self.header: contract.HeaderMatch = header.match
        self.positions = header.positions
        self._lines = (line for _, line in lines if not is_blank(line))
        self._read = first_row  # data rows before these (a part of a split file)

    def blocks(self, size: int | None = None) -> Iterator[list[TextRow]]:
        """The rows not yet read, in blocks of at most ``size`` (default BLOCK_ROWS)."""
        for first, lines in self.line_blocks(size):
            yield [self.row(first + i, line) for i, line in enumerate(lines)]

    def line_blocks(self, size: int | None = None) -> Iterator[tuple[int, list[bytes]]]:
        """(index of the first, lines) of the rows not yet read, in blocks of at most ``size``."""
        while lines := list(islice(self._lines, size or BLOCK_ROWS)):
            first, self._read = self._read, self._read + len(lines)
            yield first, lines

    def row(self, index: int, line: bytes) -> TextRow:
        """The row at ``index`` (among data rows) from its line."""
        fields, _, reasons = split_line(line, self.separator, len(self.headers))
        malformed = "; ".join(reason["message"] for reason in reasons) if reasons else None
        return TextRow(index, dict(zip(self.headers, fields)), malformed)


def open_text_table(data: bytes | Readable, *, max_bytes: int | None = None) -> TextRows:
    """Check a file as a whole and its header (raising NotATableError), rows to be read.

    ``max_bytes`` limits the (decompressed) CSV text, as ingest does; None means no limit.
    """
    reader = open_table(data, max_bytes=max_bytes, labelled=False)
    return TextRows(reader.header, reader.lines)


def open_part_table(data: Readable, first_row: int) -> TextRows:
    """A part of a split file (its header line in front), its rows numbered after the
    ``first_row`` rows before it. Not checked: the file was, as a whole, before it was split
    (a part of the middle is not sniffed as if it started the file)."""
    lines = numbered_lines(content_blocks(data))
    return TextRows(read_header(lines), lines, first_row)


@dataclass(frozen=True)
class TextTable:
    """A whole small file at once (tests, scripts): rows by original header, malformed ones."""

    headers: tuple[str, ...]
    rows: list[dict[str, str]]
    separator: str
    header: contract.HeaderMatch
    malformed: dict[int, str]  # row index -> why its line cannot be split into the header's fields


def read_text_table(data: bytes, *, max_bytes: int | None = None) -> TextTable:
    """Read a whole file into a :class:`TextTable`; blank lines are skipped, nothing converted."""
    opened = open_text_table(data, max_bytes=max_bytes)
    rows = [row for block in opened.blocks() for row in block]
    malformed = {row.index: row.malformed for row in rows if row.malformed}
    return TextTable(
        opened.headers, [row.values for row in rows], opened.separator, opened.header, malformed
    )
