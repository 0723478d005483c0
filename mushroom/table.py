"""Read uploaded bytes into blocks of specimen rows with canonical column names.

A file that is not a table of specimens is refused as a whole (:class:`NotATableError` with a
rule from :class:`Refusal`). A line that cannot be split into the header's fields (wrong field
count, bytes that are not UTF-8, an unbalanced quote) is a malformed row with a reason, never
dropped: every non-blank line after the header is one row, numbered by its line in the file.
Rows are read in chunks, so memory does not grow with the file (gzip is decompressed as a stream).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import zlib
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING, Iterable, Iterator

from mushroom import contract
from mushroom.errors import NotATableError

if TYPE_CHECKING:  # pandas is imported where rows become frames: the lean Lambda never does
    import pandas as pd

SEPARATORS = (";", ",")
GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
SNIFF_BYTES = 64 * 1024
BLOCK_BYTES = 8 * 1024 * 1024
CHUNK_ROWS = 50_000
# Share of control bytes (other than tab, CR, LF) above which a text file is called binary.
MAX_CONTROL_SHARE = 0.01
CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))
ROW = "(row)"  # the ``column`` of a reason about the whole row
REQUIRED_FEATURES = tuple(c.name for c in contract.FEATURES if c.required)
# Columns of the 1987 UCI Mushroom data set that the secondary data set does not have.
UCI_1987_COLUMNS = {"odor", "bruises", "gill-size", "stalk-shape", "population", "ring-number"}


class Refusal:
    """Rules by which a whole file is refused (the ``rule`` of a refusal)."""

    TOO_LARGE = "too_large"
    CORRUPT_COMPRESSION = "corrupt_compression"
    BINARY = "binary"
    ENCODING = "encoding"
    EMPTY = "empty"
    HEADER_ONLY = "header_only"
    DUPLICATED_COLUMNS = "duplicated_columns"
    MISSING_COLUMNS = "missing_columns"
    NO_LABEL = "no_label"


class RowRule:
    """Rules by which one line cannot be read as a row (the ``rule`` of a row reason)."""

    FIELD_COUNT = "field_count"
    UNDECODABLE = "undecodable_bytes"
    UNBALANCED_QUOTE = "unbalanced_quote"


@dataclass(frozen=True)
class Header:
    """The header line: its fields as written, the separator and how it maps onto the contract."""

    fields: tuple[str, ...]
    separator: str
    match: contract.HeaderMatch
    line_number: int

    @property
    def positions(self) -> dict[str, int]:
        """Canonical column name -> position of its field in a row."""
        return {self.match.columns[f]: i for i, f in enumerate(self.fields)
                if f in self.match.columns}  # fmt: skip


@dataclass(frozen=True)
class Content:
    """What the first pass learns about the (decompressed) bytes."""

    sha256: str
    size: int
    compression: str | None


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
            if not line.strip():
                self.blank_lines += 1
                continue
            batch.append((number, line))
            if len(batch) >= size:
                yield parse_rows(batch, self.header)
                batch = []
        if batch:
            yield parse_rows(batch, self.header)


def refuse(rule: str, message: str) -> NotATableError:
    """The error that refuses a whole file."""
    return NotATableError(rule, message)


def content_blocks(data: bytes) -> Iterator[bytes]:
    """The file's bytes in blocks, decompressed when gzip (recognised by its magic bytes)."""
    if data[:2] != GZIP_MAGIC:
        yield from (data[i : i + BLOCK_BYTES] for i in range(0, len(data), BLOCK_BYTES))
        return
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            while block := stream.read(BLOCK_BYTES):
                yield block
    except (OSError, EOFError, zlib.error) as error:
        message = f"the gzip data is corrupt or truncated: {error}"
        raise refuse(Refusal.CORRUPT_COMPRESSION, message) from error


def inspect(data: bytes, max_bytes: int) -> Content:
    """First pass: size limit, sha256 of the content, binary sniffing."""
    digest, size, sniff = hashlib.sha256(), 0, b""
    for block in content_blocks(data):
        size += len(block)
        if size > max_bytes:
            message = (f"the file holds more than the limit of {max_bytes:,} bytes of CSV "
                       "text; split it into smaller files")  # fmt: skip
            raise refuse(Refusal.TOO_LARGE, message)
        digest.update(block)
        sniff = sniff or block[:SNIFF_BYTES]
    check_text(sniff)
    return Content(digest.hexdigest(), size, "gzip" if data[:2] == GZIP_MAGIC else None)


def check_text(sniff: bytes) -> None:
    """Refuse bytes that are not text: UTF-16, NUL bytes, many control bytes, or nothing."""
    if sniff.startswith(UTF16_BOMS):
        raise refuse(Refusal.ENCODING, "the file is UTF-16 text; save it as UTF-8 CSV")
    if b"\x00" in sniff:
        raise refuse(Refusal.BINARY, "the file is binary (it contains NUL bytes), not CSV text")
    controls = len(sniff) - len(sniff.translate(None, CONTROL_BYTES))
    if controls > MAX_CONTROL_SHARE * len(sniff):
        raise refuse(Refusal.BINARY, f"the file is binary ({controls} control bytes in the "
                     f"first {len(sniff)}), not CSV text")  # fmt: skip
    if not sniff.strip(b" \t\r\n" + UTF8_BOM):
        raise refuse(Refusal.EMPTY, "the file is empty")


