"""Pure rules of the local Lambda executor: import path, layer order, env, interpreters, memory."""

import os
import stat
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "localcloud" / "executor"))

from localcloud_executor import interpreters, logs, memory, paths  # noqa: E402

TASK = Path("/state/code")
LAYERS = [Path("/state/layer-common"), Path("/state/layer-ml")]


def test_python_version_of_runtime():
    assert paths.python_version_of("python3.12") == "3.12"
    with pytest.raises(ValueError, match="not a Python runtime"):
        paths.python_version_of("nodejs20.x")


def test_layers_later_first_site_packages_before_python():
    # Given two layers in the function's order / Then the later one wins, like AWS's /opt
    assert paths.layer_import_paths(LAYERS, "3.12") == [
        Path("/state/layer-ml/python/lib/python3.12/site-packages"),
        Path("/state/layer-common/python/lib/python3.12/site-packages"),
        Path("/state/layer-ml/python"),
        Path("/state/layer-common/python"),
    ]


def test_import_path_task_first_runtime_sdk_last():
    front, back = paths.import_path_parts(TASK, LAYERS, "3.12", Path("/state/runtime"))
    assert front[0] == "/state/code"
    assert len(front) == 5
    assert back == ["/state/runtime"]


def test_library_path_has_task_and_layer_libs():
    assert paths.library_path(TASK, LAYERS) == (
        "/state/code:/state/code/lib:/state/layer-ml/lib:/state/layer-common/lib"
    )


def test_handler_env_keeps_function_vars_and_sets_sandbox_ones():
    env = paths.handler_env({"A": "1", "NONE": None}, TASK, LAYERS, {"TMPDIR": "/state/tmp"})
    assert env["A"] == "1" and "NONE" not in env
    assert env["LAMBDA_TASK_ROOT"] == "/state/code"
    assert env["TMPDIR"] == "/state/tmp"
    assert "VIRTUAL_ENV" not in env


def fake_python(folder: Path, version: str, name: str) -> Path:
    """A script that answers the version probe like an interpreter would."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_interpreter_override_wins(tmp_path):
    fake = fake_python(tmp_path, "3.12", "py")
    env = {"LAMBDA_PYTHON3_12": str(fake), "PATH": ""}
    assert interpreters.find_interpreter("3.12", env) == str(fake)


def test_interpreter_skips_broken_path_entry_and_uses_newest_pyenv(tmp_path):
    # Given a PATH shim that fails and two pyenv versions
    fake_python(tmp_path / "shims", "broken", "python3.12")
    fake_python(tmp_path / "pyenv/versions/3.12.1/bin", "3.12", "python3.12")
    newest = fake_python(tmp_path / "pyenv/versions/3.12.10/bin", "3.12", "python3.12")
    env = {"PATH": str(tmp_path / "shims"), "PYENV_ROOT": str(tmp_path / "pyenv")}
    # Then the newest working pyenv interpreter is chosen
    assert interpreters.find_interpreter("3.12", env) == str(newest)


def test_missing_interpreter_error_names_the_override(tmp_path):
    env = {"PATH": str(tmp_path), "PYENV_ROOT": str(tmp_path)}
    with pytest.raises(LookupError, match="LAMBDA_PYTHON3_99"):
        interpreters.find_interpreter("3.99", env)


def test_report_line_like_aws():
    line = logs.report_line("r1", 12.3, 128, 40, init_ms=150.0, status="timeout")
    assert line == (
        "REPORT RequestId: r1\tDuration: 12.30 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB"
        "\tMax Memory Used: 40 MB\tInit Duration: 150.00 ms\tStatus: timeout\n"
    )


def test_invocation_logs_order():
    text = logs.invocation_logs("r1", "$LATEST", "hello", "REPORT x\n", init="init out\n")
    assert text.splitlines() == [
        "init out",
        "START RequestId: r1 Version: $LATEST",
        "hello",
        "END RequestId: r1",
        "REPORT x",
    ]


@pytest.mark.skipif(not os.path.exists("/proc"), reason="needs Linux /proc")
def test_runs_version_rejects_non_interpreter(tmp_path):
    assert not interpreters.runs_version(str(tmp_path / "nothing"), "3.12")


def test_resident_memory_from_statm_in_pages():
    # Given statm "size resident shared ..." in pages
    statm = "354000 50000 8000 1 0 60000 0\n"
    assert memory.statm_resident_kib(statm) == 50000 * memory.PAGE_KIB


def test_peak_from_status_field():
    status = "Name:\tpython3.12\nVmPeak:\t 1450000 kB\nVmHWM:\t  201234 kB\nVmRSS:\t  190000 kB\n"
    assert memory.status_field_kib(status, "VmHWM") == 201234
    assert memory.status_field_kib(status, "VmSwap") == 0


def test_limit_is_in_mebibytes_and_inclusive():
    # A 128 MB function (MiB, as AWS counts) may use exactly 128 MiB, not one KiB more
    assert not memory.exceeds(128 * 1024, 128)
    assert memory.exceeds(128 * 1024 + 1, 128)


def test_report_line_of_an_out_of_memory_kill_like_aws():
    line = logs.report_line("r1", 800.1, 128, 131, status="error", error_type="Runtime.OutOfMemory")
    assert line.endswith(
        "\tMemory Size: 128 MB\tMax Memory Used: 131 MB\tStatus: error"
        "\tError Type: Runtime.OutOfMemory\n"
    )


def test_report_line_parses_back():
    from tests.lambda_reports import parse_report

    line = logs.report_line("r1", 800.1, 128, 131, status="error", error_type="Runtime.OutOfMemory")
    report = parse_report(line.rstrip("\n"))
    assert (report.request_id, report.memory_size_mb, report.max_memory_used_mb) == ("r1", 128, 131)
    assert report.out_of_memory
    assert not parse_report(logs.report_line("r2", 1.0, 128, 40, init_ms=9.0)).out_of_memory
