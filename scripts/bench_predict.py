"""Benchmarks of the prediction function; ``run()`` returns a dict (the lead's `make bench`).

* in-handler: the handler called in-process with API Gateway events (1 and 1,000 specimens),
  AWS mocked by moto and the prediction-log write left out (measured on its own);
* log write: one ``put_object`` of a request's JSON Lines to S3 on LocalStack (if up);
* cold start: a fresh interpreter importing the handler and loading the champion from S3;
* peers: ``mlflow.pyfunc`` in-process and ``mlflow models serve --env-manager local`` on the
  same booster, one specimen per call;
* end to end: through API Gateway on LocalStack, when ``.state/outputs.json`` has the API.

Configuration (adapters/config.py): StackAccess (AWS_ENDPOINT_URL / LOCALSTACK_PORT,
MLFLOW_PORT) for the local cloud; BenchSettings (BENCH_SKIP_MLFLOW=1 leaves out the peers).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OUTPUTS = REPO / ".state" / "outputs.json"


def percentiles(seconds: list[float]) -> dict[str, float]:
    """p50/p99 in milliseconds."""
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1e3, 4),
        "p99_ms": round(p99 * 1e3, 4),
        "n": len(ordered),
    }


def timed(call, repeats: int) -> dict[str, float]:
    """Percentiles of ``repeats`` calls (after one warm-up)."""
    call()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def localstack_url() -> str:
    """LocalStack's edge URL."""
    from adapters.config import StackAccess

    return StackAccess.from_env().localstack_url


def localstack_up() -> bool:
    """True when LocalStack answers its health check."""
    try:
        with urllib.request.urlopen(f"{localstack_url()}/_localstack/health", timeout=2):
            return True
    except OSError:
        return False


def aws_env() -> None:
    """Dummy credentials and region (LocalStack and moto accept anything)."""
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("POWERTOOLS_LOG_LEVEL", "WARNING"),
        ("POWERTOOLS_METRICS_NAMESPACE", "Mushroom"),
    ):
        os.environ.setdefault(name, value)


def specimen_json() -> dict:
    """A typical request specimen: JSON numbers, optional fields omitted."""
    from tests.unit.predict_support import features

    values = {k: v for k, v in features().items() if v != ""}
    for name in ("cap-diameter", "stem-height", "stem-width"):
        values[name] = float(values[name])
    return values


class AcceptingStream:
    """A Firehose client that takes every record at once, without a network call (`log_write`
    measures the call)."""

    def put_record_batch(self, DeliveryStreamName: str, Records: list) -> dict:
        return {"FailedPutCount": 0, "RequestResponses": [{"RecordId": "bench"} for _ in Records]}


def in_handler(bundle: dict) -> dict:
    """Handler time for 1 and 1,000 specimens (moto), the log's lines built and handed to a
    Firehose client that answers at once."""
    import boto3
    from moto import mock_aws

    from tests.events import LambdaContext
    from tests.unit import predict_support as support

    os.environ.update(DATA_BUCKET=support.DATA_BUCKET, CHAMPION_REFRESH_SECONDS="30")
    with mock_aws():
        s3, ssm = boto3.client("s3"), boto3.client("ssm")
        s3.create_bucket(Bucket=support.ARTIFACT_BUCKET)
        s3.create_bucket(Bucket=support.DATA_BUCKET)
        support.publish(s3, ssm, "1", bundle)
        ssm.put_parameter(Name=support.KEY_PARAMETER, Value=support.KEY, Type="SecureString")
        handler = support.load_handler()
        log = handler.service().log  # its lines are built as served; only the call is cut
        log.firehose, log.stream = AcceptingStream(), "mushroom-bench"
        context = LambdaContext("mushroom-predict")
        result = handler_times(handler, context)
        # The same with a challenger in shadow (the same bundle as version 2), loaded now
        support.publish(s3, ssm, "1", bundle, challenger=support.upload(s3, "2", bundle))
        champions = handler.service().champions
        champions._checked_at = None  # re-read the pointer at the next request
        result |= handler_times(handler, context, "_with_challenger")
        assert champions.champion.versions == ("1", "2")
        return result


