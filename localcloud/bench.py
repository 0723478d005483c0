"""Benchmark the local cloud: `up` to all-healthy, Lambda cold start, warm invoke latency."""

import argparse
import io
import json
import statistics
import subprocess
import sys
import time
import uuid
import zipfile

from localcloud.health import healthy
from localcloud.settings import Settings, from_env

ROLE = "arn:aws:iam::000000000000:role/bench"
HANDLER = b'import os\ndef handler(event, context):\n    return {"pid": os.getpid()}\n'


def _zip() -> bytes:
    """Deployment package of a trivial handler."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("handler.py", (2020, 1, 1, 0, 0, 0)), HANDLER)
    return buffer.getvalue()


def _lambda_client(s: Settings):
    """boto3 Lambda client against LocalStack."""
    import boto3

    return boto3.client(
        "lambda",
        endpoint_url=s.localstack_url,
        region_name=s.region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def measure_up(s: Settings, restart: bool) -> dict:
    """Seconds from the start of the services to all-healthy, and of the installs before it,
    as the last real `up` recorded them (after a down + up with ``restart``)."""
    run = [sys.executable, "-m", "localcloud"]
    up = healthy(f"{s.localstack_url}/_localstack/health")
    if up and restart:
        subprocess.run([*run, "down"], cwd=s.repo, check=True, capture_output=True)
    if restart or not up:
        subprocess.run([*run, "up"], cwd=s.repo, check=True, capture_output=True)
    recorded = s.state / "up-timing.json"
    timing = json.loads(recorded.read_text()) if recorded.exists() else {}
    return {name: timing.get(name) for name in ("up_to_healthy_s", "installs_s")}


def _invoke(client, name: str) -> float:
    """Seconds for one synchronous invoke (payload read included)."""
    started = time.perf_counter()
    response = client.invoke(FunctionName=name, Payload=b"{}")
    response["Payload"].read()
    if response.get("FunctionError"):
        raise RuntimeError(f"bench function failed: {response}")
    return time.perf_counter() - started


def measure_lambda(s: Settings, invokes: int, colds: int) -> dict:
    """Cold start (first invoke of a new function) and warm invoke latencies."""
    client = _lambda_client(s)
    cold, names = [], []
    for _ in range(colds):
        name = f"bench-{uuid.uuid4().hex[:8]}"
        client.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=ROLE,
            Handler="handler.handler",
            Code={"ZipFile": _zip()},
        )
        client.get_waiter("function_active_v2").wait(FunctionName=name)
        names.append(name)
        cold.append(_invoke(client, name))
    warm = sorted(_invoke(client, names[0]) for _ in range(invokes))
    for name in names:
        client.delete_function(FunctionName=name)
    return {
        "lambda_cold_start_s": round(statistics.median(cold), 3),
        "lambda_warm_invoke_p50_ms": round(statistics.median(warm) * 1000, 1),
        "lambda_warm_invoke_p95_ms": round(warm[int(len(warm) * 0.95) - 1] * 1000, 1),
        "lambda_warm_invokes": invokes,
    }


def run(invokes: int = 50, colds: int = 3, restart: bool = False) -> dict:
    """Run all measurements; print and return them."""
    s = from_env()
    results = measure_up(s, restart)
    results.update(measure_lambda(s, invokes, colds))
    print(json.dumps(results, indent=2))
    return results


def main() -> None:
    """CLI: python -m localcloud.bench [--invokes N] [--restart]."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invokes", type=int, default=50)
    parser.add_argument("--colds", type=int, default=3)
    parser.add_argument("--restart", action="store_true", help="down + up to time `up`")
    args = parser.parse_args()
    run(args.invokes, args.colds, args.restart)


if __name__ == "__main__":
    main()
