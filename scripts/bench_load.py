"""Load on the deployed local stack (127.0.0.1 only); ``run()`` returns a dict for `make bench`.

* predict: ``POST /predict`` through API Gateway with the stack's API key (its usage plan),
  open loop at a fixed rate (a request is due every 1/rate s, whether or not earlier ones have
  answered; latency counts from the due time, so a slow server cannot slow the offered load),
  half the bodies one real specimen, half 100 real specimens (data/secondary_data.csv);
* uploads: the real file cut into 10 distinct CSVs with a few bad rows each, uploaded to
  ``raw/`` at once; every row accounted for (in = accepted + rejected, from the manifests and
  the quarantine), and the training runs and registered versions that follow counted.

    python scripts/bench_load.py [--rate 50] [--seconds 60] [--files 10]
"""

from __future__ import annotations

import argparse
import csv
import functools
import io
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mushroom.records.manifest import Manifest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "data" / "secondary_data.csv"
LOOPBACK = "127.0.0.1"
# Threads that carry the open-loop requests: a due request waits for a free one only when the
# server takes longer than CLIENTS / rate seconds to answer (counted in late_starts).
CLIENTS = 32
# Execution environments warmed before the clock starts: 50 requests/s at ~30-150 ms each
# keep 2-8 busy; LocalStack starts a new one for every request that finds all busy.
WARM_ENVIRONMENTS = 10
REQUEST_TIMEOUT_S = 30.0
LATE_S = 0.1  # a request that starts this long after its due time means the client fell behind
GIVE_UP_S = 60.0  # a request not started this long after its due time is not sent (bounded run)
# A rate this machine's LocalStack sustains, for latencies without a queue (see RESULTS.md).
STEADY_RPS, STEADY_SECONDS = 15.0, 30.0


def local_outputs() -> dict | None:
    """The deployed stack's outputs, or None when it is not deployed or not answering."""
    from scripts import bench_predict

    return bench_predict.deployed_outputs()


def real_rows() -> tuple[str, list[str]]:
    """Header and data lines of the real file (text, without line ends)."""
    header, *rows = DATA.read_text().splitlines()
    return header, rows


# --- predict under load ---------------------------------------------------------------------


def specimens(header: str, rows: list[str]) -> list[dict]:
    """Request specimens from data lines: the label and empty cells left out."""
    names = header.split(";")
    found = []
    for values in csv.reader(rows, delimiter=";"):
        row = dict(zip(names, values))
        found.append({k: v for k, v in row.items() if k != "class" and v != ""})
    return found


def request_bodies(count: int, seed: int = 12) -> list[tuple[int, bytes]]:
    """``count`` bodies, alternately 1 and 100 real specimens (random rows, fixed seed)."""
    header, rows = real_rows()
    rng = random.Random(seed)
    bodies = []
    for index in range(count):
        size = 1 if index % 2 == 0 else 100
        start = rng.randrange(len(rows) - size)
        body = {"specimens": specimens(header, rows[start : start + size])}
        bodies.append((size, json.dumps(body).encode()))
    return bodies


def post(url: str, key: str, body: bytes) -> tuple[str, str]:
    """Status of one POST ("200", "429", …, or the error's name when no answer came) and, for
    a failure, the start of its answer."""
    headers = {"Content-Type": "application/json", "x-api-key": key}
    request = urllib.request.Request(url, body, headers)
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
            response.read()
            return str(response.status), ""
    except urllib.error.HTTPError as error:
        return str(error.code), error.read()[:200].decode(errors="replace")
    except OSError as error:  # timeout, connection refused or reset
        reason = getattr(error, "reason", error)
        return type(reason).__name__, str(reason)[:200]


def warm_up(send, body: bytes, environments: int, rounds: int = 3) -> dict:
    """``environments`` requests at once, a few times: that many warm execution environments
    before the clock starts (what provisioned concurrency gives on AWS)."""
    statuses: Counter = Counter()
    with ThreadPoolExecutor(max_workers=environments) as pool:
        for _ in range(rounds):
            statuses.update(status for status, _ in pool.map(send, [body] * environments))
    return dict(statuses)


