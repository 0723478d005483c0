"""LocalStack RuntimeExecutor running each execution environment as a local subprocess."""

import json
import logging
import shutil
import threading
import time
from collections import deque
from pathlib import Path

from localstack import config
from localstack.services.lambda_.invocation.executor_endpoint import StatusErrorException
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import RuntimeExecutor

from localcloud_executor import interpreters, logs, memory, paths, runtime_deps
from localcloud_executor.sandbox import EOF_FRAME, OUT_OF_MEMORY_FRAME, HandlerProcess

LOG = logging.getLogger(__name__)
_INTERPRETERS: dict[str, str] = {}


def interpreter_for(runtime: str) -> str:
    """Host interpreter for a Lambda runtime (cached); raises with a clear message."""
    version = paths.python_version_of(runtime)
    if version not in _INTERPRETERS:
        _INTERPRETERS[version] = interpreters.find_interpreter(version)
    return _INTERPRETERS[version]


def error_payload(error_type: str, message: str) -> bytes:
    """AWS-shaped error body for failures of the sandbox itself."""
    body = {"errorMessage": message, "errorType": error_type, "stackTrace": []}
    return json.dumps(body).encode()


def killed_message(request_id: str) -> str:
    """AWS's message when the runtime was killed for using more than its memory."""
    return f"RequestId: {request_id} Error: Runtime exited with error: signal: killed"


