"""Simulate a degrading model on the deployed stack, printing each step as it happens.

1. healthy specimens (data/secondary_data.csv) through POST /predict, true labels via /feedback
2. drifted specimens (six features moved, see DRIFT) with wrong-looking labels (every label flipped)
3. invoke the monitor, wait for a quality/drift alarm, show the SNS alert from alerts-inbox,
   the retrain function's state (training job enqueued) and the training queue / gate outcome.

Usage: python scripts/simulate.py [--healthy 200] [--drifted 200] [--wait SECONDS]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mushroom import storage  # noqa: E402
from scripts.localaws import client, first_alert, outputs, rest_alarms  # noqa: E402

BATCH = 50


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--healthy", type=int, default=200)
    parser.add_argument("--drifted", type=int, default=200)
    parser.add_argument(
        "--wait",
        type=int,
        default=None,
        help="seconds to wait for an alarm (default: the alarms' period + 60 s, "
        "since CloudWatch evaluates them once a period)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--keep-cooldown",
        action="store_true",
        help="leave the retrain cooldown as it is (by default the demo clears it)",
    )
    return parser.parse_args(argv)


def step(text: str) -> None:
    print(f"\n== {time.strftime('%H:%M:%S')} {text}", flush=True)


def load_specimens(count: int, rng: random.Random) -> list[dict]:
    """Random labelled rows of the data set (empty cells dropped)."""
    with open(ROOT / "data" / "secondary_data.csv", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    return [{k: v for k, v in row.items() if v != ""} for row in rng.sample(rows, count)]


# Six of the 20 features move (0.30 of them, above the drift alarm's default share of 0.25).
DRIFT = {
    "cap-diameter": "0.5",
    "stem-height": "40",
    "stem-width": "90",
    "cap-color": "l",
    "habitat": "u",
    "season": "w",
}


def drifted(specimen: dict) -> dict:
    """Tiny blue caps on tall thick stems in urban waste ground in winter, and the opposite
    label: both the drift and the quality alarms have something to see."""
    changed = {**specimen, **DRIFT}
    changed["class"] = "e" if specimen["class"] == "p" else "p"
    return changed


class Api:
    """POST JSON to the deployed prediction API with its key."""

    def __init__(self, out: dict):
        self.url, self.key = str(out["api_local_url"]).rstrip("/"), out["api_key"]

    def post(self, path: str, body: dict) -> dict:
        request = urllib.request.Request(
            f"{self.url}/{path}",
            json.dumps(body).encode(),
            {"x-api-key": self.key, "content-type": "application/json"},
        )
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
            api.post(
                "feedback",
                {"prediction_id": result["prediction_id"], "observed_class": specimen["class"]},
            )
            sent["feedback"] += 1
            sent["edible_served"] += result.get("decision") == "edible"
        sent["predicted"] += len(batch)
    return sent


def run_monitor(out: dict) -> dict:
    payload = client("lambda").invoke(FunctionName=out["monitor_function_name"], Payload=b"{}")
    return json.loads(payload["Payload"].read())


def alarm_period(out: dict) -> int:
    """The longest evaluation period of the model alarms, in seconds."""
    alarms = client("cloudwatch").describe_alarms(
        AlarmNames=list(out["model_alarm_names"].values())
    )
    return max((a["Period"] * a["EvaluationPeriods"] for a in alarms["MetricAlarms"]), default=300)


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


def inbox(out: dict, wanted, seconds: float) -> dict | None:
    """The first operators' notification for which ``wanted(alert)`` holds; None if none came in
    time. Other notifications are printed briefly and consumed."""
    return first_alert(
        out,
        wanted,
        seconds,
        on_other=lambda alert: print(f"   (other notification: {alert['subject']})"),
    )


def show_alert(out: dict, firing: list[str]) -> None:
    """The operators' notification of the alarm that fired."""
    alert = inbox(
        out, lambda a: a.get("AlarmName") in firing and a.get("NewStateValue") == "ALARM", 90
    )
    if alert:
        print(f"   SNS → operators: {alert['subject']}\n   reason: {alert.get('NewStateReason')}")
    else:
        print("   no ALARM notification arrived within 90 s (see `make alerts`)")


