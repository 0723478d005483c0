"""Read uploaded CSV bytes into rows of text with the standard library only (no pandas).

The lean prediction Lambda scores batch files with this reader. The bytes are read by
:mod:`mushroom.textfile`, the same reading ingest (:mod:`mushroom.table`, which needs pandas)
uses, so a file is decoded, split into lines and fields and refused (gzip, UTF-8 with or without
BOM, binary, UTF-16, empty, separator) alike whichever prefix it is uploaded to. Unlike ingest,
the header's label is optional here (batch files are scored, not trained on); duplicated or
missing required columns and a file without data rows are refused alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from mushroom import contract
from mushroom.textfile import Refusal, check_header, is_blank, open_text, refuse, split_line


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
    check_header(header, labelled=False)
    rows, malformed = [], {}
    for _, line in text.lines:
        if is_blank(line):
            continue
        fields, _, reasons = split_line(line, header.separator, len(header.fields))
        if reasons:
            malformed[len(rows)] = "; ".join(reason["message"] for reason in reasons)
        rows.append(dict(zip(header.fields, fields)))
    if not rows:
        raise refuse(Refusal.HEADER_ONLY, "the file has a header but no data rows")
    return TextTable(header.fields, rows, header.separator, header.match, malformed)
