"""The executor's memory watchdog on real processes: a handler over its size is stopped."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "localcloud" / "executor"))

from localcloud_executor import memory  # noqa: E402
from localcloud_executor.sandbox import OUT_OF_MEMORY_FRAME, HandlerProcess  # noqa: E402

pytestmark = pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")

HANDLER = """
import time

def hog(event, context):
    held = b"x" * (event["mib"] * 1024 * 1024)  # bytes are written: resident, not just mapped
    time.sleep(event.get("hold", 0))
    return {"held_mib": len(held) // (1024 * 1024)}
"""


@pytest.fixture
def handler_process(tmp_path):
    """A bootstrap.py process serving `handler.hog`, ready for invocations."""
    (tmp_path / "handler.py").write_text(HANDLER)
    env = {"_HANDLER": "handler.hog", "LAMBDA_TASK_ROOT": str(tmp_path), "PATH": "/usr/bin"}
    process = HandlerProcess(sys.executable, env, ([str(tmp_path)], []), str(tmp_path))
    assert process.wait_frame(30)["type"] == "ready", process.take_logs()
    yield process
    process.kill()


def invoke(process: HandlerProcess, watch: memory.MemoryWatch, **event) -> dict | None:
    """Send one invocation and wait for its frame under the watch."""
    command = {"request_id": "r1", "payload": json.dumps(event), "deadline_ms": 0}
    assert process.send(command)
    return process.wait_frame_watched(30, watch)


def test_handler_over_its_size_is_stopped(handler_process):
    # Given a 64 MB function / When the handler holds 300 MiB
    watch = memory.MemoryWatch(handler_process.popen.pid, 64)
    frame = invoke(handler_process, watch, mib=300, hold=20)
    # Then the watch reports it long before the handler returns, with a peak over the size
    assert frame is OUT_OF_MEMORY_FRAME
    assert watch.peak_mib > 64


def test_handler_within_its_size_returns_with_its_peak(handler_process):
    watch = memory.MemoryWatch(handler_process.popen.pid, 512)
    frame = invoke(handler_process, watch, mib=100)
    assert frame["type"] == "result" and frame["ok"], frame
    assert 100 < watch.peak_mib < 512


def spike_then_idle(mib: int) -> subprocess.Popen:
    """A process that touches `mib` MiB, frees it, says so, then idles."""
    code = f"""
        import sys, time
        held = b"x" * ({mib} * 1024 * 1024)
        del held
        print("freed", flush=True)
        time.sleep(30)
    """
    command = [sys.executable, "-c", textwrap.dedent(code)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "freed"
    return process


def test_spike_between_samples_is_caught_by_the_kernel_peak():
    # Given a process that went to 200 MiB and back before any sample
    process = spike_then_idle(200)
    try:
        watch = memory.MemoryWatch(process.pid, 128)
        # Then sampling sees it within the size, but its high-water mark does not
        assert watch.within_limit()
        assert not watch.peak_within_limit()
        # And a reset (at each warm invocation) restarts the peak from what is resident now
        memory.reset_peak(process.pid)
        assert memory.peak_kib(process.pid) < 128 * 1024
    finally:
        process.kill()
        process.wait()


def test_children_memory_counts():
    # Given a small parent whose child holds 200 MiB
    code = """
        import subprocess, sys, time
        child = subprocess.Popen(
            [sys.executable, "-c", "import time; b = b'x' * (200 << 20); print(1, flush=True); "
             "time.sleep(30)"], stdout=subprocess.PIPE)
        child.stdout.readline()
        print("ready", flush=True)
        time.sleep(30)
    """
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE)
    try:
        assert parent.stdout.readline().strip() == b"ready"
        assert memory.resident_kib(parent.pid) < 100 * 1024
        # Then the tree is over a 128 MB size
        watch = memory.MemoryWatch(parent.pid, 128)
        assert len(memory.descendants(parent.pid)) == 1
        assert not watch.within_limit()
    finally:
        for pid in memory.descendants(parent.pid):
            os.kill(pid, signal.SIGKILL)
        parent.kill()
        parent.wait()


def test_gone_process_reads_as_no_memory():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    time.sleep(0.05)
    assert memory.resident_kib(process.pid) == 0
    assert memory.peak_kib(process.pid) == 0
    assert memory.descendants(process.pid) == []
