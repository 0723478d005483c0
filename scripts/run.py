"""The main job, end to end, the way a user meets the system.

Starts the local cloud, deploys it with Terraform, uploads the data set to ``raw/``, follows
ingest → training → gate → promotion live, asks the API about three specimens and prints how
to go on. The stack keeps running afterwards (``make down`` stops it).

    python scripts/run.py                 (what `make run` calls)
    python scripts/run.py --summary-only  (validate the local data file and print its summary)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.config import StackAccess  # noqa: E402
from mushroom import contract, datafile, storage  # noqa: E402
from mushroom.records.manifest import Manifest  # noqa: E402
from mushroom.summary import summarise  # noqa: E402
from scripts import localaws, usage  # noqa: E402

MODEL = "mushroom-classifier"
TRAINER_LOG = ROOT / ".state" / "logs" / "trainer.log"
STARTED = time.perf_counter()


def say(text: str) -> None:
    """A progress line with the time since the job started."""
    print(f"[{time.perf_counter() - STARTED:6.1f}s] {text}", flush=True)


def print_summary(path: Path, summary: dict, rejected: int) -> None:
    """The data set in a few lines: rows, class balance, species, missing values."""
    rows = summary["rows"] + rejected
    print(f"data set: {path}")
    print(f"  rows: {rows:,}  accepted: {summary['rows']:,}  rejected: {rejected:,}")
    for code, count in sorted(summary.get("classes", {}).items()):
        print(f"  class {code} ({contract.LABELS[code]}): {count:,} ({count / rows:.1%})")
    print(f"  species: {summary.get('species', 'none given')}")
    print("  missing values per column:")
    for name, count in summary["missing"].items():
        if count:
            print(f"    {name:<20} {count:>7,} ({count / summary['rows']:.1%})")


def run_step(title: str, command: list[str]) -> None:
    """Run a make-level step (local cloud, deploy) with its output shown; stop on failure."""
    say(title)
    if subprocess.call(command, cwd=ROOT) != 0:
        raise SystemExit(f"run: step failed: {' '.join(command)}")


def upload(path: Path, bucket: str, key: str) -> storage.Source:
    """Put the file under raw/ with awslocal, as a user would; returns the new version."""
    command = ["awslocal", "s3", "cp", str(path), f"s3://{bucket}/{key}", "--only-show-errors"]
    say(f"upload: {' '.join(command[:-1])}")
    if subprocess.call(command, env=usage.cli_environment(localaws.endpoint_url())) != 0:
        raise SystemExit(f"run: the upload failed: {' '.join(command)}")
    head = localaws.client("s3").head_object(Bucket=bucket, Key=key)
    return storage.Source(bucket, key, head.get("VersionId"), head["ETag"].strip('"'))


def wait_for(what: str, probe, timeout: float, every: float = 1.0):
    """Poll until probe() returns something; a clear error after the timeout."""
    found = localaws.poll(probe, timeout, every)
    if found:
        return found
    raise SystemExit(f"run: no {what} after {timeout:.0f} s; see `make logs` and `make status`")


def follow_ingest(source: storage.Source) -> Manifest:
    """Wait for the upload's manifest (written last by the ingest Lambda) and report it."""
    keys = storage.DatasetKeys(storage.dataset_id(source))
    s3 = localaws.client("s3")

    def manifest():
        try:
            document = s3.get_object(Bucket=source.bucket, Key=keys.manifest)["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None
        return Manifest.from_dict(json.loads(document))

    found = wait_for("ingest manifest", manifest, timeout=180)
    say(
        f"ingest: {found.status}: {found.rows_in:,} rows in, {found.accepted:,} "
        f"accepted, {found.rejected:,} rejected → s3://{source.bucket}/{keys.processed}"
    )
    return found


class TrainerLog:
    """Shows the training worker's progress lines as they are written."""

    def __init__(self, path: Path = TRAINER_LOG):
        self.path, self.offset = path, path.stat().st_size if path.exists() else 0

    def show_new(self) -> None:
        if not self.path.exists():
            return
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            chunk = handle.read()
        self.offset += len(chunk)
        for line in chunk.decode("utf-8", "replace").splitlines():
            message = _message(line)
            if message:
                say(f"  trainer: {message}")


def _message(line: str) -> str | None:
    try:
        entry = json.loads(line)
    except json.JSONDecodeError:
        return None
    return entry.get("message") if isinstance(entry, dict) else None


def follow_training(dataset_id: str, tracking_uri: str) -> dict:
    """Wait for the registered version trained on this dataset and its gate decision."""
    from mlflow import MlflowClient

    client, log = MlflowClient(tracking_uri), TrainerLog()

    def decided():
        log.show_new()
        for version in client.search_model_versions(f"name='{MODEL}'"):
            if "promotion_decision" in version.tags and dataset_id in client.get_run(
                version.run_id
            ).data.tags.get("dataset_ids", ""):
                return version
        return None

    version = wait_for("training decision", decided, timeout=600, every=2.0)
    log.show_new()
    say(f"gate: version {version.version}: {version.tags.get('promotion_reason', '')}")
    return {"version": version.version, "decision": version.tags["promotion_decision"]}


def demo_specimens(path: Path) -> list[tuple[str, dict]]:
    """One edible, one poisonous, and one the model should be unsure about."""
    frame = datafile.load(path).accepted
    features = list(contract.FEATURE_NAMES)

    def first(label: str) -> dict:
        row = frame.loc[frame[contract.LABEL] == label, features].iloc[0]
        return {k: (None if v != v else v) for k, v in row.to_dict().items()}

    unusual = {**first("e"), "cap-diameter": 60.0, "cap-color": "r", "stem-width": 90.0}
    return [
        ("edible (first edible specimen of the data set)", first("e")),
        ("poisonous (first poisonous specimen)", first("p")),
        ("unusual: an edible specimen with a 60 cm green cap", unusual),
    ]


def call_api(url: str, key: str, method: str, path: str, body: dict | None = None) -> dict:
    """One API call with the key; the decoded JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url.rstrip("/") + path,
        data=data,
        method=method,
        headers={"x-api-key": key, "content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def ask_the_api(url: str, key: str, path: Path) -> None:
    """Predict three specimens through API Gateway and print the answers."""
    specimens = demo_specimens(path)
    answer = call_api(url, key, "POST", "/predict", {"specimens": [s for _, s in specimens]})
    say(f"first answer from the API (model version {answer['model_version']}):")
    for (label, _), result in zip(specimens, answer["results"]):
        print(
            f"    {label}\n      → decision: {result['decision']!r}, prediction "
            f"{result['prediction']}, P(poisonous) = {result['probability_poisonous']:.4f}"
        )


def closing(outputs: dict, tracking_uri: str, model: dict) -> None:
    """Where things are, the champion's figures, and the README's "Use it" blocks filled in."""
    print("\nThe stack keeps running.")
    also = "(also /feedback, /model, /health, /openapi.json)"
    print(f"  API:        {outputs['api_local_url']}predict   {also}")
    print(f"  MLflow UI:  {tracking_uri}/#/models/{MODEL}")
    print(f"  champion:   version {model.get('model_version')}, trained {model.get('trained_at')}")
    for name, value in sorted(model.get("metrics", {}).items()):
        print(f"    {name:<36} {value:.4f}" if isinstance(value, float) else f"    {name}: {value}")
    print('\nUse it (README.md, "Use it"; run from this checkout; monitoring demo: make simulate)')
    access = StackAccess.from_env()
    print(usage.render(usage.values(outputs, str(access.localstack_port), str(access.mlflow_port))))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "secondary_data.csv")
    parser.add_argument(
        "--summary-only",
        action="store_true",
        help="only validate the local data file and print its summary",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    loaded = datafile.load(args.data)
    print_summary(args.data, summarise(loaded.accepted), len(loaded.validation.rejected))
    if args.summary_only:
        return 0
    python = sys.executable
    run_step(
        "local cloud: starting (LocalStack, MLflow, training worker)",
        [python, "-m", "localcloud", "up"],
    )
    run_step("deploy: terraform apply against LocalStack", ["scripts/deploy.sh", "apply"])
    outputs = localaws.outputs()
    tracking_uri = StackAccess.from_env().mlflow_url
    source = upload(args.data, outputs["data_bucket_name"], f"raw/{args.data.name}")
    manifest = follow_ingest(source)
    follow_training(manifest.dataset_id, tracking_uri)
    url, key = outputs["api_local_url"], outputs["api_key"]
    ask_the_api(url, key, args.data)
    closing(outputs, tracking_uri, call_api(url, key, "GET", "/model"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
