"""Lambda Python runtime loop run inside the sandbox interpreter (stdlib only).

Started as `pythonX.Y -I -S -u bootstrap.py` by the executor. Reads one JSON command per line
from the command pipe, runs the handler, writes a framed JSON result on stdout.
"""

import ctypes
import importlib
import json
import logging
import os
import signal
import sys
import threading
import time
import traceback

CONFIG_VARIABLE = "_LOCALCLOUD_BOOTSTRAP"
PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid):
    """Get SIGKILLed when the executor process dies, and check it has not already."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


def _watch_parent(parent_pid):
    """Fallback for PR_SET_PDEATHSIG: exit as soon as the parent is gone."""
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os._exit(1)


class LambdaContext:
    """The `context` argument AWS passes to a Python handler."""

    def __init__(self, command):
        env = os.environ
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = command.get("invoked_function_arn")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.aws_request_id = command["request_id"]
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline_ms = command["deadline_ms"]

    def get_remaining_time_in_millis(self):
        """Milliseconds left before the executor kills this invocation."""
        return max(int(self._deadline_ms - time.time() * 1000), 0)


class RequestIdFilter(logging.Filter):
    """Adds the current request id to log records, like the AWS runtime."""

    request_id = ""

    def filter(self, record):
        """Attach `aws_request_id` to the record."""
        record.aws_request_id = RequestIdFilter.request_id
        return True


def install_aws_logging():
    """Root logger handler with AWS's Python runtime format."""
    handler = logging.StreamHandler(sys.stdout)
    fmt = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s"
    formatter = logging.Formatter(fmt, "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    logging.getLogger().addHandler(handler)


def error_body(error_type, message, stack=None):
    """AWS-shaped error response."""
    return {"errorMessage": message, "errorType": error_type, "stackTrace": stack or []}


def exception_body(exc):
    """errorType/errorMessage/stackTrace of an exception raised by user code."""
    frames = traceback.extract_tb(exc.__traceback__)[1:]
    return error_body(type(exc).__name__, str(exc), traceback.format_list(frames))


def log_error(body):
    """Print an error the way the AWS runtime logs it."""
    lines = [f"[ERROR] {body['errorType']}: {body['errorMessage']}"]
    lines.append("Traceback (most recent call last):")
    lines += [line.rstrip("\n") for line in body["stackTrace"]]
    print("\n".join(lines), file=sys.stderr, flush=True)


def load_handler(spec):
    """Import the handler named by _HANDLER; return (function, None) or (None, error body)."""
    module_name, _, function_name = spec.rpartition(".")
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        message = f"Unable to import module '{module_name}': {exc}"
        return None, error_body("Runtime.ImportModuleError", message)
    except SyntaxError as exc:
        message = f"Syntax error in module '{module_name}': {exc}"
        return None, error_body("Runtime.UserCodeSyntaxError", message)
    except Exception as exc:  # noqa: BLE001 - any init error is reported like AWS does
        return None, exception_body(exc)
    function = getattr(module, function_name, None)
    if function is None:
        message = f"Handler '{function_name}' missing on module '{module_name}'"
        return None, error_body("Runtime.HandlerNotFound", message)
    return function, None


def write_frame(token, message):
    """Flush user output, then write one protocol line on stdout."""
    sys.stdout.flush()
    sys.stderr.flush()
    data = (token + " " + json.dumps(message) + "\n").encode()
    while data:
        data = data[os.write(1, data) :]


def run_handler(function, command):
    """Call the handler once; return (ok, JSON text of the response or error)."""
    RequestIdFilter.request_id = command["request_id"]
    try:
        event = json.loads(command["payload"] or "{}")
        result = function(event, LambdaContext(command))
    except Exception as exc:  # noqa: BLE001 - user errors become AWS error responses
        body = exception_body(exc)
        log_error(body)
        return False, json.dumps(body)
    try:
        return True, json.dumps(result)
    except (TypeError, ValueError) as exc:
        body = error_body("Runtime.MarshalError", f"Unable to marshal response: {exc}")
        log_error(body)
        return False, json.dumps(body)


def serve(config, function, init_error):
    """Answer invocations from the command pipe until it closes."""
    token = config["token"]
    with os.fdopen(config["command_fd"], "r", encoding="utf-8") as commands:
        for line in commands:
            command = json.loads(line)
            if init_error is not None:
                log_error(init_error)
                ok, body = False, json.dumps(init_error)
            else:
                ok, body = run_handler(function, command)
            # the executor measures the memory (the handler's whole process tree)
            write_frame(token, {"type": "result", "ok": ok, "body": body})


def main():
    """Set up the sandbox, import the handler, signal readiness, serve."""
    config = json.loads(os.environ.pop(CONFIG_VARIABLE))
    die_with_parent(config["parent_pid"])
    sys.path[:] = config["path_front"] + sys.path + config["path_back"]
    os.chdir(os.environ["LAMBDA_TASK_ROOT"])
    install_aws_logging()
    function, init_error = load_handler(os.environ["_HANDLER"])
    write_frame(config["token"], {"type": "ready", "init_error": init_error is not None})
    serve(config, function, init_error)


if __name__ == "__main__":
    main()
