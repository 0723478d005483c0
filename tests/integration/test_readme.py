"""The README's "Use it" section, run as written against the live local cloud.

Each bash block of the section runs in bash after the setup block (as the README says), with
its placeholders filled in (bucket, API address, key, ports, and small CSV files written here),
and its output is checked against what the README says the user will see. A README that
drifts from the code fails here. Needs `make up deploy` (`make test-integration` does both).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest

from scripts import localaws, usage
from tests import stack
from tests.conftest import ROOT, specimen
from tests.unit.ingest_support import HEADER, csv_bytes, good_rows
from training.register import MODEL_NAME, champion_of

pytestmark = pytest.mark.integration
TESTED = {}  # title of each block -> the test that runs it (every block must have one)
DECISIONS = {"edible", "poisonous", "unsure: do not eat"}


def runs(title: str):
    def mark(test):
        TESTED[title] = test.__name__
        return test

    return mark


@pytest.fixture(scope="module")
def outputs(local_cloud):
    return stack.deployed_outputs()


@pytest.fixture(scope="module")
def blocks() -> dict[str, str]:
    return {use.title: use.script for use in usage.uses()}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    """The user's files: a labelled upload with one bad row, and unlabelled specimens to score
    (unique names, so results of earlier runs on the same stack cannot pass for these)."""
    folder, tag = tmp_path_factory.mktemp("readme"), uuid.uuid4().hex[:8]
    mine, batch = folder / f"readme-{tag}.csv", folder / f"readme-batch-{tag}.csv"
    mine.write_bytes(csv_bytes(good_rows(4) + [specimen(cap_shape="zz")]))
    batch.write_bytes(csv_bytes(good_rows(3) + [specimen(cap_shape="zz")], header=HEADER[1:]))
    # Longer names first: "batch-results/specimens." must be filled before "specimens.csv".
    return {
        "batch-results/specimens.": f"batch-results/{batch.stem}.",
        "specimens.csv": str(batch),
        "manifests/my-": f"manifests/{mine.stem}-",
        "my.csv": str(mine),
    }


@pytest.fixture(scope="module")
def values(local_cloud, outputs, files) -> dict[str, str]:
    ports = local_cloud.settings.localstack_port, local_cloud.settings.mlflow_port
    return {**usage.values(outputs, *ports), **files}


@pytest.fixture(scope="module")
def run(blocks, values):
    """Run one block as a user would: after the setup block, from the checkout, in bash."""

    def run_block(title: str) -> str:
        script = usage.fill(f"{blocks[usage.SETUP]}\n{blocks[title]}", values)
        environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        result = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert (
            result.returncode == 0
        ), f"'{title}' failed:\n{script}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        return result.stdout

    return run_block


@pytest.fixture(scope="module")
def mlflow(local_cloud):
    """An MLflow client that can also read the runs' artifacts (in LocalStack's S3)."""
    from mlflow import MlflowClient

    access = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    access.update(AWS_DEFAULT_REGION="us-east-1", MLFLOW_S3_ENDPOINT_URL=local_cloud.localstack_url)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in access.items():
            patch.setenv(name, value)
        yield MlflowClient(local_cloud.mlflow_url)


def decided_version(mlflow, dataset_id: str, timeout: float = 600):
    """The model version trained on this dataset, once the gate has decided on it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for version in mlflow.search_model_versions(f"name='{MODEL_NAME}'"):
            run = mlflow.get_run(version.run_id)
            if "promotion_decision" in version.tags and dataset_id in run.data.tags.get(
                "dataset_ids", ""
            ):
                return version
        time.sleep(3)
    pytest.fail(f"no decided version trained on {dataset_id} after {timeout:.0f} s")


@pytest.fixture(scope="module")
def after_make_run(outputs, mlflow, real_data_file):
    """The state `make run` leaves: the data set ingested in this bucket, a champion serving."""
    s3, bucket = localaws.client("s3"), outputs["data_bucket_name"]
    if not s3.list_objects_v2(Bucket=bucket, Prefix="processed/secondary-data-")["KeyCount"]:
        manifest = stack.upload_and_ingest(outputs, real_data_file, "it-readme")
        decided_version(mlflow, manifest["dataset_id"])
    # An earlier test's upload of the data set may still be in training: wait for its champion
    deadline = time.monotonic() + 600
    while champion_of(mlflow, MODEL_NAME) is None and time.monotonic() < deadline:
        time.sleep(3)
    assert champion_of(mlflow, MODEL_NAME) is not None, "the real data set was not promoted"
    assert stack.champion_pointer(outputs)["version"]


@pytest.fixture(scope="module")
def dropped(run, mlflow, after_make_run) -> dict:
    """The "Drop a file" block's output, its manifest, and the version trained on it."""
    output = run("Drop a file")
    manifest, _ = json_in(output)
    version = decided_version(mlflow, manifest["dataset_id"])
    return {"output": output, "manifest": manifest, "version": version}


def json_in(output: str) -> tuple[dict, str]:
    """The first JSON document the block printed (python3 -m json.tool), and what follows it."""
    start = 0 if output.startswith("{") else output.index("\n{\n") + 1
    document, end = json.JSONDecoder().raw_decode(output, start)
    return document, output[end:]


@runs(usage.SETUP)
def test_the_setup_block_reaches_the_local_buckets(run, outputs):
    assert outputs["data_bucket_name"] in run(usage.SETUP)