def open_loop(send, bodies: list[tuple[int, bytes]], rate: float) -> list[dict]:
    """Send ``bodies`` at ``rate`` per second on schedule; one record per request."""
    records: list[dict] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def one(due: float, size: int, body: bytes) -> None:
        began = time.perf_counter()
        late = began - due > GIVE_UP_S
        status, detail = ("not_sent", "") if late else send(body)
        done = time.perf_counter()
        with lock:
            records.append(
                {
                    "size": size,
                    "status": status,
                    "detail": detail,
                    "due": due - start,
                    "late_s": began - due,
                    "latency_s": done - due,
                    "done": done - start,
                }
            )

    with ThreadPoolExecutor(max_workers=CLIENTS, thread_name_prefix="load") as pool:
        for index, (size, body) in enumerate(bodies):
            due = start + index / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            pool.submit(one, due, size, body)
    return records


def quantiles_ms(seconds: list[float]) -> dict:
    """p50, p99 and max in milliseconds."""
    ordered = sorted(seconds)
    if not ordered:
        return {}
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1e3, 1),
        "p99_ms": round(p99 * 1e3, 1),
        "max_ms": round(ordered[-1] * 1e3, 1),
    }


def load_summary(records: list[dict], rate: float, seconds: float) -> dict:
    """Offered and achieved rates, status counts, latencies (all and per body size)."""
    statuses = Counter(r["status"] for r in records)
    answered = [r for r in records if r["status"].isdigit()]
    sent = [r for r in records if r["status"] != "not_sent"]
    span = max((r["done"] for r in records), default=0.0)
    return {
        "offered_rps": rate,
        "seconds": seconds,
        "requests": len(records),
        "achieved_rps": round(len(answered) / span, 2) if span else 0.0,
        "statuses": dict(sorted(statuses.items())),
        "status_2xx": sum(n for s, n in statuses.items() if s.startswith("2")),
        "status_429": statuses.get("429", 0),
        "status_5xx": sum(n for s, n in statuses.items() if s.startswith("5")),
        "no_answer": len(sent) - len(answered),
        "not_sent": len(records) - len(sent),
        "late_starts": sum(r["late_s"] > LATE_S for r in records),
        "failure_examples": {r["status"]: r["detail"] for r in records if r["detail"]},
        **quantiles_ms([r["latency_s"] for r in answered]),
        **{
            f"specimens_{size}": quantiles_ms(
                [r["latency_s"] for r in answered if r["size"] == size]
            )
            for size in (1, 100)
        },
    }


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of a process so far (0 when unknown)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def localstack_pid(url: str) -> int | None:
    """The LocalStack process answering ``url`` (its port's listener)."""
    from localcloud.procs import port_owner

    owner = port_owner(urllib.parse.urlsplit(url).port) or ""
    return int(owner.split()[1].rstrip(":")) if owner.startswith("pid ") else None


def environments() -> dict:
    """Lambda execution environments of this local cloud now, and their resident memory."""
    from localcloud.procs import cmdline, project_processes
    from localcloud.settings import from_env

    pids = [p for p in project_processes(from_env(os.environ).state) if "executor" in cmdline(p)]
    rss_mb = sum(resident_kb(pid) for pid in pids) / 1024
    return {"environments": len(pids), "environments_rss_mb": round(rss_mb)}


