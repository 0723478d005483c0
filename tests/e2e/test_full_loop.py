"""The whole loop on the real local stack, as users and operators meet it.

upload → dataset → training → champion → prediction → feedback → monitor → alarm →
operators notified → retraining → gate decision.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from mushroom import contract, datafile, storage
from scripts import localaws
from tests import stack

pytestmark = pytest.mark.integration
SPECIMENS_PER_CLASS = 30


def api(outputs: dict, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        outputs["api_local_url"].rstrip("/") + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"x-api-key": outputs["api_key"], "content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def specimens_of(frame, label: str) -> list[dict]:
    rows = frame.loc[frame[contract.LABEL] == label, list(contract.FEATURE_NAMES)]
    rows = rows.iloc[:: max(1, len(rows) // SPECIMENS_PER_CLASS)].head(SPECIMENS_PER_CLASS)
    return [{k: (None if v != v else v) for k, v in row.items()} for row in rows.to_dict("records")]


def wait_for_alarm(name: str, state: str, timeout: float = 240) -> bool:
    cloudwatch, deadline = localaws.client("cloudwatch"), time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"] == state:
            return True
        time.sleep(3)
    return False


def test_the_full_loop(real_data_file, local_cloud):
    outputs = stack.deployed_outputs()
    s3, bucket = localaws.client("s3"), outputs["data_bucket_name"]
    alarm = outputs["model_alarm_names"]["f1-low"]
    # Given no retrain cooldown in force and the quality alarm at rest
    s3.put_object(Bucket=bucket, Key=storage.RETRAIN_STATE, Body=json.dumps({"transitions": {}}))
    localaws.rest_alarms([alarm], "full-loop test starts")

    # upload → dataset
    manifest = stack.upload_and_ingest(outputs, real_data_file, "e2e")
    assert manifest["status"] == "accepted" and manifest["accepted"] == 61_069
    # → training → gate → champion
    decided = stack.alerts_about(outputs, manifest["dataset_id"], timeout=420)
    assert any("mushroom-classifier" in a["subject"] for a in decided), decided
    pointer = stack.champion_pointer(outputs)
    assert pointer.get("version"), pointer

    # → prediction (through API Gateway, with the key)
    frame = datafile.load(real_data_file).accepted
    specimens = specimens_of(frame, "p") + specimens_of(frame, "e")
    answer = api(outputs, "POST", "/predict", {"specimens": specimens})
    assert answer["model_version"] == pointer["version"]
    results = answer["results"]
    assert [r["prediction"] for r in results[:SPECIMENS_PER_CLASS]].count("poisonous") >= 27
    assert all(r["decision"] != "edible" for r in results[:SPECIMENS_PER_CLASS])

    # → a deadly false morel described without stem-surface is never "edible", and the
    # answer names the candidates and the field that settles it
    turban = [row for row in species_rows(frame, "Turban Fungus")]
    left_out = [{k: v for k, v in row.items() if k != "stem-surface"} for row in turban]
    answers = api(outputs, "POST", "/predict", {"specimens": left_out})["results"]
    assert len(answers) == 353 and all(r["decision"] != "edible" for r in answers)
    named = [r for r in answers if "Turban Fungus" in [c["species"] for c in r["candidates"]]]
    assert len(named) >= 0.9 * len(answers), answers[:3]
    for unsure in [r for r in answers if r["decision"] == "unsure: do not eat"]:
        assert "edible" in {c["edibility"] for c in unsure["candidates"]}, unsure  # why unsure

    # → feedback that contradicts the model (every label swapped), and drifted specimens of a
    # poisonous species reported edible: quality collapses
    drifted = [{**row, "cap-diameter": row["cap-diameter"] * 4} for row in turban[:20]]
    drifted_ids = [
        r["prediction_id"]
        for r in api(outputs, "POST", "/predict", {"specimens": drifted})["results"]
    ]
    swapped = [
        (r["prediction_id"], "e" if r["prediction"] == "poisonous" else "p") for r in results
    ]
    for prediction_id, observed in swapped + [(i, "e") for i in drifted_ids]:
        api(
            outputs,
            "POST",
            "/feedback",
            {"prediction_id": prediction_id, "observed_class": observed},
        )

    # → monitor (the scheduled function, invoked now) → metrics → alarm
    invoked = localaws.client("lambda").invoke(
        FunctionName=outputs["monitor_function_name"], Payload=b"{}"
    )
    report = json.loads(invoked["Payload"].read())
    assert report["quality_status"] == "ok", report
    assert wait_for_alarm(alarm, "ALARM"), f"{alarm} did not fire"

    # → operators notified, retraining requested by the alarm, and the gate decides again
    assert localaws.first_alert(outputs, localaws.is_alarm(alarm, "ALARM"), 120), "not notified"
    retrained = stack.alerts_about(outputs, "alarm:", timeout=420)
    decision = [a for a in retrained if "mushroom-classifier" in a["subject"]]
    assert decision and any(r.startswith("alarm:") for r in decision[0]["reasons"]), retrained

    # → the flipped labels were held for review, not trained on: none of those specimens of
    # poisonous species is served "edible" by whichever model serves now
    assert decision[0]["feedback_held_for_review"] >= 30 + 20, decision[0]
    held = s3.list_objects_v2(Bucket=bucket, Prefix=storage.HELD_FEEDBACK).get("Contents", [])
    assert held, "nothing held under quarantine/feedback/"
    flipped = specimens[:SPECIMENS_PER_CLASS] + drifted
    served = api(outputs, "POST", "/predict", {"specimens": flipped})["results"]
    assert all(r["decision"] != "edible" for r in served)


def species_rows(frame, name: str) -> list[dict]:
    rows = frame.loc[frame[contract.SPECIES] == name, list(contract.FEATURE_NAMES)]
    return [{k: (None if v != v else v) for k, v in row.items()} for row in rows.to_dict("records")]
