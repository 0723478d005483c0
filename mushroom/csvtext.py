"""Read uploaded CSV bytes into rows of text with the standard library only (no pandas).

The lean prediction Lambda scores batch files with this reader. The bytes are read by
:mod:`mushroom.textfile`, the same reading ingest (:mod:`mushroom.table`, which needs pandas)
uses, so a file is decoded, split into lines and fields and refused (gzip, UTF-8 with or without
BOM, binary, UTF-16, empty, separator) alike whichever prefix it is uploaded to. Unlike ingest,
the header is not checked against the contract here: rows are checked one by one when scored.
"""

from __future__ import annotations

from dataclasses import dataclass

from mushroom import contract
from mushroom.textfile import is_blank, open_text, split_line


@dataclass(frozen=True)
class TextTable:
    """A parsed file: original headers, rows as dicts of text keyed by original header."""

    headers: tuple[str, ...]
    rows: list[dict[str, str]]
    separator: str
    header: contract.HeaderMatch
    malformed: dict[int, str]  # row index -> why its line cannot be split into the header's fields

    def specimen(self, row: dict[str, str]) -> dict[str, str]:
        """The row's contract columns under their canonical names."""
        return {name: row.get(original, "") for original, name in self.header.columns.items()}


def read_text_table(data: bytes, *, max_bytes: int | None = None) -> TextTable:
    """Parse CSV bytes into a :class:`TextTable`; blank lines are skipped, nothing converted.

    ``max_bytes`` limits the (decompressed) CSV text, as ingest does; None means no limit.
    """
    text = open_text(data, max_bytes=max_bytes)
    header = text.header
    rows, malformed = [], {}
    for _, line in text.lines:
        if is_blank(line):
            continue
        fields, _, reasons = split_line(line, header.separator, len(header.fields))
        if reasons:
            malformed[len(rows)] = "; ".join(reason["message"] for reason in reasons)
        rows.append(dict(zip(header.fields, fields)))
    return TextTable(header.fields, rows, header.separator, header.match, malformed)
