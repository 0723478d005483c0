"""The prediction API on the real local stack (LocalStack + the deployed Terraform)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mushroom.prediction_ids import PredictionIds
from mushroom.records.batch_report import BatchReport
from scripts.localaws import client
from tests.conftest import specimen
from tests.unit import predict_support as support
from tests.unit.ingest_support import HEADER, csv_bytes, good_rows
from tests.unit.predict_support import features

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
OUTPUTS = REPO / ".state" / "outputs.json"


@pytest.fixture(scope="module")
def stack() -> dict:
    if not OUTPUTS.exists():
        pytest.skip(".state/outputs.json is missing: run `make up deploy`")
    outputs = {k: v.get("value") for k, v in json.loads(OUTPUTS.read_text()).items()}
    if "api_local_url" not in outputs:
        pytest.skip("the deployed stack has no prediction API")
    return outputs


@pytest.fixture(scope="module")
def champion(stack) -> dict:
    """Publish a tiny champion (restoring the previous pointer afterwards)."""
    s3, ssm = client("s3"), client("ssm")
    name = stack["champion_parameter_name"]
    previous = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    support.ARTIFACT_BUCKET, support.PARAMETER = stack["mlflow_artifact_bucket_name"], name
    pointer = support.publish(s3, ssm, "it-1")
    yield pointer
    ssm.put_parameter(Name=name, Value=previous, Type="String", Overwrite=True)


def request(stack, method: str, path: str, body=None, key: bool = True):
    data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if key:
        headers["x-api-key"] = stack["api_key"]
    call = urllib.request.Request(stack["api_local_url"] + path, data, headers, method=method)
    try:
        with urllib.request.urlopen(call, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        text = error.read()
        return error.code, json.loads(text) if text.startswith(b"{") else text


def wait_for_version(stack, version: str, seconds: float = 90) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, body = request(stack, "POST", "predict", {"specimens": [features()]})
        if status == 200 and body["model_version"] == version:
            return body
        time.sleep(2)
    raise AssertionError(f"version {version} was not served within {seconds} s")


def test_without_api_key_is_403(stack):
    assert request(stack, "GET", "health", key=False)[0] == 403


def test_with_api_key_predicts(stack, champion):
    body = wait_for_version(stack, "it-1")
    assert body["results"][0]["decision"] in {"edible", "poisonous", "unsure: do not eat"}


@pytest.mark.parametrize(
    "body, status",
    [
        ({"specimens": [features(cap_shape="zz")]}, 422),
        (b"{not json", 400),
        ({"specimens": [features()] * 1001}, 413),
        ({"specimens": []}, 422),
    ],
)
def test_client_mistakes_get_documented_codes(stack, champion, body, status):
    assert request(stack, "POST", "predict", body)[0] == status


def test_feedback_is_taken_only_for_ids_this_api_issued_in_the_window(stack, champion):
    # Given a prediction served through API Gateway, an id never issued, and one issued 91
    # days ago under the deployed key (SSM SecureString)
    issued = wait_for_version(stack, "it-1")["results"][0]["prediction_id"]
    secret = client("ssm").get_parameter(
        Name=stack["prediction_id_key_parameter"], WithDecryption=True
    )["Parameter"]["Value"]
    ids = PredictionIds(hashlib.sha256(secret.encode()).digest())
    late = ids.new(datetime.now(timezone.utc).date() - timedelta(days=91))[0]

    def feedback(prediction_id):
        return request(
            stack, "POST", "feedback", {"prediction_id": prediction_id, "observed_class": "p"}
        )

    # Then the issued id's label is stored, the unknown id gets 404 and the late one 410
    assert feedback(issued) == (
        200,
        {"prediction_id": issued, "observed_class": "p", "stored": True},
    )
    status, answer = feedback(str(uuid.uuid4()))
    assert status == 404 and "was issued by this API" in answer["message"], answer
    status, answer = feedback(late)
    assert status == 410 and "90 days" in answer["message"], answer


def test_new_champion_is_served_without_redeploy(stack, champion):
    wait_for_version(stack, "it-1")
    support.publish(client("s3"), client("ssm"), "it-2")
    wait_for_version(stack, "it-2")


def test_pointer_outage_keeps_serving_the_cached_model(stack, champion):
    # Given a loaded champion, When the pointer names artifacts that do not exist
    body = wait_for_version(stack, request(stack, "GET", "model")[1]["model_version"])
    broken = {
        **json.loads(client("ssm").get_parameter(Name=support.PARAMETER)["Parameter"]["Value"]),
        "version": "missing",
        "model_uri": "s3://nope/model.lgb",
    }
    client("ssm").put_parameter(
        Name=support.PARAMETER, Value=json.dumps(broken), Type="String", Overwrite=True
    )
    time.sleep(35)  # > CHAMPION_REFRESH_SECONDS (30): the pointer has been re-read
    # Then the cached version keeps answering
    status, again = request(stack, "POST", "predict", {"specimens": [features()]})
    assert (status, again["model_version"]) == (200, body["model_version"])
    support.publish(client("s3"), client("ssm"), "it-3")


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(stack, champion, tmp_path):
    pytest.importorskip("schemathesis")
    cli = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [
            str(cli),
            "run",
            str(REPO / "docs" / "openapi.json"),
            "--url",
            stack["api_local_url"].rstrip("/"),
            "--header",
            f"x-api-key: {stack['api_key']}",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "50",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:]


# ------------------------------------------------------------ batch scoring (S3 batch/ → λ)
def batch_outcome(stack, key: str, seconds: float = 120) -> dict:
    """The report batch scoring writes for an upload (polled: S3 invokes the function)."""
    s3, name = client("s3"), key.removeprefix("batch/").removesuffix(".csv")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            found = s3.get_object(
                Bucket=stack["data_bucket_name"], Key=f"batch-results/{name}.report.json"
            )
        except s3.exceptions.NoSuchKey:
            time.sleep(1)
        else:  # read as the record, so a report of another shape fails here
            return BatchReport.from_dict(json.loads(found["Body"].read())).to_dict()
    raise AssertionError(f"no batch-results/{name}.report.json within {seconds:.0f} s")


def test_a_batch_upload_is_scored_and_what_could_not_be_is_reported(stack, champion):
    # Given a file of four unlabelled specimens, one with a code the contract does not know
    s3, bucket = client("s3"), stack["data_bucket_name"]
    key = f"batch/it-{uuid.uuid4().hex[:8]}.csv"
    rows = good_rows(3) + [specimen(cap_shape="zz")]
    s3.put_object(Bucket=bucket, Key=key, Body=csv_bytes(rows, header=HEADER[1:]))
    # When it is uploaded under batch/
    report = batch_outcome(stack, key)
    # Then three rows are scored and the fourth is reported with its reason
    assert (report["scored"], report["unscored"]) == (3, 1), report
    assert report["reasons"]["cap-shape/unknown_code"]["count"] == 1
    assert report["reasons"]["cap-shape/unknown_code"]["examples"][0]["row"] == 4
    rejected = s3.get_object(Bucket=bucket, Key=report["rejected_rows"])["Body"].read().decode()
    assert rejected.splitlines()[1].endswith(";4;cap-shape/unknown_code")
    results = s3.get_object(Bucket=bucket, Key=key.replace("batch/", "batch-results/", 1))
    lines = results["Body"].read().decode().splitlines()
    assert len(lines) == 4 and lines[0].endswith("decision;explanation;prediction_id;model_version")
    assert all(line.split(";")[-1] == report["model_version"] for line in lines[1:])
    # And the upload itself is left as it was
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0


def test_a_batch_upload_that_is_not_a_table_of_specimens_is_refused_in_its_report(stack):
    # Given a tab-separated file (the contract's separators are ; and ,)
    s3, bucket = client("s3"), stack["data_bucket_name"]
    key = f"batch/it-{uuid.uuid4().hex[:8]}.csv"
    body = csv_bytes(good_rows(2), header=HEADER[1:]).replace(b";", b"\t")
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    # When it is uploaded, Then the report refuses it, naming the missing columns
    report = batch_outcome(stack, key)
    assert report["refused"]["rule"] == "missing_columns" and report["scored"] == 0, report
    assert "cap-diameter" in report["refused"]["message"]
