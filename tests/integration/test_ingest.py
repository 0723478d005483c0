"""Ingest on the deployed local stack: S3 upload → Lambda → processed/, manifests/, a job.

Needs `make up deploy` (names come from .state/outputs.json, written by scripts/deploy.sh).
The training worker may consume the training-jobs queue, so "one message" is checked through
the manifest's ``training_job`` record (written once, right after the message was sent).
"""

from __future__ import annotations

import io
import json
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest

from mushroom.records.manifest import Manifest
from mushroom.storage import DatasetKeys, Source, dataset_id
from tests.conftest import specimen
from tests.events import s3_event_for_object
from tests.unit.ingest_support import UCI_1987_HEADER, csv_bytes, good_rows

pytestmark = pytest.mark.integration
OUTPUTS = Path(__file__).resolve().parents[2] / ".state" / "outputs.json"
POLL_SECONDS = 120


@pytest.fixture(scope="module")
def outputs() -> dict:
    """Terraform outputs of the deployed stack (skips when not deployed)."""
    if not OUTPUTS.exists():
        pytest.skip(".state/outputs.json is missing: run `make deploy`")
    raw = json.loads(OUTPUTS.read_text())
    values = {
        k: v.get("value") if isinstance(v, dict) and "value" in v else v for k, v in raw.items()
    }
    if "ingest_function_name" not in values:
        pytest.skip("the ingest function is not deployed (terraform/functions.tf)")
    return values


@pytest.fixture
def bucket(outputs) -> str:
    return outputs["data_bucket_name"]


@pytest.fixture
def s3(outputs, local_cloud):
    """S3 on the local cloud (only once the stack is known to be deployed)."""
    return local_cloud.client("s3")


@pytest.fixture
def uploads(s3, bucket):
    """Uploads a file under a fresh raw/ folder; removes every object it led to afterwards."""
    created: list[str] = []
    folder = f"raw/it-{uuid.uuid4().hex[:8]}/"

    def upload(name: str, body: bytes) -> tuple[Source, DatasetKeys]:
        key = folder + name
        put = s3.put_object(Bucket=bucket, Key=key, Body=body)
        source = Source(bucket, key, put.get("VersionId"), put["ETag"].strip('"'), len(body))
        keys = DatasetKeys(dataset_id(source))
        created.extend([key, keys.processed, keys.rejected, keys.report, keys.manifest])
        return source, keys

    yield upload
    for key in created:
        versions = s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])
        for version in (v for v in versions if v["Key"] == key):
            s3.delete_object(Bucket=bucket, Key=key, VersionId=version["VersionId"])


def wait_for_json(s3, bucket: str, key: str, ready=lambda doc: True) -> dict:
    """Poll until the JSON document exists (and satisfies ``ready``)."""
    deadline = time.monotonic() + POLL_SECONDS
    while time.monotonic() < deadline:
        try:
            document = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            if ready(document):
                return document
        except s3.exceptions.NoSuchKey:
            pass
        time.sleep(1)
    raise AssertionError(f"s3://{bucket}/{key} did not appear within {POLL_SECONDS} s")


def exists(s3, bucket: str, key: str) -> bool:
    return bool(s3.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount"))


def test_the_real_file_becomes_a_dataset_and_a_training_job(s3, bucket, uploads, real_data_file):
    # Given the real data set uploaded under raw/
    source, keys = uploads("secondary_data.csv", real_data_file.read_bytes())
    # When S3 notifies the ingest function, Then a manifest with every row and a job appear
    manifest = wait_for_json(s3, bucket, keys.manifest, lambda d: d.get("training_job"))
    assert (manifest["rows_in"], manifest["accepted"], manifest["status"]) == (
        61_069,
        61_069,
        "accepted",
    )
    assert manifest["source"]["version_id"] == source.version_id
    assert manifest["training_job"]["message_id"]
    body = s3.get_object(Bucket=bucket, Key=keys.processed)["Body"].read()
    dataset = pd.read_parquet(io.BytesIO(body))
    assert len(dataset) == 61_069 and dataset["species"].nunique() == 173


def test_a_mixed_file_gives_exact_counts(s3, bucket, uploads):
    rows = good_rows(10) + [specimen(cap_shape="z"), specimen(stem_width="wide")]
    source, keys = uploads("mixed.csv", csv_bytes(rows) + b"p;1.0\n")
    manifest = wait_for_json(s3, bucket, keys.manifest)
    assert (manifest["rows_in"], manifest["accepted"], manifest["rejected"]) == (13, 10, 3)
    assert manifest["status"] == "partial"
    assert Manifest.from_dict(manifest).trains  # the record training reads, as written
    report = json.loads(s3.get_object(Bucket=bucket, Key=keys.report)["Body"].read())
    assert report["reasons"]["cap-shape/unknown_code"]["count"] == 1
    assert exists(s3, bucket, keys.rejected)


def test_a_refused_file_has_a_report_and_no_dataset(s3, bucket, uploads):
    source, keys = uploads("uci-1987.csv", (UCI_1987_HEADER + "\np,x,s,n,t,p,f\n").encode())
    manifest = wait_for_json(s3, bucket, keys.manifest)
    assert manifest["status"] == "refused" and manifest["refusal"]["rule"] == "missing_columns"
    assert "training_job" not in manifest
    assert exists(s3, bucket, keys.report) and not exists(s3, bucket, keys.processed)


def test_the_same_event_twice_gives_one_dataset(outputs, local_cloud, s3, bucket, uploads):
    # Given an upload that the notification has already ingested
    source, keys = uploads("twice.csv", csv_bytes(good_rows(5)))
    first = wait_for_json(s3, bucket, keys.manifest, lambda d: d.get("training_job"))
    # When the same event is delivered again
    event = s3_event_for_object(s3, bucket, source.key, source.version_id)
    response = local_cloud.client("lambda").invoke(
        FunctionName=outputs["ingest_function_name"], Payload=json.dumps(event).encode()
    )
    result = json.loads(response["Payload"].read())
    # Then it is recognised as a duplicate: same dataset, no new job, manifest untouched
    assert result["uploads"][0]["duplicate"] and result["training_job"] is None
    again = json.loads(s3.get_object(Bucket=bucket, Key=keys.manifest)["Body"].read())
    assert again["training_job"] == first["training_job"]
    versions = s3.list_object_versions(Bucket=bucket, Prefix=keys.manifest)["Versions"]
    assert len(versions) == 2  # created, then stamped with its training job: nothing more
