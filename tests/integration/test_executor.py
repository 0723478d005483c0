"""The local Lambda executor behaves like AWS Lambda for Python (through LocalStack)."""

import contextlib
import io
import json
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parent / "fixtures"
ROLE = "arn:aws:iam::000000000000:role/lambda-test-role"


def zip_folder(folder: Path) -> bytes:
    """Zip a fixture folder with fixed timestamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                info = zipfile.ZipInfo(str(path.relative_to(folder)), (2020, 1, 1, 0, 0, 0))
                archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


@pytest.fixture(scope="module")
def lambda_client(local_cloud):
    """Lambda client against LocalStack."""
    return local_cloud.client("lambda")


@pytest.fixture(scope="module")
def make_function(lambda_client):
    """Factory creating functions from fixture folders; deletes them afterwards."""
    created = []

    def make(folder: str, handler: str, **config) -> str:
        name = f"exec-{folder.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
        lambda_client.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=ROLE,
            Handler=handler,
            Code={"ZipFile": zip_folder(FIXTURES / folder)},
            **config,
        )
        created.append(name)
        lambda_client.get_waiter("function_active_v2").wait(FunctionName=name)
        return name

    yield make
    for name in created:
        lambda_client.delete_function(FunctionName=name)


def invoke(client, name: str, event: dict | None = None) -> tuple[dict, str | None]:
    """Invoke synchronously; return (decoded payload, FunctionError)."""
    response = client.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode())
    return json.loads(response["Payload"].read()), response.get("FunctionError")


@pytest.fixture(scope="module")
def describe_fn(make_function):
    """The `describe` fixture handler with a custom env var."""
    env = {"Variables": {"GREETING": "hi", "MODEL_BUCKET": "models"}}
    return make_function("basic", "handler.describe", Environment=env, MemorySize=256)


def test_handler_executes_and_returns(lambda_client, describe_fn):
    # Given a deployed function / When invoked / Then it returns the handler's result
    body, error = invoke(lambda_client, describe_fn, {"specimen": 1})
    assert error is None
    assert body["event"] == {"specimen": 1}
    assert body["version"] == [3, 12]
    assert body["context"]["function_name"] == describe_fn
    assert body["context"]["memory_limit_in_mb"] in (256, "256")
    assert body["context"]["invoked_function_arn"].endswith(f":function:{describe_fn}")
    assert body["context"]["log_group_name"] == f"/aws/lambda/{describe_fn}"
    assert 0 < body["context"]["remaining_ms"] <= 3000
    assert len(body["context"]["aws_request_id"]) == 36


def test_env_vars_and_endpoint_visible(lambda_client, describe_fn, local_cloud):
    body, _ = invoke(lambda_client, describe_fn)
    env = body["env"]
    assert env["GREETING"] == "hi" and env["MODEL_BUCKET"] == "models"
    assert env["AWS_ENDPOINT_URL"] == local_cloud.localstack_url
    assert env["_HANDLER"] == "handler.describe"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == describe_fn
    assert env["AWS_REGION"] == local_cloud.region
    assert env["AWS_LAMBDA_FUNCTION_TIMEOUT"] == "3"
    assert "LOCALCLOUD_STATE_DIR" not in env and "VIRTUAL_ENV" not in env


def test_sandbox_import_path_is_isolated(lambda_client, describe_fn):
    body, _ = invoke(lambda_client, describe_fn)
    assert body["sys_path"][0] == body["cwd"] == body["env"]["LAMBDA_TASK_ROOT"]
    assert not [p for p in body["sys_path"] if "site-packages" in p]
    assert body["sys_path"][-1].endswith("lambda-runtime/python3.12")


def test_runtime_provides_boto3_pointed_at_localstack(lambda_client, make_function, local_cloud):
    bucket = f"exec-test-{uuid.uuid4().hex[:8]}"
    local_cloud.client("s3").create_bucket(Bucket=bucket)
    name = make_function("basic", "handler.s3_buckets")
    body, error = invoke(lambda_client, name)
    local_cloud.client("s3").delete_bucket(Bucket=bucket)
    assert error is None, body
    assert bucket in body["buckets"]


def test_layer_module_importable(lambda_client, make_function):
    # Given a layer with python/greeting.py
    layer = lambda_client.publish_layer_version(
        LayerName=f"greeting-{uuid.uuid4().hex[:8]}",
        Content={"ZipFile": zip_folder(FIXTURES / "layer")},
        CompatibleRuntimes=["python3.12"],
    )
    # When a function using it is invoked
    name = make_function("uses_layer", "handler.handler", Layers=[layer["LayerVersionArn"]])
    body, error = invoke(lambda_client, name, {"name": "forager"})
    # Then the module comes from the layer and the layer's lib/ is on LD_LIBRARY_PATH
    assert error is None, body
    assert body["greeting"] == "hello forager from the layer"
    assert body["origin"].endswith("python/greeting.py")
    layer_lib = str(Path(body["origin"]).parent.parent / "lib")
    assert layer_lib in body["ld_library_path"].split(":")


def test_missing_dependency_fails_like_aws(lambda_client, make_function):
    # numpy is installed on the host, but no layer ships it
    name = make_function("missing_dependency", "handler.handler")
    body, error = invoke(lambda_client, name)
    assert error == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert body["errorMessage"] == "Unable to import module 'handler': No module named 'numpy'"


def test_exception_has_aws_error_shape(lambda_client, make_function):
    name = make_function("basic", "handler.fail")
    body, error = invoke(lambda_client, name, {"reason": "bad specimen"})
    assert error == "Unhandled"
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "boom: bad specimen"
    assert any("in fail" in frame for frame in body["stackTrace"])


def test_timeout_kills_and_recovers(lambda_client, make_function):
    name = make_function("basic", "handler.sleep", Timeout=1)
    # When the handler runs longer than the timeout
    started = time.monotonic()
    body, error = invoke(lambda_client, name, {"seconds": 30})
    elapsed = time.monotonic() - started
    # Then it is stopped at ~1 s with AWS's error
    assert error == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in body["errorMessage"]
    assert elapsed < 5
    # And the next invocation works
    body, error = invoke(lambda_client, name, {"seconds": 0})
    assert error is None, body
    assert body["slept"] == 0


def log_messages(local_cloud, name: str, needle: str) -> list[str]:
    """The function's CloudWatch log lines, once one contains `needle` (or after ~10 s)."""
    logs, messages = local_cloud.client("logs"), []
    for _ in range(50):
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        except logs.exceptions.ResourceNotFoundException:  # the group comes with the first logs
            events = []
        messages = [e["message"] for e in events]
        if any(needle in m for m in messages):
            break
        time.sleep(0.2)
    return messages


