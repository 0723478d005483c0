"""An execution environment's memory limit: watch the resident memory of the handler's tree.

On AWS a function gets `MemorySize` MiB; a handler that needs more is killed ("Runtime exited
with error: signal: killed") and the invocation fails with `Runtime.OutOfMemory`. Here the
handler is a host process, so the executor samples the resident set (RSS) of the handler
process and its descendants while it works, and kills the group once the sum exceeds the size.

Why RSS sampling and not a kernel limit:
- RLIMIT_AS caps *virtual* memory, which numpy/pandas/OpenBLAS reserve far beyond what they
  touch (thread arenas, BLAS buffers). Measured on the deployed stack, warm after the real
  file: ingest VmSize 1,689 MiB for VmRSS 206 MiB (peak 266), predict 504 MiB for 86 MiB. A
  1,024 MiB RLIMIT_AS would fail ingest on a file it handles in a quarter of its size.
- A cgroup memory limit is exact but needs root or a delegated cgroup, which a dev machine
  running LocalStack in host mode does not have.
RSS is what AWS's micro-VM runs out of (anonymous memory plus mapped files).

Sampling misses a spike shorter than the interval, so at the end of each invocation the main
process's kernel-tracked peak (VmHWM) is checked too: a spike over the size fails the
invocation even if no sample saw it. A sample costs ~50 µs (statm); listing children costs
~135 µs per thread, so the set of descendants is refreshed every TREE_REFRESH samples only.
"""

import os
from pathlib import Path

PROC = Path("/proc")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
SAMPLE_SECONDS = 0.025  # at ~4 GB/s of page faults an overshoot of ~100 MiB at most
TREE_REFRESH = 10  # re-list descendants every 10 samples (~0.25 s)


def statm_resident_kib(statm: str) -> int:
    """Resident KiB from a /proc/<pid>/statm line (size resident shared ... in pages)."""
    return int(statm.split()[1]) * PAGE_KIB


def status_field_kib(status: str, field: str) -> int:
    """A `VmXxx:   1234 kB` field of /proc/<pid>/status, 0 if absent."""
    for line in status.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _read(path: Path) -> str:
    """A /proc file's text, "" once the process is gone."""
    try:
        return path.read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ""


def resident_kib(pid: int) -> int:
    """Current resident memory of one process, 0 if it is gone."""
    statm = _read(PROC / str(pid) / "statm")
    return statm_resident_kib(statm) if statm else 0


def peak_kib(pid: int) -> int:
    """The kernel's resident high-water mark (VmHWM) of one process, 0 if it is gone."""
    return status_field_kib(_read(PROC / str(pid) / "status"), "VmHWM")


def reset_peak(pid: int) -> None:
    """Restart VmHWM from the current RSS, so a warm invocation reports its own peak."""
    try:
        (PROC / str(pid) / "clear_refs").write_text("5")
    except OSError:
        pass  # kernels before 4.0: the peak then spans the environment's life, as on AWS


def descendants(pid: int) -> list[int]:
    """Children, grandchildren, ... of a process (every thread's children)."""
    found, todo = [], [pid]
    while todo:
        tasks = PROC / str(todo.pop()) / "task"
        try:
            threads = os.listdir(tasks)
        except OSError:
            continue
        for tid in threads:
            children = [int(child) for child in _read(tasks / tid / "children").split()]
            found += children
            todo += children
    return found


def exceeds(used_kib: int, limit_mib: int) -> bool:
    """True when the memory in use is over the function's size (MiB, as AWS counts MB)."""
    return used_kib > limit_mib * 1024


class MemoryWatch:
    """The memory of one handler process tree against a limit, sample by sample."""

    def __init__(self, pid: int, limit_mib: int):
        self.pid = pid
        self.limit_mib = limit_mib
        self.peak_kib = 0
        self.tree: list[int] = []
        self.samples = 0

    def within_limit(self) -> bool:
        """Sample the tree's RSS now; False once it is over the limit."""
        if self.samples % TREE_REFRESH == 0:
            self.tree = descendants(self.pid)
        self.samples += 1
        used = resident_kib(self.pid) + sum(resident_kib(child) for child in self.tree)
        self.peak_kib = max(self.peak_kib, used)
        return not exceeds(used, self.limit_mib)

    def peak_within_limit(self) -> bool:
        """Fold the main process's kernel peak into the peak; False if it went over."""
        self.peak_kib = max(self.peak_kib, peak_kib(self.pid))
        return not exceeds(self.peak_kib, self.limit_mib)

    @property
    def peak_mib(self) -> int:
        """The peak in MiB, rounded up, as AWS's `Max Memory Used`."""
        return -(-self.peak_kib // 1024)
