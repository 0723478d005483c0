"""Uploaded CSV bytes to a header and lines of fields: the one reading shared by every upload.

Ingest (:mod:`mushroom.table`, uploads to ``raw/``) and batch scoring (:mod:`mushroom.csvtext`,
uploads to ``batch/``) both read a file through this module, so a file is read the same way
whichever prefix it is uploaded to. It needs the standard library only: the prediction Lambda,
which scores batch files, has no pandas.

- gzip is recognised by its magic bytes (not the name) and decompressed as a stream; data that
  does not decompress is refused (``corrupt_compression``).
- UTF-8 with or without a BOM. UTF-16 is refused (``encoding``, "save it as UTF-8 CSV"); NUL
  bytes or more than 1 % control bytes in the first 64 KB are refused (``binary``); nothing but
  whitespace is refused (``empty``).
- LF, CRLF and CR line endings; a quote never spans lines (one bad quote cannot swallow the
  rest of the file).
- The header is the first non-blank line; it must be UTF-8 (``encoding``). Its separator is
  the one of ``;`` and ``,`` that splits it into the most contract columns; ``;`` on a tie.
- Every later non-blank line is one row. A line that is not UTF-8, has an unbalanced quote or
  not the header's number of fields is a malformed row with reasons, never dropped. Empty
  fields at the end of a line (a separator closing every line, as some tools write) are dropped.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterable, Iterator

from mushroom import contract
from mushroom.errors import NotATableError

SEPARATORS = (";", ",")  # in order of preference: the first wins a tie
GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
SNIFF_BYTES = 64 * 1024
BLOCK_BYTES = 8 * 1024 * 1024
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
        return {
            self.match.columns[f]: i for i, f in enumerate(self.fields) if f in self.match.columns
        }


@dataclass(frozen=True)
class Content:
    """What the first pass learns about the (decompressed) bytes."""

    sha256: str
    size: int
    compression: str | None


@dataclass
class TextFile:
    """An opened file: checked as a whole, header read; ``lines`` are the lines after it."""

    content: Content
    header: Header
    lines: Iterator[tuple[int, bytes]]  # (line number from 1, line without its ending)


def refuse(rule: str, message: str) -> NotATableError:
    """The error that refuses a whole file."""
    return NotATableError(rule, message)


def open_text(data: bytes | Readable, *, max_bytes: int | None = None) -> TextFile:
    """Check the bytes as a whole (size, compression, text) and read the header line."""
    content = inspect(data, max_bytes)
    lines = numbered_lines(content_blocks(data))
    return TextFile(content, read_header(lines), lines)


def check_header(header: Header, *, labelled: bool = True) -> None:
    """Refuse a header that is not the contract's: duplicates, missing columns, no label."""
    match = header.match
    if match.duplicated:
        raise refuse(
            Refusal.DUPLICATED_COLUMNS,
            "columns given more than once: " f"{', '.join(sorted(set(match.duplicated)))}",
        )
    missing = [name for name in REQUIRED_FEATURES if name not in match.columns.values()]
    if missing:
        raise refuse(Refusal.MISSING_COLUMNS, missing_columns_message(header, missing))
    if labelled and not match.has_label:
        raise refuse(
            Refusal.NO_LABEL,
            f"no '{contract.LABEL}' column: unlabelled specimens are "
            "not training data; upload them under batch/ to have them scored",
        )


def missing_columns_message(header: Header, missing: list[str]) -> str:
    """Which required columns are absent, and a hint when the file is the 1987 data set."""
    matched = len(header.match.columns)
    message = (
        f"the header matches {matched} of the {len(contract.COLUMNS)} contract columns "
        f"and lacks the required {', '.join(missing)}"
    )
    if UCI_1987_COLUMNS & {contract.canonical_name(f) for f in header.fields}:
        message += " (this looks like the 1987 UCI Mushroom data set, a different schema)"
    return message


@dataclass(frozen=True)
class Readable:
    """Bytes that can be read more than once from the start without holding them in memory
    (an S3 object is fetched again): ``open()`` gives a new file-like object."""

    open: Callable[[], BinaryIO]
    magic: bytes  # the first two bytes (gzip is recognised by them)


def readable(data: bytes | Readable) -> Readable:
    """Bytes in memory as a :class:`Readable` (a Readable is returned as it is)."""
    if isinstance(data, Readable):
        return data
    return Readable(lambda: io.BytesIO(data), data[:2])