def retrain_state(out: dict) -> dict:
    try:
        body = client("s3").get_object(Bucket=out["data_bucket_name"], Key=storage.RETRAIN_STATE)
    except client("s3").exceptions.NoSuchKey:
        return {}
    return json.loads(body["Body"].read())


def show_retrain(out: dict, since: str, seconds: float = 60) -> None:
    """What the retrain Lambda did with the alarm: a training job, or the cooldown held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = retrain_state(out)
        if (state.get("last_enqueued_at") or "") >= since:
            print(
                f"   training job enqueued: reason={state.get('last_reason')} "
                f"correlation={state.get('last_correlation_id')}"
            )
            return
        time.sleep(3)
    print(
        f"   no new job: the cooldown holds (last job at {state.get('last_enqueued_at')}); "
        "see monitoring/retrain/state.json"
    )


def show_gate(out: dict, seconds: float = 420) -> None:
    """The gate's decision on the model retrained for the alarm, as operators are told."""
    decision = inbox(
        out,
        lambda a: "mushroom-classifier" in a["subject"]
        and any(str(r).startswith("alarm:") for r in a.get("reasons", [])),
        seconds,
    )
    if decision:
        print(f"   {decision['summary']}")
    else:
        print(f"   no decision within {seconds:.0f} s (see `make logs SERVICE=trainer`)")


def reset_demo(out: dict) -> None:
    """A clean start: model alarms at OK, no retrain cooldown, older notifications set aside."""
    rest_alarms(out["model_alarm_names"].values(), "simulate: reset")
    client("s3").put_object(
        Bucket=out["data_bucket_name"],
        Key=storage.RETRAIN_STATE,
        Body=json.dumps({"transitions": {}}),
    )
    time.sleep(2)  # let the OK notifications arrive, then set them aside with the older ones
    sqs, url, drained = client("sqs"), out["alerts_inbox_url"], 0
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        drained += len(batch)
    print(
        f"   (demo reset: model alarms set to OK, retrain cooldown cleared, {drained} older "
        "notifications set aside; --keep-cooldown skips this)"
    )


def main(argv=None) -> int:
    args = parse_args(argv)
    out, rng = outputs(), random.Random(args.seed)
    api = Api(out)
    started = datetime.now(timezone.utc).isoformat()
    pointer = client("ssm").get_parameter(Name=out["champion_parameter_name"])["Parameter"]["Value"]
    step(f"champion serving: version {json.loads(pointer).get('version')}")
    if not args.keep_cooldown:
        reset_demo(out)
    step(f"sending {args.healthy} healthy specimens with their true labels")
    print(f"   {send(api, load_specimens(args.healthy, rng))}")
    step(f"monitor on healthy traffic: {json.dumps(run_monitor(out))}")
    step(f"sending {args.drifted} drifted specimens with flipped labels")
    print(f"   {send(api, [drifted(s) for s in load_specimens(args.drifted, rng)])}")
    step(f"monitor on degraded traffic: {json.dumps(run_monitor(out))}")
    wait = alarm_period(out) + 60 if args.wait is None else args.wait
    step(f"waiting up to {wait} s for a model alarm (evaluated once per alarm period)")
    firing = wait_for_alarm(out, wait)
    print(f"   in ALARM: {firing or 'none (see the report under monitoring/)'}")
    if not firing:
        return 1
    step("operators notified (SNS alerts → alerts-inbox)")
    show_alert(out, firing)
    step("retraining requested by the alarm (retrain Lambda)")
    show_retrain(out, started)
    step("the gate's decision on the retrained model (training worker)")
    show_gate(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
