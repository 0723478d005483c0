"""Send failed events back to where they came from, once their cause is fixed.

failed-events queue: each message is a Lambda on-failure record; its original event
(requestPayload) is invoked again, asynchronously, on the function that failed it
(requestContext.functionArn), then the record is deleted. training-jobs DLQ: an SQS message
move task returns the jobs to the training-jobs queue. Nothing is deleted before it was handed
over: a record that cannot be read, or whose invoke is refused, stays in the queue.

Usage: python scripts/redrive.py [--only failed-events|training-jobs] [--function NAME]
                                  [--dry-run] [--limit N]
Queue URLs and ARNs come from .state/outputs.json (make deploy). DEPLOY_TARGET=aws (as for
scripts/deploy.sh) uses your AWS credentials instead of LocalStack.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.config import StackAccess  # noqa: E402
from scripts import localaws  # noqa: E402

QUEUES = ("failed-events", "training-jobs")
HANDOVER_SECONDS = 60  # a record is invisible this long while its event is being re-invoked
MOVE_TASK_SECONDS = 120  # how long to wait for the training-jobs move task to finish
CLOCK_SKEW_MS = 5000  # a move task that started this long before our request is still ours


@dataclass(frozen=True)
class FailedEvent:
    """One Lambda on-failure record: which function failed which event, and why."""

    function_arn: str
    payload: dict
    condition: str
    attempts: int
    request_id: str

    @property
    def function_name(self) -> str:
        """``mushroom-ingest`` from ``arn:aws:lambda:…:function:mushroom-ingest[:$LATEST]``."""
        return self.function_arn.split(":function:", 1)[-1].split(":", 1)[0]


def failed_event(body: str) -> FailedEvent:
    """Parse a destination record; ValueError when the message is not one."""
    try:
        record = json.loads(body)
        context = record["requestContext"]
        return FailedEvent(
            function_arn=context["functionArn"],
            payload=record["requestPayload"],
            condition=context.get("condition", "unknown"),
            attempts=int(context.get("approximateInvokeCount", 0)),
            request_id=context.get("requestId", ""),
        )
    except (ValueError, TypeError, KeyError) as error:
        raise ValueError(f"not a Lambda on-failure record ({error!r}): {body[:200]}") from error


@dataclass
class Tally:
    """What a redrive did, by function; what it left in the queue, and why."""

    redriven: dict[str, int] = field(default_factory=dict)
    left: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # receipt handles of the records not handed over

    def add(self, function: str) -> None:
        self.redriven[function] = self.redriven.get(function, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.redriven.values())


@dataclass(frozen=True)
class Redrive:
    """Where failed events wait, who receives them again, and which of them to send."""

    sqs: object
    lambda_: object
    queue_url: str
    only_function: str | None = None
    dry_run: bool = False
    limit: int | None = None


def redrive_failed_events(run: Redrive) -> Tally:
    """Re-invoke each failed event asynchronously on its function; delete it once accepted.

    The records it does not hand over (skipped, unreadable, refused, listed by a dry run) are
    made visible again at the end, for the next run.
    """
    tally = Tally()
    try:
        while run.limit is None or tally.total < run.limit:
            batch = run.sqs.receive_message(
                QueueUrl=run.queue_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=1,
                VisibilityTimeout=HANDOVER_SECONDS,
            ).get("Messages", [])
            if not batch:
                break
            for message in batch:
                handover(run, message, tally)
    finally:
        for handle in tally.kept:
            run.sqs.change_message_visibility(
                QueueUrl=run.queue_url, ReceiptHandle=handle, VisibilityTimeout=0
            )
    return tally


def handover(run: Redrive, message: dict, tally: Tally) -> None:
    """One record: invoke its event again (202: Lambda queued it), then delete the record."""
    event = readable(message, tally)
    limited = run.limit is not None and tally.total >= run.limit
    if event is None or limited or run.only_function not in (None, event.function_name):
        tally.kept.append(message["ReceiptHandle"])
        return
    if run.dry_run:
        tally.kept.append(message["ReceiptHandle"])
        tally.add(event.function_name)
        print(
            f"would redrive to {event.function_name}: {event.condition} after "
            f"{event.attempts} attempts (request {event.request_id})"
        )
        return
    answer = run.lambda_.invoke(
        FunctionName=event.function_arn,
        InvocationType="Event",
        Payload=json.dumps(event.payload).encode(),
    )
    if answer.get("StatusCode") != 202:
        tally.kept.append(message["ReceiptHandle"])
        tally.left.append(f"{event.function_name} refused the event: {answer.get('StatusCode')}")
        return
    run.sqs.delete_message(QueueUrl=run.queue_url, ReceiptHandle=message["ReceiptHandle"])
    tally.add(event.function_name)


def readable(message: dict, tally: Tally) -> FailedEvent | None:
    """The record's failed event, or None (and the reason in the tally) when it is not one."""
    try:
        return failed_event(message["Body"])
    except ValueError as error:
        tally.left.append(str(error))
        return None