def numbered_lines(blocks: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """(line number from 1, line without its ending) for LF, CRLF and CR endings alike."""
    number, carry = 0, b""
    for block in blocks:
        block = carry + block
        lines = block.splitlines()
        carry = b""
        if block.endswith(b"\r"):  # a CRLF may be split between two blocks
            carry = lines.pop() + b"\r" if lines else b"\r"
        elif not block.endswith(b"\n"):
            carry = lines.pop() if lines else b""
        for line in lines:
            number += 1
            yield number, line
    if carry.rstrip(b"\r"):
        yield number + 1, carry.rstrip(b"\r")


def read_header(lines: Iterator[tuple[int, bytes]]) -> Header:
    """The first non-blank line, decoded and matched onto the contract."""
    for number, line in lines:
        if line.strip():
            break
    else:
        raise refuse(Refusal.EMPTY, "the file is empty")
    try:
        text = line.removeprefix(UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError as error:
        raise refuse(Refusal.ENCODING, f"the header line is not UTF-8 text (byte "
                     f"0x{line[error.start]:02x}); save the file as UTF-8") from error  # fmt: skip
    separator = detect_separator(text)
    fields = tuple(trim(next(csv.reader([text], delimiter=separator))))
    return Header(fields, separator, contract.match_header(fields), number)


def detect_separator(header_line: str) -> str:
    """The separator (';' or ',') that splits the header into the most contract columns."""

    def score(separator: str) -> int:
        fields = next(csv.reader([header_line], delimiter=separator))
        return len(contract.match_header(fields).columns)

    return max(SEPARATORS, key=score)


def trim(fields: list[str]) -> list[str]:
    """Drop empty trailing fields (a separator at the end of every line, as some tools write)."""
    while len(fields) > 1 and not fields[-1].strip():
        fields.pop()
    return fields


def check_header(header: Header, *, labelled: bool = True) -> None:
    """Refuse a header that is not the contract's: duplicates, missing columns, no label."""
    match = header.match
    if match.duplicated:
        raise refuse(Refusal.DUPLICATED_COLUMNS, "columns given more than once: "
                     f"{', '.join(sorted(set(match.duplicated)))}")  # fmt: skip
    missing = [name for name in REQUIRED_FEATURES if name not in match.columns.values()]
    if missing:
        raise refuse(Refusal.MISSING_COLUMNS, missing_columns_message(header, missing))
    if labelled and not match.has_label:
        raise refuse(Refusal.NO_LABEL, f"no '{contract.LABEL}' column: unlabelled specimens are "
                     "not training data; upload them under batch/ to have them scored")  # fmt: skip


def missing_columns_message(header: Header, missing: list[str]) -> str:
    """Which required columns are absent, and a hint when the file is the 1987 data set."""
    matched = len(header.match.columns)
    message = (f"the header matches {matched} of the {len(contract.COLUMNS)} contract columns "
               f"and lacks the required {', '.join(missing)}")  # fmt: skip
    if UCI_1987_COLUMNS & {contract.canonical_name(f) for f in header.fields}:
        message += " (this looks like the 1987 UCI Mushroom data set, a different schema)"
    return message


def open_table(data: bytes, *, max_bytes: int, labelled: bool = True) -> TableReader:
    """Check the file as a whole and its header; rows are then read with ``chunks()``."""
    content = inspect(data, max_bytes)
    lines = numbered_lines(content_blocks(data))
    header = read_header(lines)
    check_header(header, labelled=labelled)
    first = next(((n, line) for n, line in lines if line.strip()), None)
    if first is None:
        raise refuse(Refusal.HEADER_ONLY, "the file has a header but no data rows")
    blank = first[0] - header.line_number - 1
    return TableReader(header, content, chain([first], lines), blank_lines=blank)


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


def split_line(line: bytes, separator: str, width: int) -> tuple[list[str], str, list[dict]]:
    """A line's fields, its text and the reasons it is malformed (none when it fits)."""
    reasons = []
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        text = line.decode("utf-8", "backslashreplace")
        reasons.append(row_reason(RowRule.UNDECODABLE, f"byte 0x{line[error.start]:02x} at "
                                  f"position {error.start} is not UTF-8 text"))  # fmt: skip
    if '"' not in text:
        fields = trim(text.split(separator))
    else:
        fields = trim(next(csv.reader([text], delimiter=separator)))
        if text.count('"') % 2:
            reasons.append(row_reason(RowRule.UNBALANCED_QUOTE, "a quote is opened but not closed"))
    if len(fields) != width:
        reasons.append(row_reason(RowRule.FIELD_COUNT, f"expected {width} fields (as in the "
                                  f"header), got {len(fields)}"))  # fmt: skip
    return fields, text, reasons


def row_reason(rule: str, message: str) -> dict:
    """A reason about a whole row, in the shape of :meth:`contract.Reason.as_dict`."""
    return {"column": ROW, "value": None, "rule": rule, "message": message}


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