def resident_kb(pid: int) -> int:
    """Resident memory of a process in KiB (0 once it has exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return sum(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))


def predict_load(outputs: dict, rate: float, seconds: float) -> dict:
    """Open-loop load on POST /predict through API Gateway (after a short warm-up)."""
    url = outputs["api_local_url"].rstrip("/") + "/predict"
    if urllib.parse.urlsplit(url).hostname != LOOPBACK:
        raise ValueError(f"the load goes to {LOOPBACK} only, not {url}")
    bodies = request_bodies(int(rate * seconds))
    send = functools.partial(post, url, outputs["api_key"])
    warmed = warm_up(send, bodies[1][1], WARM_ENVIRONMENTS)
    localstack, cpu_before = localstack_pid(url), cpu_seconds(localstack_pid(url))
    records = open_loop(send, bodies, rate)
    used = cpu_seconds(localstack) - cpu_before
    sent = sum(r["status"] != "not_sent" for r in records)
    return {
        "warm_up": warmed,
        **load_summary(records, rate, seconds),
        "localstack_cpu_ms_per_request": round(used / max(sent, 1) * 1e3, 1),
        **environments(),
    }


def steady_load(outputs: dict) -> dict:
    """The same load at a rate the local stack keeps up with: latencies without a queue."""
    return predict_load(outputs, STEADY_RPS, STEADY_SECONDS)


# --- concurrent uploads ---------------------------------------------------------------------

BAD_ROWS = (
    lambda fields: fields[:-3],  # too few fields
    lambda fields: [fields[0], "wide", *fields[2:]],  # cap-diameter not a number
    lambda fields: ["x", *fields[1:]],  # unknown label
)


def upload_files(count: int) -> list[dict]:
    """The real file in ``count`` slices; slice i gets i + 1 bad rows spread through it."""
    header, rows = real_rows()
    size = -(-len(rows) // count)
    files = []
    for index in range(count):
        lines = rows[index * size : (index + 1) * size]
        broken = [
            ";".join(BAD_ROWS[bad % len(BAD_ROWS)](lines[bad].split(";")))
            for bad in range(index + 1)
        ]
        for bad, line in enumerate(broken):
            lines.insert(bad * 50 + 1, line)
        body = ("\n".join([header, *lines]) + "\n").encode()
        files.append(
            {"name": f"part-{index:02d}.csv", "body": body, "rows": len(lines), "bad": len(broken)}
        )
    return files


def upload_all(outputs: dict, files: list[dict], folder: str) -> list:
    """Upload every file at the same moment (one thread each); their storage sources."""
    from mushroom import storage
    from scripts import localaws

    s3, bucket = localaws.client("s3"), outputs["data_bucket_name"]
    barrier = threading.Barrier(len(files))

    def one(file: dict) -> storage.Source:
        key = f"raw/{folder}/{file['name']}"
        barrier.wait()
        put = s3.put_object(Bucket=bucket, Key=key, Body=file["body"])
        return storage.Source(bucket, key, put.get("VersionId"), put["ETag"].strip('"'))

    with ThreadPoolExecutor(max_workers=len(files)) as pool:
        return list(pool.map(one, files))


def wait_for_manifests(sources: list, timeout: float) -> list[Manifest]:
    """Every upload's manifest, once it records its training job (when rows were accepted)."""
    from mushroom import storage
    from mushroom.records.manifest import Manifest
    from scripts import localaws

    s3, found = localaws.client("s3"), {}
    deadline = time.monotonic() + timeout
    while len(found) < len(sources) and time.monotonic() < deadline:
        for source in sources:
            key = storage.DatasetKeys(storage.dataset_id(source)).manifest
            try:
                document = s3.get_object(Bucket=source.bucket, Key=key)["Body"].read()
            except s3.exceptions.NoSuchKey:
                continue
            manifest = Manifest.from_dict(json.loads(document))
            if manifest.training_job or not manifest.accepted:
                found[key] = manifest
        time.sleep(0.5)
    return list(found.values())


def quarantined_rows(outputs: dict, manifests: list[Manifest]) -> int:
    """Rows in the quarantine's rejected.csv files of these datasets."""
    from scripts import localaws

    s3, total = localaws.client("s3"), 0
    for manifest in manifests:
        key = manifest.outputs["rejected_rows"]
        if key:
            body = s3.get_object(Bucket=outputs["data_bucket_name"], Key=key)["Body"].read()
            rejected = csv.reader(io.StringIO(body.decode()), delimiter=";")
            total += sum(1 for _ in rejected) - 1  # the header
    return total


