"""Why rows were rejected, in a report of bounded size: a count per reason, first examples.

Ingest's quarantine report and batch scoring's report both keep this summary; the rows
themselves (every reason of every row) stream to a CSV beside the report. A file of 35,000
rows with 20 bad fields each made a 137 MB batch report when every reason was listed in it.
Standard library only (the predict function uses it).
"""

from __future__ import annotations

from typing import Any

EXAMPLES_PER_REASON = 3
MAX_EXAMPLE_CHARS = 200  # a value or message quoted in an example is cut here


class ReasonTally:
    """Counts of ``"<column>/<rule>"`` and their first examples: as many entries as there are
    distinct reasons (columns x rules), however many rows the file has."""

    def __init__(self, row_key: str, examples: int = EXAMPLES_PER_REASON):
        self.row_key, self.examples = row_key, examples
        self.counts: dict[str, dict[str, Any]] = {}

    def add(self, row: int, column: str, rule: str, value: Any, message: str) -> str:
        """Count one reason of one row; returns its ``"<column>/<rule>"`` name."""
        name = f"{column}/{rule}"
        entry = self.counts.setdefault(name, {"count": 0, "examples": []})
        entry["count"] += 1
        if len(entry["examples"]) < self.examples:
            entry["examples"].append(
                {self.row_key: row, "value": _cut(value), "message": _cut(message)}
            )
        return name

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """The reasons by name, sorted."""
        return dict(sorted(self.counts.items()))


def _cut(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_EXAMPLE_CHARS:
        return value[:MAX_EXAMPLE_CHARS] + "…"
    return value
