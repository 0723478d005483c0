"""A batch file too large for one invocation, as parts scored apart and merged into one answer.

:func:`plan_parts` cuts the file's bytes into parts on line boundaries (LF, CRLF or CR, as
:func:`mushroom.textfile.numbered_lines` reads them), each at most ``split_bytes`` long unless a
single line is longer, and counts the data rows before each part, so that a part scored on its
own (the header line put in front) numbers its rows as the whole file would. It reads the bytes
once, block by block: memory holds one block. :func:`merged_report` adds the parts' reports up.
Standard library only (the predict function plans and merges).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from mushroom.errors import NotATableError
from mushroom.reasons import EXAMPLES_PER_REASON
from mushroom.records.batch_report import BatchReport
from mushroom.textfile import UTF8_BOM, Refusal

# Parts a state machine's execution passes between its states (their list, with the header in
# each, must stay under Step Functions' 256 KB of state): 4 GiB in 32 MiB parts is 128.
MAX_PARTS = 250


@dataclass(frozen=True)
class Span:
    """Bytes ``start`` to ``end`` (excluded) of the file, from the start of a line; ``rows``
    data rows in it, ``first_row`` data rows before it."""

    start: int
    end: int
    first_row: int
    rows: int


@dataclass(frozen=True)
class Plan:
    """The header line as written (its ending included) and the spans holding data rows."""

    header: bytes
    spans: list[Span]


def plan_parts(blocks: Iterable[bytes], split_bytes: int) -> Plan:
    """The file's spans of at most ``split_bytes`` (a longer line is a span of its own); spans
    of blank lines only are left out (they hold no row)."""
    cutter = _Cutter(split_bytes)
    carry, base = b"", 0
    for block in blocks:
        data = carry + block
        done = _complete(data)
        cutter.feed(data[:done], base)
        carry, base = data[done:], base + done
    cutter.feed(carry, base)
    return cutter.finish(base + len(carry))


def check_parts(plan: Plan, split_bytes: int) -> None:
    """Refuse a file that makes more than MAX_PARTS parts (``too_large``, saying what to do)."""
    if len(plan.spans) > MAX_PARTS:
        raise NotATableError(
            Refusal.TOO_LARGE,
            f"the batch file makes {len(plan.spans):,} parts of at most {split_bytes:,} bytes; "
            f"at most {MAX_PARTS} are scored per file (batch_split_bytes sets a part's size): "
            "split it into smaller files",
        )


def _complete(data: bytes) -> int:
    """Length of the complete lines at the start of ``data`` (a final CR may open a CRLF)."""
    end = max(data.rfind(b"\n"), data.rfind(b"\r", 0, len(data) - 1))
    return end + 1


def _last_line_end(data: bytes, low: int, high: int) -> int:
    """The last place in ``(low, high]`` right after a line ending, or -1."""
    while high > low:
        found = max(data.rfind(b"\n", low, high), data.rfind(b"\r", low, high))
        if found < 0:
            return -1
        if data[found : found + 2] != b"\r\n":
            return found + 1
        high = found  # the CR of a CRLF whose LF lies past ``high``
    return -1


def _first_line_end(data: bytes, low: int) -> int:
    """The first place after ``low`` right after a line ending (the end of ``data`` if none)."""
    found = [i for i in (data.find(b"\n", low), data.find(b"\r", low)) if i >= 0]
    if not found:
        return len(data)
    first = min(found)
    return first + 2 if data[first : first + 2] == b"\r\n" else first + 1


def _rows(data: bytes) -> int:
    """The data rows among complete lines: the non-blank ones."""
    return sum(map(bool, map(bytes.strip, data.splitlines())))


class _Cutter:
    """Spans of at most ``split_bytes`` from complete lines fed in order."""

    def __init__(self, split_bytes: int):
        self.split_bytes = split_bytes
        self.header: bytes | None = None
        self.spans: list[Span] = []
        self.start, self.rows, self.before = 0, 0, 0

    def feed(self, data: bytes, base: int) -> None:
        """Take complete lines starting at byte ``base`` of the file."""
        if self.header is None:
            data, base = self._skip_header(data, base)
        done = 0
        while base + len(data) - self.start > self.split_bytes:
            cut = _last_line_end(data, done, self.start + self.split_bytes - base)
            if cut < 0 and base + done == self.start:  # one line longer than a span
                cut = _first_line_end(data, done)
            elif cut < 0:
                cut = done
            self.rows += _rows(data[done:cut])
            self._close(base + cut)
            done = cut
        self.rows += _rows(data[done:])

    def _skip_header(self, data: bytes, base: int) -> tuple[bytes, int]:
        """The lines after the header (the first non-blank line, after a BOM), once found."""
        offset = 0
        for line in data.splitlines(keepends=True):
            text = line.removeprefix(UTF8_BOM) if base + offset == 0 else line
            offset += len(line)
            if text.strip():
                self.header = text
                return data[offset:], base + offset
        return b"", base + len(data)

    def _close(self, end: int) -> None:
        if self.rows:
            self.spans.append(Span(self.start, end, self.before, self.rows))
        self.start, self.before, self.rows = end, self.before + self.rows, 0

    def finish(self, end: int) -> Plan:
        if end > self.start:
            self._close(end)
        return Plan(self.header or b"", self.spans)


def merged_report(reports: list[BatchReport], upload: dict, keys: dict) -> BatchReport:
    """One report of the parts' reports: counts summed, each reason's count summed and its first
    examples kept (in row order, as one invocation keeps them)."""
    reasons: dict[str, dict] = {}
    for report in reports:
        for name, entry in report.reasons.items():
            merged = reasons.setdefault(name, {"count": 0, "examples": []})
            merged["count"] += entry["count"]
            merged["examples"] = (merged["examples"] + entry["examples"])[:EXAMPLES_PER_REASON]
    scored = sum(r.scored for r in reports)
    unscored = sum(r.unscored or 0 for r in reports)
    versions = {r.model_version for r in reports if r.model_version}
    return BatchReport(
        upload,
        scored=scored,
        unscored=unscored,
        reasons=dict(sorted(reasons.items())),
        results=keys["results"],
        rejected_rows=keys["rejected_rows"] if unscored else None,
        unknown_columns=reports[0].unknown_columns if reports else [],
        model_version=", ".join(sorted(versions)) or None,
    )
