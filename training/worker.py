"""The training worker: long-polls ``training-jobs`` and turns waiting requests into one run.

At-least-once delivery: messages stay invisible while a run is under way (a heartbeat extends
their visibility), are deleted only after the outcome is recorded, and a failed run leaves them
to be redelivered until SQS moves them to the dead-letter queue. SIGTERM stops between steps
and hands the messages back at once.

Usage: python -m training.worker            (loop)
       python -m training.worker --once     (one poll)
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any, Callable

from adapters.clients import aws_client
from adapters.config import NotDeployed, WorkerSettings
from adapters.observability import log
from mushroom.errors import NotEnoughDataError
from training.request import Interrupted, TrainingRequest

MAX_BATCH = 10


Trainer = Callable[[TrainingRequest, threading.Event], dict[str, Any]]


class Heartbeat(threading.Thread):
    """Keeps a run's messages invisible by extending their visibility timeout periodically."""

    def __init__(self, sqs, queue_url: str, receipts: list[str], visibility: int):
        super().__init__(daemon=True, name="visibility-heartbeat")
        self.sqs, self.queue_url, self.receipts = sqs, queue_url, receipts
        self.visibility, self.done = visibility, threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.visibility / 3):
            self.extend(self.visibility)

    def stop(self, visible_in: int | None = None) -> None:
        """End the heartbeat; optionally make the messages visible again after a delay."""
        self.done.set()
        self.join()
        if visible_in is not None:
            self.extend(visible_in)

    def extend(self, seconds: int) -> None:
        entries = [
            {"Id": str(i), "ReceiptHandle": r, "VisibilityTimeout": seconds}
            for i, r in enumerate(self.receipts)
        ]
        for start in range(0, len(entries), MAX_BATCH):
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url, Entries=entries[start : start + MAX_BATCH]
            )


