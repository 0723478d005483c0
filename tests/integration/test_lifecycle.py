"""`down` stops everything `up` started (handlers included) and frees the ports; `up` again."""

import json
import os
import time
import uuid

import pytest

from localcloud import procs
from tests.integration.test_executor import FIXTURES, ROLE, zip_folder

pytestmark = [pytest.mark.integration, pytest.mark.localcloud_lifecycle]


def warm_handler_pid(local_cloud) -> int:
    """Create and invoke a function; return the pid of its warm handler process."""
    client = local_cloud.client("lambda")
    name = f"lifecycle-{uuid.uuid4().hex[:8]}"
    client.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="handler.describe",
        Code={"ZipFile": zip_folder(FIXTURES / "basic")},
    )
    client.get_waiter("function_active_v2").wait(FunctionName=name)
    response = client.invoke(FunctionName=name, Payload=b"{}")
    return json.loads(response["Payload"].read())["pid"]


def test_down_leaves_nothing_then_up_again(local_cloud):
    if not (local_cloud.started_here or os.environ.get("LOCALCLOUD_LIFECYCLE_TEST") == "1"):
        pytest.skip("stack was already up (maybe in use): down would wipe its LocalStack state")
    # Given a running stack with a warm Lambda handler process
    s = local_cloud.settings
    handler_pid = warm_handler_pid(local_cloud)
    assert procs.alive(handler_pid)
    # When the stack is stopped
    result = local_cloud.run("down")
    # Then no process of ours is left and the ports are free
    assert result.returncode == 0, result.stdout + result.stderr
    time.sleep(0.2)
    assert not procs.alive(handler_pid)
    assert procs.project_processes(s.state) == []
    assert procs.port_free(s.host, s.localstack_port)
    assert procs.port_free(s.host, s.mlflow_port)
    # And `up` brings it back healthy (restoring the stack for whoever runs next)
    result = local_cloud.run("up")
    assert result.returncode == 0, result.stdout + result.stderr
    assert local_cloud.is_up()
    assert "all healthy" in result.stdout


def test_up_twice_is_harmless(local_cloud):
    result = local_cloud.run("up")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "already running" in result.stdout