@runs("Drop a file")
def test_a_dropped_file_has_a_manifest_a_quarantine_and_a_decided_version(dropped, mlflow):
    manifest, version = dropped["manifest"], dropped["version"]
    # The manifest: in = accepted + rejected, the bad row quarantined, a training run requested
    assert (manifest["rows_in"], manifest["accepted"], manifest["rejected"]) == (5, 4, 1)
    assert manifest["status"] == "partial" and manifest["training_job"]["message_id"]
    assert manifest["outputs"]["processed"].startswith("processed/")
    for name in ("rejected.csv", "report.json"):  # the last line lists the quarantine
        assert re.search(rf"\s{re.escape(name)}$", dropped["output"], re.MULTILINE), name
    # The version trained on it: its description names its data, decision and safety figures,
    # the run holds the metrics, plots and lineage
    decision = version.tags["promotion_decision"]
    assert version.description.startswith(f"{decision} — ")
    assert "\n**Data**: " in version.description
    assert "poisonous served as edible, unseen species:" in version.description
    assert len(version.tags) <= 3, version.tags
    run = mlflow.get_run(version.run_id)
    assert manifest["dataset_id"] in run.data.tags["dataset_ids"]
    assert "served_false_edible_rate_unseen" in run.data.metrics
    artifacts = {item.path for item in mlflow.list_artifacts(version.run_id)}
    plots = {item.path for item in mlflow.list_artifacts(version.run_id, "plots")}
    assert "lineage.json" in artifacts and "plots/roc.png" in plots, (artifacts, plots)


def test_the_registry_page_shows_the_versions_and_their_descriptions(local_cloud, dropped):
    # Headless Chromium (Debian's package; .ci/run installs it) renders the MLflow UI
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    url = f"{local_cloud.mlflow_url}/#/models/{MODEL_NAME}"
    dom = chromium(browser, url, "--dump-dom")
    version = dropped["version"]
    assert MODEL_NAME in dom
    assert f"Version {version.version}" in dom, dom[-2000:]
    # The table shows the start of each description (the UI cuts it at about 30 characters)
    assert version.description[:20] in dom, version.description[:20]
    # versions carry their decision, not copies of the run's metrics (older registries may
    # still show versions registered before, so this looks at the new version itself)
    assert not [tag for tag in version.tags if tag.startswith("metric.")], version.tags


def chromium(browser: str, url: str, *action: str) -> str:
    """The page as headless Chromium renders it (the MLflow UI is a JavaScript application)."""
    with tempfile.TemporaryDirectory() as profile:
        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--window-size=1400,1000",
            "--virtual-time-budget=10000",
        ]
        result = subprocess.run(
            [browser, *flags, *action, url], capture_output=True, text=True, timeout=120
        )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@runs("Call the API")
def test_the_api_answers_with_a_decision(run, after_make_run):
    answer, _ = json_in(run("Call the API"))
    (result,) = answer["results"]
    assert result["decision"] in DECISIONS
    assert 0 <= result["probability_poisonous"] <= 1
    assert result["model_version"] == answer["model_version"] and result["prediction_id"]
    # "Each result also names the candidate species, with their edibility ... `explanation`"
    candidates = result["candidates"]
    assert candidates and all({"species", "edibility"} <= set(c) for c in candidates), result


@runs("Score a file in batch")
def test_a_batch_file_is_scored_into_batch_results(run, after_make_run):
    report, rest = json_in(run("Score a file in batch"))
    assert (report["scored"], report["unscored"]) == (3, 1), report
    results = rest.strip().splitlines()
    header = results[0].split(";")
    for column in ("row", "prediction", "probability_poisonous", "decision", "model_version"):
        assert column in header, (column, header)
    rows = [dict(zip(header, line.split(";"))) for line in results[1:]]
    assert len(rows) == 3 and all(row["decision"] in DECISIONS for row in rows), rows


@runs("Provision")
def test_terraform_by_hand_sees_what_make_deploy_applied(run):
    assert "No changes." in run("Provision")


@runs("Be notified")
def test_notifications_and_alarms(run, dropped):
    output = run("Be notified")
    version = dropped["version"].version
    assert f"mushroom-classifier v{version} " in output  # the gate's decision on the upload
    for alarm in ("served-false-edible-high", "drift-high", "training-dlq-not-empty"):
        assert re.search(rf"mushroom-{alarm}\s*\|\s*(OK|ALARM|INSUFFICIENT_DATA)", output), alarm
    assert (ROOT / "docs" / "operations.md").read_text().count("mushroom-served-false-edible-high")


@runs("Roll back and stop")
def test_a_rollback_restores_the_previous_champion(run, mlflow, dropped, outputs):
    champion = champion_of(mlflow, MODEL_NAME).version
    try:
        previous = mlflow.get_model_version_by_alias(MODEL_NAME, "previous").version
    except Exception:  # one promotion so far: the champion stands in for its predecessor
        mlflow.set_registered_model_alias(MODEL_NAME, "previous", champion)
        previous = champion
    try:
        output = run("Roll back and stop")
        assert f"champion is now version {previous} " in output
        assert json_in(output)[0]["model_version"]
        assert stack.champion_pointer(outputs)["version"] == str(previous)
    finally:  # the other tests' champion again (rollback swaps champion and previous)
        subprocess.run(
            ["make", "--no-print-directory", "rollback", f"VERSION={champion}"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )


def test_every_block_of_the_section_is_run_by_a_test(blocks):
    assert set(blocks) == set(TESTED), "a block of README 'Use it' has no test here"
