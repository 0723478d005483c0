"""The REPORT lines Lambda writes after each invocation, read back from CloudWatch Logs."""

from __future__ import annotations

import re
from dataclasses import dataclass

FIELD = re.compile(r"([A-Z][A-Za-z ]+): ([^\t]+)")


@dataclass(frozen=True)
class Report:
    """One invocation's REPORT line: its size, its peak and how it ended."""

    request_id: str
    memory_size_mb: int
    max_memory_used_mb: int
    error_type: str | None

    @property
    def out_of_memory(self) -> bool:
        """True when the invocation was killed for using more than its size."""
        return self.error_type == "Runtime.OutOfMemory"


def parse_report(line: str) -> Report:
    """`REPORT RequestId: r\tDuration: ..\tMemory Size: 128 MB\tMax Memory Used: 40 MB...`."""
    fields = dict(FIELD.findall(line.removeprefix("REPORT ")))
    return Report(
        request_id=fields["RequestId"].strip(),
        memory_size_mb=int(fields["Memory Size"].split()[0]),
        max_memory_used_mb=int(fields["Max Memory Used"].split()[0]),
        error_type=fields.get("Error Type", "").strip() or None,
    )


def reports(logs_client, log_group: str) -> list[Report]:
    """Every REPORT line of a log group (all streams, all pages)."""
    found, kwargs = [], {"logGroupName": log_group}
    while True:
        page = logs_client.filter_log_events(**kwargs)
        lines = [event["message"] for event in page["events"]]
        found += [parse_report(line) for line in lines if line.startswith("REPORT RequestId:")]
        if not page.get("nextToken"):
            return found
        kwargs["nextToken"] = page["nextToken"]