def redrive_training_jobs(
    sqs, dlq_url: str, dlq_arn: str, queue_arn: str, dry_run: bool = False
) -> int:
    """Move the training-jobs DLQ back to the training-jobs queue; return how many moved.

    The destination is named: a job put in the DLQ by hand has no source queue to return to.
    """
    names = ["ApproximateNumberOfMessages"]
    attributes = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=names)["Attributes"]
    waiting = int(attributes["ApproximateNumberOfMessages"])
    if waiting == 0 or dry_run:
        return waiting
    started_ms = int(time.time() * 1000) - CLOCK_SKEW_MS
    sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=queue_arn)
    deadline = time.monotonic() + MOVE_TASK_SECONDS
    while time.monotonic() < deadline:
        task = latest_move_task(sqs, dlq_arn)
        if task and task.get("StartedTimestamp", 0) >= started_ms:
            if task["Status"] == "COMPLETED":
                return int(task.get("ApproximateNumberOfMessagesMoved", waiting))
            if task["Status"] in ("FAILED", "CANCELLED"):
                reason = task.get("FailureReason")
                raise RuntimeError(f"the move task ended {task['Status']}: {reason}")
        time.sleep(1)
    raise TimeoutError(f"the move task of {dlq_arn} did not finish in {MOVE_TASK_SECONDS} s")


def latest_move_task(sqs, dlq_arn: str) -> dict | None:
    """The newest message move task of the queue (None before it has started)."""
    results = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=1)["Results"]
    return results[0] if results else None


def client(service: str):
    """A boto3 client for LocalStack, or for AWS with DEPLOY_TARGET=aws."""
    if StackAccess.from_env().deploy_target == "aws":
        import boto3

        return boto3.client(service)
    return localaws.client(service)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=QUEUES, help="redrive one queue (default: both)")
    parser.add_argument(
        "--function", help="failed events of this function only, e.g. mushroom-ingest"
    )
    parser.add_argument("--dry-run", action="store_true", help="list, change nothing")
    parser.add_argument("--limit", type=int, help="at most this many failed events")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args, out = parse_args(argv), localaws.outputs()
    sqs, verb = client("sqs"), "would redrive" if args.dry_run else "redriven"
    left = []
    if args.only in (None, "failed-events"):
        run = Redrive(
            sqs,
            client("lambda"),
            out["failed_events_queue_url"],
            args.function,
            args.dry_run,
            args.limit,
        )
        tally = redrive_failed_events(run)
        print(f"failed events {verb}: {tally.total} {json.dumps(tally.redriven)}")
        left = tally.left
    if args.only in (None, "training-jobs"):
        dlq = out["training_dlq_url"], out["training_dlq_arn"], out["training_queue_arn"]
        moved = redrive_training_jobs(sqs, *dlq, args.dry_run)
        print(f"training jobs {verb}: {moved}")
    for reason in left:
        print(f"left in the queue: {reason}", file=sys.stderr)
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
