"""One handler subprocess: spawn, framed protocol over pipes, log capture, kill."""

import json
import logging
import os
import queue
import secrets
import signal
import subprocess
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from localcloud_executor.memory import SAMPLE_SECONDS, MemoryWatch

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
CONFIG_VARIABLE = "_LOCALCLOUD_BOOTSTRAP"
# PR_SET_PDEATHSIG fires when the *thread* that forked dies: fork from one long-lived thread.
_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="localcloud-spawner")
EOF_FRAME = {"type": "eof"}
OUT_OF_MEMORY_FRAME = {"type": "out-of-memory"}
LOG = logging.getLogger(__name__)


class HandlerProcess:
    """A running bootstrap.py and the reader thread that splits its output."""

    def __init__(self, interpreter: str, env: dict, path_parts: tuple, cwd: str):
        self.token = "\x1elocalcloud-" + secrets.token_hex(8)
        self.frames: queue.Queue = queue.Queue()
        self._logs: list[str] = []
        self.history: deque = deque(maxlen=5000)
        self._lock = threading.Lock()
        self._killed = False
        read_fd, write_fd = os.pipe()
        config = {
            "token": self.token,
            "command_fd": read_fd,
            "parent_pid": os.getpid(),
            "path_front": path_parts[0],
            "path_back": path_parts[1],
        }
        env = {**env, CONFIG_VARIABLE: json.dumps(config)}
        command = [interpreter, "-I", "-S", "-u", str(BOOTSTRAP)]
        try:
            self.popen = _SPAWNER.submit(_spawn, command, env, cwd, read_fd).result()
        finally:
            os.close(read_fd)
        self.commands = os.fdopen(write_fd, "w", encoding="utf-8")
        self.reader = threading.Thread(target=self._read, daemon=True, name="localcloud-reader")
        self.reader.start()

    def _read(self) -> None:
        """Route stdout lines: protocol frames to the queue, the rest to the logs."""
        for raw in self.popen.stdout:
            line = raw.decode("utf-8", errors="replace")
            at = line.find(self.token)
            if at < 0:
                self._add_log(line)
                continue
            if at > 0:
                self._add_log(line[:at] + "\n")
            self.frames.put(json.loads(line[at + len(self.token) + 1 :]))
        self.frames.put(EOF_FRAME)

    def _add_log(self, line: str) -> None:
        """Keep a log line for the current invocation and the environment's history."""
        with self._lock:
            self._logs.append(line)
            self.history.append(line)

    def take_logs(self) -> str:
        """Return and forget the output captured since the last call."""
        with self._lock:
            logs, self._logs = "".join(self._logs), []
        return logs

    def wait_frame(self, timeout: float) -> dict | None:
        """Next protocol frame, EOF_FRAME if the process ended, None on timeout."""
        try:
            return self.frames.get(timeout=timeout)
        except queue.Empty:
            return None

    def wait_frame_watched(self, timeout: float, watch: MemoryWatch) -> dict | None:
        """Like `wait_frame`, sampling the memory meanwhile: OUT_OF_MEMORY_FRAME once the
        handler's tree is over the limit, or when its peak was over it at the frame."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            frame = self.wait_frame(min(SAMPLE_SECONDS, left))
            if frame is EOF_FRAME:
                return frame
            if frame is not None:
                return frame if watch.peak_within_limit() else OUT_OF_MEMORY_FRAME
            if not watch.within_limit():
                return OUT_OF_MEMORY_FRAME
        return None

    def send(self, command: dict) -> bool:
        """Send one command line; False if the process is gone."""
        try:
            self.commands.write(json.dumps(command) + "\n")
            self.commands.flush()
        except (BrokenPipeError, ValueError, OSError):
            return False
        return True

    def alive(self) -> bool:
        """True while the handler process runs."""
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL the handler's process group and wait for its output to drain."""
        if not self._killed:
            self._killed = True  # never signal the group id again: it could be reused
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.commands.close()
        except OSError:
            pass
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            LOG.warning("handler process %s did not exit after SIGKILL", self.popen.pid)
        self.reader.join(timeout=5)


def _spawn(command: list, env: dict, cwd: str, read_fd: int) -> subprocess.Popen:
    """Start the handler process in its own process group (killed as a whole)."""
    return subprocess.Popen(
        command,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        pass_fds=(read_fd,),
        start_new_session=True,
    )
