"""Read uploaded bytes into blocks of specimen rows with canonical column names (ingest).

The bytes and the header are read and checked by :mod:`mushroom.textfile`, the reading batch
scoring shares (gzip, UTF-8 with or without BOM, line endings, separator, duplicated or missing
columns, malformed lines). A file that is not a table of specimens is refused as a whole
(:class:`NotATableError` with a rule from :class:`Refusal`); here a file without the label is
refused too. A line that cannot be split into the header's fields (wrong field count, bytes that
are not UTF-8, an unbalanced quote) is a malformed row with a reason, never dropped: every
non-blank line after the header is one row, numbered by its line in the file. Rows are read in
chunks, so memory does not grow with the file (gzip is decompressed as a stream).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING, Iterator

from mushroom import contract
from mushroom.textfile import (
    Content,
    Header,
    Readable,
    Refusal,
    check_header,
    is_blank,
    open_text,
    refuse,
    split_line,
)
from mushroom.textfile import RowRule, numbered_lines  # noqa: F401 (re-exported for callers)

if TYPE_CHECKING:  # pandas is imported where rows become frames: the lean Lambda never does
    import pandas as pd

CHUNK_ROWS = 50_000


@dataclass
class Chunk:
    """A block of consecutive rows: well-formed ones as text, malformed ones with reasons."""

    frame: pd.DataFrame  # well-formed rows, canonical names, text values, index = row number
    fields: dict[int, list[str]] = field(default_factory=dict)  # every row's fields as written
    malformed: dict[int, tuple[str, list[dict]]] = field(default_factory=dict)  # line, reasons

    @property
    def rows(self) -> int:
        return len(self.fields)


@dataclass
class TableReader:
    """An opened table: header checked, rows to be read chunk by chunk with :meth:`chunks`."""

    header: Header
    content: Content
    lines: Iterator[tuple[int, bytes]]
    blank_lines: int = 0

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator["Chunk"]:
        """Rows in blocks of ``size`` (blank lines are skipped and counted)."""
        batch: list[tuple[int, bytes]] = []
        for number, line in self.lines:
            if is_blank(line):
                self.blank_lines += 1
                continue
            batch.append((number, line))
            if len(batch) >= size:
                yield parse_rows(batch, self.header)
                batch = []
        if batch:
            yield parse_rows(batch, self.header)


def open_table(
    data: bytes | Readable, *, max_bytes: int | None, labelled: bool = True
) -> TableReader:
    """Check the file as a whole and its header; rows are then read with ``chunks()`` (pandas)
    or line by line from ``lines`` (no pandas: batch scoring). ``max_bytes=None``: no limit."""
    text = open_text(data, max_bytes=max_bytes)
    check_header(text.header, labelled=labelled)
    first = next(((n, line) for n, line in text.lines if not is_blank(line)), None)
    if first is None:
        raise refuse(Refusal.HEADER_ONLY, "the file has a header but no data rows")
    blank = first[0] - text.header.line_number - 1
    return TableReader(text.header, text.content, chain([first], text.lines), blank_lines=blank)


def parse_rows(lines: list[tuple[int, bytes]], header: Header) -> Chunk:
    """Split lines into fields; lines that do not fit the header become malformed rows."""
    import pandas as pd

    chunk = Chunk(frame=None)
    width, good = len(header.fields), []
    for number, line in lines:
        fields, text, reasons = split_line(line, header.separator, width)
        chunk.fields[number] = fields
        if reasons:
            chunk.malformed[number] = (text, reasons)
        else:
            good.append(number)
    positions = header.positions
    columns = {name: [chunk.fields[n][i] for n in good] for name, i in positions.items()}
    chunk.frame = pd.DataFrame(columns, index=pd.Index(good, dtype="int64"), dtype=object)
    return chunk


@dataclass(frozen=True)
class Table:
    """A whole small file read at once: its well-formed rows as text, separator and header."""

    frame: pd.DataFrame
    separator: str
    header: contract.HeaderMatch


def read_table(data: bytes, *, max_bytes: int = 1 << 40, labelled: bool = True) -> Table:
    """Read a whole file into one table of well-formed rows (scripts and tests; not streaming)."""
    import pandas as pd

    reader = open_table(data, max_bytes=max_bytes, labelled=labelled)
    frames = [chunk.frame for chunk in reader.chunks()]
    frame = pd.concat(frames) if len(frames) > 1 else frames[0]
    return Table(frame.reset_index(drop=True), reader.header.separator, reader.header.match)