def accounting(files: list[dict], manifests: list[Manifest], quarantined: int) -> dict:
    """Rows written against rows the manifests and the quarantine account for."""
    written = sum(f["rows"] for f in files)
    accepted = sum(m.accepted for m in manifests)
    rejected = sum(m.rejected for m in manifests)
    return {
        "files": len(files),
        "manifests": len(manifests),
        "rows_written": written,
        "rows_in": sum(m.rows_in for m in manifests),
        "accepted": accepted,
        "rejected": rejected,
        "bad_rows_written": sum(f["bad"] for f in files),
        "quarantined_rows": quarantined,
        "unaccounted_rows": written - accepted - rejected,
    }


def training_idle(outputs: dict) -> bool:
    """No training message waiting, in flight or delayed."""
    from scripts import localaws

    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attributes = localaws.client("sqs").get_queue_attributes(
        QueueUrl=outputs["training_queue_url"], AttributeNames=names
    )["Attributes"]
    return all(int(attributes.get(name, 0)) == 0 for name in names)


def training_since(started: float) -> dict:
    """MLflow runs of the training experiment and registered versions created since then."""
    from mlflow.tracking import MlflowClient

    from adapters.config import StackAccess
    from training.register import EXPERIMENT, MODEL_NAME

    client = MlflowClient(StackAccess.from_env().mlflow_tracking_uri)
    since = int(started * 1000)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    runs = client.search_runs(
        [experiment.experiment_id], order_by=["attributes.start_time DESC"], max_results=100
    )
    versions = client.search_model_versions(f"name = '{MODEL_NAME}'", max_results=1000)
    return {
        "training_runs": sum(r.info.start_time >= since for r in runs),
        "registered_versions": sum(v.creation_timestamp >= since for v in versions),
    }


def wait_for_training(outputs: dict, started: float, timeout: float) -> dict:
    """Once the training queue is empty (every job done and deleted), the runs it took."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not training_idle(outputs):
        time.sleep(2)
    counted = training_since(started)
    return {
        **counted,
        "queue_drained": training_idle(outputs),
        "upload_to_training_done_s": round(time.time() - started, 1),
    }


def concurrent_uploads(outputs: dict, count: int) -> dict:
    """``count`` distinct CSVs uploaded at once: accounted for, and how many trainings follow."""
    files = upload_files(count)
    started = time.time()
    sources = upload_all(outputs, files, f"bench-load/{int(started)}")
    manifests = wait_for_manifests(sources, timeout=300)
    ingested = round(time.time() - started, 1)
    counts = accounting(files, manifests, quarantined_rows(outputs, manifests))
    return {
        **counts,
        "upload_to_all_manifests_s": ingested,
        **wait_for_training(outputs, started, timeout=600),
    }


def served_model(outputs: dict) -> str:
    """The registered version the predict load was served by."""
    from scripts import bench_stack

    pointer = bench_stack.served_pointer(outputs)
    return bench_stack.model_uri(pointer) if pointer else "no champion served"


def run(rate: float = 50.0, seconds: float = 60.0, files: int = 10) -> dict:
    """Both load benchmarks on the deployed stack (skipped when it is not deployed)."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    outputs = local_outputs()
    if not outputs or not outputs.get("api_local_url"):
        return {"skipped": "no deployed stack with an API (run `make up deploy`)"}
    # Uploads first: on a fresh stack their training run promotes the champion predict serves.
    uploads = concurrent_uploads(outputs, files)
    return {
        "model": served_model(outputs),
        "predict": predict_load(outputs, rate, seconds),
        "predict_steady": steady_load(outputs),
        "uploads": uploads,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the load")
    parser.add_argument("--files", type=int, default=10, help="CSVs uploaded at once")
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = parse_args()
    print(json.dumps(run(args.rate, args.seconds, args.files), indent=1))
