"""Processes and ports: who holds a port, which processes belong to this project."""

import os
import signal
import socket
import time
from pathlib import Path


def port_free(host: str, port: int) -> bool:
    """True if nothing listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) != 0


def _listening_inodes(port: int) -> set[str]:
    """Socket inodes listening on `port` (IPv4 and IPv6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    return inodes


def _pids() -> list[int]:
    """All visible process ids."""
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def cmdline(pid: int) -> str:
    """Command line of a process, or '' if unreadable."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def port_owner(port: int) -> str | None:
    """'pid N: command' of the process listening on `port`, if discoverable."""
    inodes = _listening_inodes(port)
    for pid in _pids():
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                return f"pid {pid}: {cmdline(pid)[:200]}"
    return None


def _environ(pid: int) -> bytes:
    """Raw environment block of a process ('' if unreadable)."""
    try:
        return Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return b""


def _ancestors() -> set[int]:
    """This process and its parents (never swept)."""
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            break
    return pids


def project_processes(state: Path) -> list[int]:
    """Processes started for this state folder: services (marker var) and Lambda handlers."""
    service_marker = f"LOCALCLOUD_STATE_DIR={state}".encode()
    handler_marker = f"TMPDIR={state / 'lambda-tmp'}/".encode()
    skip = _ancestors()
    found = []
    for pid in _pids():
        if pid in skip:
            continue
        env = b"\0" + _environ(pid)
        if b"\0" + service_marker + b"\0" in env + b"\0" or b"\0" + handler_marker in env:
            found.append(pid)
    return found


def kill_all(pids: list[int], grace: float = 5.0) -> None:
    """SIGTERM the processes, then SIGKILL whatever is left after `grace` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(alive(p) for p in pids):
            time.sleep(0.1)


def alive(pid: int) -> bool:
    """True if the process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