def handler_times(handler, context, suffix: str = "") -> dict:
    """p50/p99 of the handler for 1 and 1,000 specimens."""
    from tests.events import api_gateway_request

    result = {}
    for count, repeats in ((1, 3000), (1000, 100)):
        event = api_gateway_request("POST", "/predict", {"specimens": [specimen_json()] * count})
        assert handler.lambda_handler(event, context)["statusCode"] == 200
        result[f"specimens_{count}{suffix}"] = timed(
            lambda: handler.lambda_handler(event, context), repeats
        )
    return result


def log_write(repeats: int = 200) -> dict:
    """One request's log object written to S3 on LocalStack (1 and 1,000 lines): the fallback's
    write, and the stand-in for the Firehose call (LocalStack's writes each call to S3 at once)."""
    if not localstack_up():
        return {"skipped": f"LocalStack is not answering at {localstack_url()}"}
    import boto3

    s3 = boto3.client("s3", endpoint_url=localstack_url())
    bucket = "bench-prediction-log"
    s3.create_bucket(Bucket=bucket)
    line = (
        json.dumps(
            {
                "prediction_id": "x" * 36,
                "features": specimen_json(),
                "decision": "edible",
                "probability_poisonous": 0.01,
                "model_version": "1",
            }
        )
        + "\n"
    )
    result = {}
    for count in (1, 1000):
        body, counter = (line * count).encode(), iter(range(10**9))

        def put():
            s3.put_object(Bucket=bucket, Key=f"predictions/bench/{next(counter)}.jsonl", Body=body)

        result[f"lines_{count}"] = timed(put, repeats if count == 1 else repeats // 4)
    return result


# As on Lambda, whose layers have no pandas, scikit-learn, MLflow or scipy (nor narwhals, so
# no lightgbm Python package either: serving goes through lib_lightgbm).
COLD_START_PROBE = """
import importlib.abc, json, sys, time
started = time.perf_counter()
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("pandas", "sklearn", "mlflow", "scipy", "narwhals"):
            raise ImportError(name)
sys.meta_path.insert(0, Block())
sys.path.insert(0, "{folder}")
import handler
imported = time.perf_counter()
handler.service().champions.current()
print(json.dumps([imported - started, time.perf_counter() - imported]))
"""


def cold_start(bundle: dict) -> dict:
    """Fresh interpreter: import the handler, load the champion from S3 (LocalStack), answer."""
    if not localstack_up():
        return {"skipped": f"LocalStack is not answering at {localstack_url()}"}
    import boto3

    from tests.unit import predict_support as support

    s3, ssm = (boto3.client(s, endpoint_url=localstack_url()) for s in ("s3", "ssm"))
    for bucket in (support.ARTIFACT_BUCKET, support.DATA_BUCKET):
        s3.create_bucket(Bucket=bucket)
    support.publish(s3, ssm, "bench", bundle, parameter=BENCH_PARAMETER)  # not the served one
    probe = COLD_START_PROBE.format(folder=str(support.PREDICT_DIR))
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": localstack_url(),
        "DATA_BUCKET": support.DATA_BUCKET,
        "CHAMPION_PARAMETER": BENCH_PARAMETER,
        "PYTHONPATH": str(REPO),
    }
    runs = []
    for _ in range(9):
        out = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    imports, loads = zip(*runs)
    totals = [i + j for i, j in runs]
    return {
        "import_s": round(statistics.median(imports), 3),
        "load_champion_s": round(statistics.median(loads), 3),
        "total_s": round(statistics.median(totals), 3),
        "total_max_s": round(max(totals), 3),
        "n": len(runs),
    }


BENCH_PARAMETER = "/mushroom-bench/champion"