class LocalPythonRuntimeExecutor(RuntimeExecutor):
    """One Lambda execution environment = one warm handler subprocess."""

    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id, function_version)
        self.env_vars: dict = {}
        self.process: HandlerProcess | None = None
        self.watch: memory.MemoryWatch | None = None
        self.pending_init: tuple[float, str] | None = None
        self.tmp_dir = runtime_deps.state_dir() / "lambda-tmp" / id
        self.lock = threading.Lock()
        self.history: deque = deque(maxlen=200)

    # -- version lifecycle -------------------------------------------------------------
    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        """Check the runtime has an interpreter, install its SDK, unzip code and layers."""
        runtime = function_version.config.runtime
        if not function_version.config.code:
            raise ValueError("The local-python executor only runs zip-packaged functions")
        interpreter_for(runtime)
        runtime_deps.ensure_runtime(paths.python_version_of(runtime))
        function_version.config.code.prepare_for_execution()
        for layer in function_version.config.layers or []:
            layer.code.prepare_for_execution()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        """Nothing to undo: LocalStack removes the unzipped code itself."""

    # -- environment lifecycle ---------------------------------------------------------
    def start(self, env_vars: dict[str, str]) -> None:
        """Start the handler process and wait until its module is imported."""
        self.env_vars = env_vars
        with self.lock:
            failure = self._spawn()
        if failure:
            raise StatusErrorException(failure[1], payload=error_payload(*failure))

    def stop(self) -> None:
        """Kill the handler process group (even mid-invocation) and remove its /tmp."""
        process = self.process
        if process:
            process.kill()  # an invocation in flight then ends with Runtime.ExitError
        with self.lock:
            self._kill()
        shutil.rmtree(self.tmp_dir, ignore_errors=True)

    def _spawn(self) -> tuple[str, str] | None:
        """Start a fresh handler process; (error type, message) if it did not get ready."""
        version = self.function_version.config
        task_dir = Path(version.code.get_unzipped_code_location())
        layer_dirs = [Path(layer.code.get_unzipped_code_location()) for layer in version.layers]
        py = paths.python_version_of(version.runtime)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        extra = {
            "TMPDIR": str(self.tmp_dir),
            "HOME": str(self.tmp_dir),  # no host ~/.aws or ~/.cache leaks into the sandbox
            "LAMBDA_RUNTIME_DIR": str(runtime_deps.runtime_dir(py)),
        }
        env = paths.handler_env(self.env_vars, task_dir, layer_dirs, extra)
        parts = paths.import_path_parts(task_dir, layer_dirs, py, runtime_deps.runtime_dir(py))
        started = time.monotonic()
        self.process = HandlerProcess(interpreter_for(version.runtime), env, parts, str(task_dir))
        # The init counts against the memory too, and its peak goes into the first REPORT
        self.watch = memory.MemoryWatch(self.process.popen.pid, version.memory_size)
        timeout = config.LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT
        frame = self.process.wait_frame_watched(timeout, self.watch)
        init_logs = self.process.take_logs()
        self.history.append(init_logs)
        if frame is OUT_OF_MEMORY_FRAME:
            self._kill()
            output = f": {init_logs.strip()[-2000:]}" if init_logs.strip() else ""
            return "Runtime.OutOfMemory", f"Runtime exited with error: signal: killed{output}"
        if not frame or frame.get("type") != "ready":
            self._kill()
            return (
                "Runtime.Unknown",
                f"Runtime failed to start: {init_logs.strip()[-2000:] or 'no output'}",
            )
        self.pending_init = ((time.monotonic() - started) * 1000, init_logs)
        return None

    def _kill(self) -> None:
        """Kill the current handler process, if any."""
        if self.process:
            self.process.kill()
            self.history.append(self.process.take_logs())
            self.process = None

    # -- invocations -------------------------------------------------------------------
    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        """Run one invocation; enforce the timeout; restart the process after a crash."""
        request_id = payload["invoke-id"]
        with self.lock:
            if not (self.process and self.process.alive()):
                failure = self._spawn()
                if failure:
                    body = error_payload(*failure)
                    return InvocationResult(request_id, body, is_error=True, logs=failure[1] + "\n")
            return self._invoke_running(request_id, payload)

    def _invoke_running(self, request_id: str, payload: dict) -> InvocationResult:
        """Send the invocation to the live process and turn its answer into a result."""
        timeout = self.function_version.config.timeout
        init_ms, init_logs = self.pending_init or (None, "")
        self.pending_init = None
        watch = self._invocation_watch(cold=init_ms is not None)
        command = {
            "request_id": request_id,
            "invoked_function_arn": payload.get("invoked-function-arn"),
            "payload": payload.get("payload"),
            "trace_id": payload.get("trace-id"),
            "deadline_ms": int((time.time() + timeout) * 1000),
        }
        started = time.monotonic()
        sent = self.process.send(command)
        frame = self.process.wait_frame_watched(timeout, watch) if sent else EOF_FRAME
        duration_ms = (time.monotonic() - started) * 1000
        exit_code = self.process.popen.poll()
        if frame is None or frame is EOF_FRAME or frame is OUT_OF_MEMORY_FRAME:
            output = self._kill_and_drain()
        else:
            output = self.process.take_logs()
        ok, body, status, error_type = self._outcome(frame, request_id, timeout, exit_code)
        output += self._failure_line(request_id, status, error_type, timeout)
        report = logs.report_line(
            request_id,
            duration_ms,
            self.function_version.config.memory_size,
            watch.peak_mib,
            init_ms=init_ms,
            status=status,
            error_type=error_type,
        )
        text = logs.invocation_logs(
            request_id, self.function_version.id.qualifier, output, report, init_logs
        )
        self.history.append(text)
        return InvocationResult(request_id, body.encode(), is_error=not ok, logs=text)

    def _invocation_watch(self, cold: bool) -> memory.MemoryWatch:
        """The memory watch of this invocation: a cold one keeps the init's peak (as AWS's
        REPORT does); a warm one restarts the peak, so each REPORT shows its own."""
        if cold and self.watch:
            return self.watch
        pid = self.process.popen.pid
        memory.reset_peak(pid)
        return memory.MemoryWatch(pid, self.function_version.config.memory_size)

    def _kill_and_drain(self) -> str:
        """Kill the process after a timeout, a crash or running out of memory; return its
        last output. The next invocation starts a fresh process, as on AWS."""
        self.process.kill()
        output = self.process.take_logs()
        self.process = None
        return output

    @staticmethod
    def _failure_line(request_id: str, status: str | None, error_type: str | None, timeout) -> str:
        """The line AWS logs after a timeout or an out-of-memory kill ("" otherwise)."""
        if status == "timeout":
            return f"{logs.timestamp()} {request_id} Task timed out after {timeout:.2f} seconds\n"
        if error_type == "Runtime.OutOfMemory":
            return f"{killed_message(request_id)}\nRuntime.OutOfMemory\n"
        return ""

    @staticmethod
    def _outcome(frame: dict | None, request_id: str, timeout: int, exit_code) -> tuple:
        """(ok, body, REPORT status, error type) for a result frame, a timeout, running out of
        memory or a crash."""
        if frame is None:
            message = f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds"
            return False, error_payload("Sandbox.Timedout", message).decode(), "timeout", None
        if frame is OUT_OF_MEMORY_FRAME:
            body = error_payload("Runtime.OutOfMemory", killed_message(request_id)).decode()
            return False, body, "error", "Runtime.OutOfMemory"
        if frame is EOF_FRAME or frame.get("type") != "result":
            reason = f"exit status {exit_code}" if exit_code else "runtime exited"
            message = f"RequestId: {request_id} Error: Runtime exited with error: {reason}"
            body = error_payload("Runtime.ExitError", message).decode()
            return False, body, "error", "Runtime.ExitError"
        return frame["ok"], frame["body"], None, None

    # -- addresses and logs ----------------------------------------------------------
    def get_address(self) -> str:
        """Address of the environment as seen from LocalStack (same host)."""
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        """Address of LocalStack as seen from the handler (same host)."""
        host = config.GATEWAY_LISTEN[0].host
        return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host

    def get_runtime_endpoint(self) -> str:
        """Callback base URL (unused: results come back over a pipe)."""
        port = config.GATEWAY_LISTEN[0].port
        return f"http://{self.get_endpoint_from_executor()}:{port}/_localstack_lambda/{self.id}"

    def get_logs(self) -> str:
        """All output of this environment so far."""
        live = "".join(self.process.history) if self.process else ""
        return "".join(self.history) + live

    @classmethod
    def validate_environment(cls) -> bool:
        """Always usable: no Docker needed."""
        return True
