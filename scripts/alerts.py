"""Print the operators' alerts received on the alerts-inbox queue (SNS alerts -> SQS).

Usage: python scripts/alerts.py [--wait SECONDS] [--keep]
By default each printed alert is deleted from the inbox; --keep leaves it there.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.localaws import alert_text, client, outputs  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait", type=int, default=5, help="seconds to keep listening")
    parser.add_argument("--keep", action="store_true", help="do not delete printed alerts")
    return parser.parse_args(argv)


def show(subject: str, text: str) -> None:
    """One alert, with the CloudWatch alarm's fields when it is one."""
    try:
        alarm = json.loads(text)
    except ValueError:
        alarm = None
    if isinstance(alarm, dict) and "AlarmName" in alarm:
        print(
            f"[{alarm.get('StateChangeTime', '')}] {alarm['AlarmName']}: "
            f"{alarm.get('OldStateValue')} -> {alarm.get('NewStateValue')}"
        )
        print(f"    {alarm.get('NewStateReason', '')}")
        return
    print(f"{subject or '(no subject)'}\n    {text}")


def main(argv=None) -> int:
    args = parse_args(argv)
    url = outputs().get("alerts_inbox_url")
    if not url:
        raise SystemExit("no alerts_inbox_url output: deploy with alerts_inbox_enabled = true")
    sqs, seen, deadline = client("sqs"), 0, time.monotonic() + args.wait
    while True:
        left = max(0, min(20, int(deadline - time.monotonic())))
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=left
        ).get("Messages", [])
        for message in messages:
            show(*alert_text(message))
            if not args.keep:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        seen += len(messages)
        if not messages and time.monotonic() >= deadline:
            break
    print(f"{seen} alert(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
