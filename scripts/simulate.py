"""Simulate a safe rollout and a degrading model on the deployed stack, printing each step.

1. healthy specimens (data/secondary_data.csv) through POST /predict, true labels via /feedback
2. a worse challenger (trained on a copy whose classes are swapped) held in shadow beside the
   champion on live traffic, then retired by the monitor with its reason
3. a good challenger (trained on a sample of the real data) in shadow, then promoted
4. drifted specimens (six features moved, see DRIFT) with wrong-looking labels (every label
   flipped): a live-quality alarm fires soon after the promotion, the previous champion serves
   again on its own (switch-back), operators get the debugging report's link, a retraining
   is requested and the gate decides on it.

Usage: python scripts/simulate.py [--healthy 200] [--drifted 200] [--wait SECONDS] [--no-rollout]
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
from scripts import rollout_demo  # noqa: E402
from scripts.localaws import (  # noqa: E402
    client,
    collect_alerts,
    every_container_refreshed,
    first_alert,
    outputs,
    poll,
    rest_alarms,
    trainer_idle,
)

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
        "--no-rollout",
        dest="rollout",
        action="store_false",
        help="skip the two challengers in shadow (steps 2 and 3)",
    )
    parser.add_argument(
        "--train-rows",
        type=int,
        default=0,
        help="rows of the data set each challenger is trained on (0, the default: all of them, "
        "~70 s; fewer than all miss the gate's edible-confirmed threshold)",
    )
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
        return self.call(path, json.dumps(body).encode())

    def get(self, path: str) -> dict:
        return self.call(path)

    def call(self, path: str, data: bytes | None = None) -> dict:
        request = urllib.request.Request(
            f"{self.url}/{path}",
            data,
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


def is_alarm_message(alert: dict) -> bool:
    """The retrain function's message about an alarm: switch-back or not, and the report."""
    return alert["subject"].startswith(("Mushroom model switched back", "Mushroom alarm "))


def show_alert(out: dict, firing: list[str]) -> None:
    """The alarm's notification, then the retrain function's: the switch-back and the link to
    the debugging report."""
    alerts = collect_alerts(
        out,
        lambda a: is_alarm_message(a)
        or (a.get("AlarmName") in firing and a.get("NewStateValue") == "ALARM"),
        is_alarm_message,
        120,
        on_other=lambda alert: print(f"   (other notification: {alert['subject']})"),
    )
    for alert in alerts:
        if "AlarmName" in alert:
            print(
                f"   SNS → operators: {alert['subject']}\n   reason: {alert.get('NewStateReason')}"
            )
        else:
            print(f"   SNS → operators: {alert['subject']}")
            print(f"   switch-back: {alert.get('detail', '(not a live-quality alarm)')}")
            print(f"   debugging report: {alert.get('report_url')}")
    if not any(is_alarm_message(a) for a in alerts):
        print("   no message from the retrain function within 120 s (see `make alerts`)")


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


def shadow_stage(out: dict, api: Api, rng: random.Random, args, swapped: bool) -> bool:
    """Train a challenger, put it in shadow, send live traffic, let the monitor settle it;
    whether the monitor gave a verdict."""
    kind = "worse (classes swapped)" if swapped else "good (real labels)"
    rows = args.train_rows or "all the"
    step(f"training a {kind} challenger on {rows} rows of the data set, as the worker trains")
    outcome = rollout_demo.train_challenger(
        out, ROOT / "data" / "secondary_data.csv", args.train_rows, args.seed, swapped, print
    )
    print(f"   gate: version {outcome['version']} {outcome['decision']}: {outcome['reason']}")
    if outcome["decision"] != "challenger":
        return False
    version = outcome["version"]
    wait_for_model(api, lambda model: (model.get("challenger") or {}).get("model_version"), version)
    every_container_refreshed(out)
    step(f"live traffic: the champion answers, version {version} is scored beside it (shadow)")
    print(f"   {send(api, load_specimens(args.healthy, rng))}")
    period = int(out.get("shadow_period_seconds") or 0)
    step(f"the monitor compares them once version {version} has been in shadow {period} s")
    status = rollout_demo.wait_for_verdict(out, version, period + 240, print)
    print(f"   {status or 'no verdict in time (see make logs SERVICE=monitor)'}")
    return status is not None


def wait_for_model(api: Api, field, expected: str, seconds: float = 90) -> None:
    """Until GET /model's ``field(model)`` is ``expected`` (the function refreshes its pointer
    every champion_refresh_seconds)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and field(api.get("model")) != expected:
        time.sleep(3)
    print(f"   GET /model: {json.dumps(api.get('model'))[:300]}")


def main(argv=None) -> int:
    args = parse_args(argv)
    out, rng = outputs(), random.Random(args.seed)
    api = Api(out)
    started = datetime.now(timezone.utc).isoformat()
    step(f"champion serving: version {rollout_demo.serving(out).get('version')}")
    if not args.keep_cooldown:
        reset_demo(out)
    step("waiting for the training worker to finish what is queued (it would move the champion)")
    print(f"   idle: {bool(poll(lambda: trainer_idle(out), 900, 5))}")
    every_container_refreshed(out)  # every container serves the champion named above
    step(f"sending {args.healthy} healthy specimens with their true labels")
    print(f"   {send(api, load_specimens(args.healthy, rng))}")
    step(f"monitor on healthy traffic: {json.dumps(run_monitor(out))}")
    if args.rollout:
        shadow_stage(out, api, rng, args, swapped=True)
        if shadow_stage(out, api, rng, args, swapped=False):
            serving = rollout_demo.serving(out)["version"]
            wait_for_model(api, lambda model: model.get("model_version"), serving)
            every_container_refreshed(out)
    step(f"sending {args.drifted} drifted specimens with flipped labels")
    print(f"   {send(api, [drifted(s) for s in load_specimens(args.drifted, rng)])}")
    step(f"monitor on degraded traffic: {json.dumps(run_monitor(out))}")
    wait = alarm_period(out) + 60 if args.wait is None else args.wait
    step(f"waiting up to {wait} s for a model alarm (evaluated once per alarm period)")
    firing = wait_for_alarm(out, wait)
    print(f"   in ALARM: {firing or 'none (see the report under monitoring/)'}")
    if not firing:
        return 1
    step("operators notified (SNS alerts → alerts-inbox): the alarm, the switch-back, the report")
    show_alert(out, firing)
    wait_for_model(
        api, lambda model: model.get("model_version"), rollout_demo.serving(out)["version"]
    )
    step("retraining requested by the alarm (retrain Lambda)")
    show_retrain(out, started)
    step("the gate's decision on the retrained model (training worker)")
    show_gate(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
