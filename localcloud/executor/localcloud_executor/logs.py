"""AWS-style START/END/REPORT lines around an invocation's output."""

import math
import time


def timestamp() -> str:
    """UTC timestamp as AWS prints it."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def report_line(request_id: str, duration_ms: float, memory_mb: int, rss_mb: int, **extra) -> str:
    """The REPORT line; `init_ms`, `status` and `error_type` are added when given."""
    fields = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {math.ceil(duration_ms)} ms",
        f"Memory Size: {memory_mb} MB",
        f"Max Memory Used: {rss_mb} MB",
    ]
    if extra.get("init_ms") is not None:
        fields.append(f"Init Duration: {extra['init_ms']:.2f} ms")
    if extra.get("status"):
        fields.append(f"Status: {extra['status']}")
    if extra.get("error_type"):
        fields.append(f"Error Type: {extra['error_type']}")
    return "\t".join(fields) + "\n"


def invocation_logs(request_id: str, version: str, output: str, report: str, init: str = "") -> str:
    """Full log text of one invocation, init output first when the environment was cold."""
    body = output if not output or output.endswith("\n") else output + "\n"
    start = f"START RequestId: {request_id} Version: {version}\n"
    return f"{init}{start}{body}END RequestId: {request_id}\n{report}"