def test_out_of_memory_kills_and_recovers(lambda_client, make_function, local_cloud):
    name = make_function("basic", "handler.hog", MemorySize=128, Timeout=30)
    warm, error = invoke(lambda_client, name, {"mib": 10})
    assert error is None, warm
    # When the handler holds 400 MiB in a 128 MB function
    started = time.monotonic()
    body, error = invoke(lambda_client, name, {"mib": 400, "hold": 25})
    # Then it is killed at once (not at its 25 s hold or its timeout) with AWS's error
    assert time.monotonic() - started < 15
    assert error == "Unhandled"
    assert body["errorType"] == "Runtime.OutOfMemory"
    assert body["errorMessage"].endswith("Error: Runtime exited with error: signal: killed")
    # And its REPORT says so, with a peak over the size
    messages = log_messages(local_cloud, name, "Runtime.OutOfMemory")
    report = next(m for m in messages if "Error Type: Runtime.OutOfMemory" in m)
    assert "Memory Size: 128 MB" in report and "Status: error" in report
    assert int(report.split("Max Memory Used: ")[1].split(" MB")[0]) > 128
    # And the next invocation runs in a fresh environment
    after, error = invoke(lambda_client, name, {"mib": 10})
    assert error is None, after
    assert after["pid"] != warm["pid"]