class Worker:
    """Polls the queue, runs the trainer on coalesced requests, acknowledges outcomes."""

    def __init__(self, settings: WorkerSettings, trainer: Trainer, sqs=None, sns=None):
        self.settings, self.trainer = settings, trainer
        self.sqs = sqs or aws_client("sqs", settings)
        self.sns = sns or aws_client("sns", settings)
        self.stop = threading.Event()

    def receive(self) -> list[dict]:
        """Long-poll for a message, then gather whatever else is already waiting."""
        messages = self._receive(self.settings.wait_seconds)
        while messages and len(messages) < self.settings.coalesce_limit:
            more = self._receive(1)
            if not more:
                break
            messages += more
        return messages

    def _receive(self, wait: int) -> list[dict]:
        response = self.sqs.receive_message(
            QueueUrl=self.settings.queue_url,
            MaxNumberOfMessages=MAX_BATCH,
            WaitTimeSeconds=wait,
            VisibilityTimeout=self.settings.visibility_seconds,
            AttributeNames=["ApproximateReceiveCount"],
        )
        return response.get("Messages", [])

    def poll_once(self) -> dict[str, Any] | None:
        """One poll: None when the queue was empty, else the run's outcome."""
        messages = self.receive()
        if not messages:
            return None
        request = TrainingRequest.from_messages(messages)
        log(
            "training run requested",
            reasons=request.reasons,
            datasets=request.dataset_ids,
            messages=len(messages),
            attempt=request.attempt,
        )
        return self.run(request)

    def run(self, request: TrainingRequest) -> dict[str, Any]:
        """Train with the messages kept invisible; acknowledge, hand back or let them retry."""
        heartbeat = Heartbeat(
            self.sqs, self.settings.queue_url, request.receipts, self.settings.visibility_seconds
        )
        heartbeat.start()
        try:
            outcome = self.trainer(request, self.stop)
        except Interrupted:
            heartbeat.stop(visible_in=0)  # hand the messages back for another worker right away
            log("stopped between steps; messages handed back", reasons=request.reasons)
            return {"status": "interrupted"}
        except NotEnoughDataError as error:  # the same request would fail the same way
            heartbeat.stop()
            self.acknowledge(request)
            return self.not_trained(request, error)
        except Exception as error:  # noqa: BLE001 - any failure must be reported, then retried
            heartbeat.stop(visible_in=self.settings.retry_backoff_seconds * request.attempt)
            return self.failed(request, error)
        heartbeat.stop()
        self.acknowledge(request)
        return outcome

    def acknowledge(self, request: TrainingRequest) -> None:
        """Delete the messages: the outcome is recorded (registry, pointer, notifications)."""
        entries = [{"Id": str(i), "ReceiptHandle": r} for i, r in enumerate(request.receipts)]
        for start in range(0, len(entries), MAX_BATCH):
            self.sqs.delete_message_batch(
                QueueUrl=self.settings.queue_url, Entries=entries[start : start + MAX_BATCH]
            )

    def not_trained(self, request: TrainingRequest, error: NotEnoughDataError) -> dict[str, Any]:
        """Tell operators why nothing was trained; the request is done (not retried)."""
        log("training not run", level="warning", reason=str(error), reasons=request.reasons)
        self.notify("Mushroom training not run: too little data", str(error), request)
        return {"status": "not_trained", "reason": str(error)}

    def failed(self, request: TrainingRequest, error: Exception) -> dict[str, Any]:
        """Tell operators; leave the messages to reappear (and reach the DLQ when retries end)."""
        final = request.attempt >= self.settings.max_receive_count
        fate = (
            "moves to the dead-letter queue"
            if final
            else f"will be retried (attempt {request.attempt} of "
            f"{self.settings.max_receive_count})"
        )
        message = f"Training failed: {type(error).__name__}: {error}. The request {fate}."
        log(
            "training failed",
            level="error",
            error=str(error),
            attempt=request.attempt,
            final=final,
            reasons=request.reasons,
        )
        self.notify("Mushroom training failed", message, request)
        return {"status": "failed", "error": str(error), "final_attempt": final}

    def notify(self, subject: str, message: str, request: TrainingRequest) -> None:
        """Publish to the operators' topic; a notification failure never hides the outcome."""
        if not self.settings.alerts_topic_arn:
            return
        detail = {
            "message": message,
            "reasons": request.reasons,
            "dataset_ids": request.dataset_ids,
            "correlation_ids": request.correlation_ids,
        }
        try:
            self.sns.publish(
                TopicArn=self.settings.alerts_topic_arn,
                Subject=subject[:100],
                Message=json.dumps(detail, indent=1),
            )
        except Exception as error:  # noqa: BLE001
            log("could not notify operators", level="error", error=str(error))

    def serve_forever(self) -> None:
        """Poll until SIGTERM/SIGINT."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stop.set())
        log("training worker polling", queue=self.settings.queue_url)
        while not self.stop.is_set():
            try:
                self.poll_once()
            except Exception as error:  # noqa: BLE001 - e.g. the queue briefly unreachable
                log("poll failed; retrying", level="warning", error=str(error))
                self.stop.wait(self.settings.retry_seconds)
        log("training worker stopped")


def default_trainer() -> Trainer:
    """The real pipeline (imported lazily: the worker's plumbing is testable without it)."""
    from training.job import train_for_request

    return train_for_request


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Training worker consuming training-jobs.")
    parser.add_argument("--once", action="store_true", help="poll once, then exit")
    return parser.parse_args(argv)


def wait_for_deploy(poll_seconds: float = 5.0) -> WorkerSettings:
    """Settings once the stack is deployed (``make up`` starts the worker before the deploy)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    announced = False
    while True:
        try:
            return WorkerSettings.from_env()
        except NotDeployed as error:
            if not announced:
                log("waiting for the training queue", reason=str(error))
                announced = True
            if stop.wait(poll_seconds):
                raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = WorkerSettings.from_env() if args.once else wait_for_deploy()
    worker = Worker(settings, default_trainer())
    if args.once:
        outcome = worker.poll_once()
        print(json.dumps(outcome or {"status": "queue empty"}, default=str))
        return 0 if not outcome or outcome.get("status") != "failed" else 1
    worker.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