def free_port() -> int:
    """An unused local TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mlflow_peers(bundle: dict, registered: str | None) -> dict:
    """The same model through mlflow.pyfunc in-process and `mlflow models serve` (HTTP).

    With a deployed stack, ``registered`` is the champion's registered version on the tracking
    server (``models:/mushroom-classifier/<n>``), the very model the prediction Lambda serves;
    otherwise the bench's booster is saved locally.
    """
    import lightgbm
    import mlflow
    import numpy as np
    import pandas

    from mushroom.encoding import Vocabulary

    vocabulary = Vocabulary.from_json(bundle["vocabulary.json"].decode())
    row = vocabulary.encode_records([specimen_json()])
    with tempfile.TemporaryDirectory() as folder:
        source = registered
        if source is None:
            source = f"{folder}/model"
            mlflow.lightgbm.save_model(
                lightgbm.Booster(model_str=bundle["model.lgb"].decode()), source
            )
        model = mlflow.pyfunc.load_model(source)
        columns = signature_columns(model)
        frame = pandas.DataFrame(np.asarray(row), columns=columns) if columns else row
        result = {"model": source, "pyfunc_in_process": timed(lambda: model.predict(frame), 2000)}
        result["serve_http"] = serve_http(source, np.asarray(row).tolist(), columns)
    return result


def signature_columns(model) -> list[str] | None:
    """The input column names a registered model's signature requires (None without one)."""
    schema = model.metadata.get_input_schema()
    return schema.input_names() if schema is not None and schema.has_input_names() else None


def champion_bundle() -> tuple[dict, str | None]:
    """The served champion's files from S3 (deployed stack), else the tests' small bundle
    (only when run alone: `make bench` deploys the stack and trains a champion first)."""
    from adapters.config import StackAccess
    from mushroom.storage import split_s3_uri
    from scripts import bench_stack, localaws
    from tests.unit.predict_support import bundle_files

    outputs = deployed_outputs()
    pointer = bench_stack.served_pointer(outputs) if outputs else None
    if pointer is None:
        return bundle_files(), None
    s3, files = localaws.client("s3"), {}
    for uri in pointer.bundle_uris().values():
        bucket, key = split_s3_uri(uri)
        files[uri.rsplit("/", 1)[-1]] = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    # MLflow's client reads these two to load the registered version (mlflow_peers)
    os.environ["MLFLOW_TRACKING_URI"] = StackAccess.from_env().mlflow_tracking_uri
    os.environ.setdefault("MLFLOW_S3_ENDPOINT_URL", localstack_url())
    return files, bench_stack.model_uri(pointer)