def test_out_of_memory_of_an_async_event_reaches_its_failure_destination(
    lambda_client, make_function, local_cloud
):
    # Given a 128 MB function whose failed events go to a queue, without retries
    sqs = local_cloud.client("sqs")
    queue = sqs.create_queue(QueueName=f"exec-oom-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    name = make_function("basic", "handler.hog", MemorySize=128, Timeout=30)
    lambda_client.put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": arn["Attributes"]["QueueArn"]}},
    )
    try:
        # When an asynchronous event makes it hold 400 MiB
        lambda_client.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"mib": 400}')
        answer = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=20)
        # Then the failure record carries AWS's out-of-memory error
        record = json.loads(answer["Messages"][0]["Body"])
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["responsePayload"]["errorType"] == "Runtime.OutOfMemory"
    finally:
        sqs.delete_queue(QueueUrl=queue)


def test_out_of_memory_during_init_fails_like_aws(lambda_client, make_function):
    # Given a function whose import holds 400 MiB of its 128 MB
    env = {"Variables": {"INIT_MIB": "400"}}
    name = make_function("greedy_init", "handler.handler", MemorySize=128, Environment=env)
    body, error = invoke(lambda_client, name)
    assert error == "Unhandled"
    assert body["errorType"] == "Runtime.OutOfMemory"
    assert body["errorMessage"].startswith("Runtime exited with error: signal: killed")


def test_within_memory_size_reports_its_peak(lambda_client, make_function, local_cloud):
    name = make_function("basic", "handler.hog", MemorySize=256)
    body, error = invoke(lambda_client, name, {"mib": 100})
    assert error is None, body
    messages = log_messages(local_cloud, name, "Max Memory Used")
    report = next(m for m in messages if m.startswith("REPORT RequestId:"))
    assert 100 < int(report.split("Max Memory Used: ")[1].split(" MB")[0]) < 256


def test_logs_reach_cloudwatch(lambda_client, describe_fn, local_cloud):
    marker = f"marker-{uuid.uuid4().hex}"
    invoke(lambda_client, describe_fn, {"marker": marker})
    messages = log_messages(local_cloud, describe_fn, marker)
    assert any(marker in m for m in messages)
    assert any(m.startswith("START RequestId:") for m in messages)
    assert any(m.startswith("END RequestId:") for m in messages)
    assert any(m.startswith("REPORT RequestId:") and "Duration:" in m for m in messages)


def test_warm_environment_is_reused(lambda_client, describe_fn):
    first, _ = invoke(lambda_client, describe_fn)
    second, _ = invoke(lambda_client, describe_fn)
    assert first["pid"] == second["pid"]


def test_concurrent_invocations_get_separate_environments(lambda_client, make_function):
    name = make_function("basic", "handler.sleep", Timeout=10)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: invoke(lambda_client, name, {"seconds": 1.5}), [0, 1]))
    assert all(error is None for _, error in results), results
    assert results[0][0]["pid"] != results[1][0]["pid"]


def test_non_python_runtime_fails_clearly(lambda_client, local_cloud):
    name = f"exec-node-{uuid.uuid4().hex[:8]}"
    lambda_client.create_function(
        FunctionName=name,
        Runtime="nodejs20.x",
        Role=ROLE,
        Handler="index.handler",
        Code={"ZipFile": zip_folder(FIXTURES / "basic")},
    )
    try:
        for _ in range(50):
            config = lambda_client.get_function_configuration(FunctionName=name)
            if config["State"] != "Pending":
                break
            time.sleep(0.1)
        assert config["State"] == "Failed"
        assert "not a Python runtime" in config["StateReason"]
    finally:
        # LocalStack may already have dropped a function whose creation failed
        with contextlib.suppress(lambda_client.exceptions.ResourceNotFoundException):
            lambda_client.delete_function(FunctionName=name)
