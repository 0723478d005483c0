"""Simulate a degrading model on the deployed stack, printing each step as it happens.

1. healthy specimens (data/secondary_data.csv) through POST /predict, true labels via /feedback
2. drifted specimens (shrunken caps, odd habitat) with wrong-looking labels (every label flipped)
3. invoke the monitor, wait for a quality/drift alarm, show the SNS alert from alerts-inbox,
   the retrain function's state (training job enqueued) and the training queue / gate outcome.

Usage: python scripts/simulate.py [--healthy 200] [--drifted 200] [--wait 300]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mushroom import storage  # noqa: E402
from scripts.localaws import alert_text, client, outputs  # noqa: E402

BATCH = 50


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--healthy", type=int, default=200)
    parser.add_argument("--drifted", type=int, default=200)
    parser.add_argument("--wait", type=int, default=300, help="seconds to wait for an alarm")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args(argv)


def step(text: str) -> None:
    print(f"\n== {time.strftime('%H:%M:%S')} {text}", flush=True)


def load_specimens(count: int, rng: random.Random) -> list[dict]:
    """Random labelled rows of the data set (empty cells dropped)."""
    with open(ROOT / "data" / "secondary_data.csv", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    return [{k: v for k, v in row.items() if v != ""} for row in rng.sample(rows, count)]


def drifted(specimen: dict) -> dict:
    """Tiny caps on thick stems in urban waste ground, and the opposite label."""
    changed = {**specimen, "cap-diameter": "0.5", "stem-width": "90", "habitat": "u"}
    changed["class"] = "e" if specimen["class"] == "p" else "p"
    return changed


class Api:
    """POST JSON to the deployed prediction API with its key."""

    def __init__(self, out: dict):
        self.url, self.key = str(out["api_local_url"]).rstrip("/"), out["api_key"]

    def post(self, path: str, body: dict) -> dict:
        request = urllib.request.Request(f"{self.url}/{path}", json.dumps(body).encode(),
                                         {"x-api-key": self.key,
                                          "content-type": "application/json"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())


def send(api: Api, specimens: list[dict]) -> dict:
    """Predict in batches, then send each specimen's label as feedback; counts of calls."""
    sent = {"predicted": 0, "edible_served": 0, "feedback": 0}
    for start in range(0, len(specimens), BATCH):
        batch = specimens[start : start + BATCH]
        features = [{k: v for k, v in s.items() if k != "class"} for s in batch]
        results = api.post("predict", {"specimens": features})["results"]
        for specimen, result in zip(batch, results):
            api.post("feedback", {"prediction_id": result["prediction_id"],
                                  "observed_class": specimen["class"]})  # fmt: skip
            sent["feedback"] += 1
            sent["edible_served"] += result.get("decision") == "edible"
        sent["predicted"] += len(batch)
    return sent


def run_monitor(out: dict) -> dict:
    payload = client("lambda").invoke(FunctionName=out["monitor_function_name"], Payload=b"{}")
    return json.loads(payload["Payload"].read())


def wait_for_alarm(out: dict, seconds: int) -> list[str]:
    """Names of the model alarms in ALARM, polling until one is (or time runs out)."""
    names, cloudwatch = list(out["model_alarm_names"].values()), client("cloudwatch")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        alarms = cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]
        firing = [a["AlarmName"] for a in alarms if a["StateValue"] == "ALARM"]
        if firing:
            return firing
        print("   alarms: " + ", ".join(f"{a['AlarmName']}={a['StateValue']}" for a in alarms))
        time.sleep(15)
    return []


def show_alerts(out: dict, seconds: int = 30) -> None:
    sqs, url, deadline = client("sqs"), out["alerts_inbox_url"], time.monotonic() + seconds
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                       WaitTimeSeconds=5).get("Messages", [])  # fmt: skip
        for message in messages:
            subject, text = alert_text(message)
            print(f"   SNS: {subject}\n        {text[:400]}")
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if messages:
            return


def show_retrain(out: dict) -> None:
    body = client("s3").get_object(Bucket=out["data_bucket_name"], Key=storage.RETRAIN_STATE)
    state = json.loads(body["Body"].read())
    print(
        f"   retrain state: last job {state.get('last_enqueued_at')} "
        f"reason={state.get('last_reason')} correlation={state.get('last_correlation_id')}"
    )
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=out["training_queue_url"], AttributeNames=["All"])["Attributes"]  # fmt: skip
    print(
        f"   training-jobs: {attributes.get('ApproximateNumberOfMessages')} waiting, "
        f"{attributes.get('ApproximateNumberOfMessagesNotVisible')} in progress"
    )


def show_gate(out: dict, before: str, seconds: int = 300) -> None:
    """The champion pointer after the worker's run (the gate promotes or keeps the champion)."""
    ssm, deadline = client("ssm"), time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = ssm.get_parameter(Name=out["champion_parameter_name"])["Parameter"]["Value"]
        if value != before:
            print(f"   gate promoted a new champion: {value}")
            return
        time.sleep(15)
    print(
        "   champion unchanged: the gate kept the champion, or the worker is still training "
        "(see `make logs SERVICE=trainer` and the SNS alerts above)"
    )


def main(argv=None) -> int:
    args = parse_args(argv)
    out, rng = outputs(), random.Random(args.seed)
    api = Api(out)
    before = client("ssm").get_parameter(Name=out["champion_parameter_name"])["Parameter"]["Value"]
    step(f"champion pointer: {before}")
    step(f"sending {args.healthy} healthy specimens with their true labels")
    print(f"   {send(api, load_specimens(args.healthy, rng))}")
    step(f"monitor on healthy traffic: {json.dumps(run_monitor(out))}")
    step(f"sending {args.drifted} drifted specimens with flipped labels")
    print(f"   {send(api, [drifted(s) for s in load_specimens(args.drifted, rng)])}")
    step(f"monitor on degraded traffic: {json.dumps(run_monitor(out))}")
    step(f"waiting up to {args.wait} s for a model alarm")
    firing = wait_for_alarm(out, args.wait)
    print(f"   in ALARM: {firing or 'none (see the report under monitoring/)'}")
    step("alerts received on alerts-inbox")
    show_alerts(out)
    step("retraining requested by the alarm")
    show_retrain(out)
    step("the gate's decision (training worker)")
    show_gate(out, before)
    return 0 if firing else 1


if __name__ == "__main__":
    sys.exit(main())