def serve_http(path: str, rows: list, columns: list[str] | None = None) -> dict:
    """`mlflow models serve --env-manager local` on 127.0.0.1, one-row POST /invocations."""
    port = free_port()
    mlflow_cli = str(Path(sys.executable).with_name("mlflow"))
    server = subprocess.Popen(
        [
            mlflow_cli,
            "models",
            "serve",
            "-m",
            path,
            "--env-manager",
            "local",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-w",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PATH": f"{Path(mlflow_cli).parent}:" + os.environ.get("PATH", "")},
    )
    try:
        url = f"http://127.0.0.1:{port}/invocations"
        named = {"dataframe_split": {"columns": columns, "data": rows}}
        body = json.dumps(named if columns else {"inputs": rows}).encode()
        started = time.perf_counter()
        wait_for(f"http://127.0.0.1:{port}/ping", 60)
        startup = time.perf_counter() - started

        def call():
            request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=10).read()

        return {"startup_s": round(startup, 2), **timed(call, 300)}
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_for(url: str, seconds: float) -> None:
    """Poll ``url`` until it answers 200."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)


def deployed_outputs() -> dict | None:
    """Terraform outputs of the deployed stack, or None when nothing is deployed."""
    from scripts.localaws import outputs

    return outputs() if OUTPUTS.exists() and localstack_up() else None


def first_request(repeats: int = 3) -> dict:
    """The deployed predict function's first request on a fresh container, through LocalStack's
    Lambda service and the project's executor: process start, imports, the champion from S3 and
    the answer, against the next (warm) request. A configuration change retires the container;
    the function's own configuration is restored afterwards (no drift for Terraform)."""
    outputs = deployed_outputs()
    if not outputs or not outputs.get("predict_function_name"):
        return {"skipped": "no deployed prediction function (run `make deploy`)"}
    import boto3

    from tests.events import api_gateway_request

    lam, name = (
        boto3.client("lambda", endpoint_url=localstack_url()),
        outputs["predict_function_name"],
    )
    original = lam.get_function_configuration(FunctionName=name).get("Environment", {})
    event = json.dumps(api_gateway_request("POST", "/predict", {"specimens": [specimen_json()]}))

    def call() -> float:
        started = time.perf_counter()
        answer = json.loads(lam.invoke(FunctionName=name, Payload=event)["Payload"].read())
        if answer.get("statusCode") != 200:
            raise RuntimeError(f"the predict function answered {answer}")
        return time.perf_counter() - started

    def configure(variables: dict) -> None:
        lam.update_function_configuration(FunctionName=name, Environment={"Variables": variables})
        lam.get_waiter("function_updated_v2").wait(FunctionName=name)

    first, warm = [], []
    try:
        for attempt in range(repeats):
            configure({**original.get("Variables", {}), "BENCH_FRESH_CONTAINER": str(attempt)})
            first.append(call())
            warm.append(call())
    finally:
        configure(original.get("Variables", {}))
    return {
        "first_request_s": round(statistics.median(first), 3),
        "warm_request_ms": round(statistics.median(warm) * 1e3, 1),
        "n": repeats,
        "memory_mb": lam.get_function_configuration(FunctionName=name)["MemorySize"],
    }


def end_to_end(repeats: int = 200) -> dict:
    """POST /predict through API Gateway on LocalStack (needs `make deploy`)."""
    outputs = deployed_outputs()
    if not outputs:
        return {"skipped": "no deployed stack (run `make up deploy`)"}
    if not outputs.get("api_local_url"):
        return {"skipped": "the deployed stack has no prediction API"}
    body = json.dumps({"specimens": [specimen_json()]}).encode()
    headers = {"Content-Type": "application/json", "x-api-key": outputs["api_key"]}

    def call():
        request = urllib.request.Request(outputs["api_local_url"] + "predict", body, headers)
        urllib.request.urlopen(request, timeout=30).read()

    return timed(call, repeats)


def peers_or_error(bundle: dict, registered: str | None) -> dict:
    """The MLflow peers' figures, or their error: a peer that fails loses only its own rows."""
    try:
        return mlflow_peers(bundle, registered)
    except Exception as error:  # noqa: BLE001 - the figures of our own function stand
        return {"error": f"{type(error).__name__}: {str(error)[:300]}"}


def run() -> dict:
    """Every benchmark; ratios are peer p50 / our in-handler p50 for one specimen."""
    from adapters.config import BenchSettings

    warnings.simplefilter("ignore")
    aws_env()
    bundle, registered = champion_bundle()
    result = {
        "model": registered or "small test bundle (no deployed champion)",
        "in_handler": in_handler(bundle),
        "log_write": log_write(),
        "cold_start": cold_start(bundle),
        "deployed_function": first_request(),
        "end_to_end": end_to_end(),
    }
    if not BenchSettings.from_env().skip_mlflow:
        result["mlflow"] = peers_or_error(bundle, registered)
        ours = result["in_handler"]["specimens_1"]["p50_ms"]
        result["ratios"] = {
            name: round(peer["p50_ms"] / ours, 1)
            for name, peer in result["mlflow"].items()
            if isinstance(peer, dict)
        }
    return result


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