def content_blocks(data: bytes | Readable) -> Iterator[bytes]:
    """The file's bytes in blocks, decompressed when gzip (recognised by its magic bytes)."""
    source = readable(data)
    stream = source.open()
    if source.magic != GZIP_MAGIC:
        while block := stream.read(BLOCK_BYTES):
            yield block
        return
    try:
        with gzip.GzipFile(fileobj=stream) as unzipped:
            while block := unzipped.read(BLOCK_BYTES):
                yield block
    except (OSError, EOFError, zlib.error) as error:
        message = f"the gzip data is corrupt or truncated: {error}"
        raise refuse(Refusal.CORRUPT_COMPRESSION, message) from error


def inspect(data: bytes | Readable, max_bytes: int | None) -> Content:
    """First pass: size limit (none when ``max_bytes`` is None), sha256, binary sniffing."""
    digest, size, sniff = hashlib.sha256(), 0, b""
    for block in content_blocks(data):
        size += len(block)
        if max_bytes is not None and size > max_bytes:
            message = (
                f"the file holds more than the limit of {max_bytes:,} bytes of CSV "
                "text; split it into smaller files"
            )
            raise refuse(Refusal.TOO_LARGE, message)
        digest.update(block)
        sniff = sniff or block[:SNIFF_BYTES]
    check_text(sniff)
    compressed = readable(data).magic == GZIP_MAGIC
    return Content(digest.hexdigest(), size, "gzip" if compressed else None)


def check_text(sniff: bytes) -> None:
    """Refuse bytes that are not text: UTF-16, NUL bytes or many control bytes.

    A file of nothing but whitespace is refused by :func:`read_header` (it finds no header).
    """
    if sniff.startswith(UTF16_BOMS):
        raise refuse(Refusal.ENCODING, "the file is UTF-16 text; save it as UTF-8 CSV")
    if b"\x00" in sniff:
        raise refuse(Refusal.BINARY, "the file is binary (it contains NUL bytes), not CSV text")
    controls = len(sniff) - len(sniff.translate(None, CONTROL_BYTES))
    if controls > MAX_CONTROL_SHARE * len(sniff):
        raise refuse(
            Refusal.BINARY,
            f"the file is binary ({controls} control bytes in the "
            f"first {len(sniff)}), not CSV text",
        )


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


def is_blank(line: bytes) -> bool:
    """A line of nothing but whitespace: skipped (and counted by ingest), never a row."""
    return not line.strip()


def read_header(lines: Iterator[tuple[int, bytes]]) -> Header:
    """The first non-blank line (after a UTF-8 BOM), decoded and matched onto the contract."""
    for number, line in lines:
        if number == 1:  # a BOM only ever starts the file
            line = line.removeprefix(UTF8_BOM)
        if not is_blank(line):
            break
    else:
        raise refuse(Refusal.EMPTY, "the file is empty")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise refuse(
            Refusal.ENCODING,
            f"the header line is not UTF-8 text (byte "
            f"0x{line[error.start]:02x}); save the file as UTF-8",
        ) from error
    separator = detect_separator(text)
    fields = tuple(trim(next(csv.reader([text], delimiter=separator))))
    return Header(fields, separator, contract.match_header(fields), number)


def detect_separator(header_line: str) -> str:
    """The separator (';' or ',') that splits the header into the most contract columns.

    On a tie (e.g. a header that matches no contract column) the first of :data:`SEPARATORS`.
    """

    def score(separator: str) -> int:
        fields = next(csv.reader([header_line], delimiter=separator))
        return len(contract.match_header(fields).columns)

    return max(SEPARATORS, key=score)


def trim(fields: list[str]) -> list[str]:
    """Drop empty trailing fields (a separator at the end of every line, as some tools write)."""
    while len(fields) > 1 and not fields[-1].strip():
        fields.pop()
    return fields


def split_line(line: bytes, separator: str, width: int) -> tuple[list[str], str, list[dict]]:
    """A line's fields, its text and the reasons it is malformed (none when it fits)."""
    reasons = []
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        text = line.decode("utf-8", "backslashreplace")
        reasons.append(
            row_reason(
                RowRule.UNDECODABLE,
                f"byte 0x{line[error.start]:02x} at " f"position {error.start} is not UTF-8 text",
            )
        )
    if '"' not in text:
        fields = trim(text.split(separator))
    else:
        fields = trim(next(csv.reader([text], delimiter=separator)))
        if text.count('"') % 2:
            reasons.append(row_reason(RowRule.UNBALANCED_QUOTE, "a quote is opened but not closed"))
    if len(fields) != width:
        reasons.append(
            row_reason(
                RowRule.FIELD_COUNT,
                f"expected {width} fields (as in the " f"header), got {len(fields)}",
            )
        )
    return fields, text, reasons


def row_reason(rule: str, message: str) -> dict:
    """A reason about a whole row, in the shape of :meth:`contract.Reason.as_dict`."""
    return {"column": ROW, "value": None, "rule": rule, "message": message}
