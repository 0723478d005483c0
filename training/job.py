"""One training job as the worker runs it: gather data → pipeline → publish → tell operators.

The champion pointer goes to SSM (what the prediction Lambda reads); operators hear about every
promotion and every refusal on SNS. Failures propagate to the worker, which retries them.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from typing import Any

from adapters.clients import aws_client
from adapters.config import WorkerSettings
from adapters.observability import log
from mushroom import storage
from training import pipeline
from training.datasets import training_frames
from training.publish import ChampionPublisher
from training.request import TrainingRequest, check_stop

VERBS = {
    "promoted": "promoted to champion",
    "challenger": "in shadow as challenger",
    "refused": "refused by the gate",
}


def announcement(outcome: dict[str, Any], request: TrainingRequest) -> tuple[str, str]:
    """The operators' subject and message for a finished run."""
    registration = outcome["registration"]
    metrics = outcome["metrics"]
    figures = {
        key: metrics.get(key)
        for key in (
            "random_accuracy",
            "species_accuracy",
            "species_roc_auc",
            "served_false_edible_rate_unseen",
            "edible_confirmed_rate_known",
        )
    }
    verb = VERBS[registration["decision"]]
    subject = f"mushroom-classifier v{registration['version']} {verb}"
    held = outcome.get("feedback_held") or []
    message = {
        "summary": f"{subject}: {registration['reason']}",
        "reasons": request.reasons,
        "feedback_held_for_review": len(held),
        "datasets": outcome["lineage"]["dataset_ids"],
        "metrics": figures,
        "run_id": registration["run_id"],
    }
    return subject, json.dumps(message, indent=1, default=str)


class DependencyUnavailable(RuntimeError):
    """A service the job needs is not answering; the job fails fast and is retried later."""


def check_tracking_server(tracking_uri: str, timeout: float = 5.0) -> None:
    """Fail in seconds, not after training, when the MLflow server is down."""
    if not tracking_uri.startswith("http"):
        return
    try:
        with urllib.request.urlopen(f"{tracking_uri.rstrip('/')}/health", timeout=timeout):
            return
    except OSError as error:
        raise DependencyUnavailable(
            f"MLflow tracking server {tracking_uri} is not answering ({error}); "
            "the training request will be retried"
        ) from error


def run_job(
    request: TrainingRequest,
    stop: threading.Event,
    settings: WorkerSettings,
    s3=None,
    ssm=None,
    sns=None,
) -> dict[str, Any]:
    """Train on everything in the bucket; publish and announce the gate's decision (switch-backs
    are recorded in the registry first, so the gate compares with the restored champion)."""
    check_tracking_server(settings.tracking_uri)
    recorded = record_switch_backs(request, settings)
    verdicts = record_verdicts(request, settings)
    if not request.trains:
        return {"status": "recorded", "switch_backs": recorded, "verdicts": verdicts}
    s3 = s3 or aws_client("s3", settings)
    frames, note = training_frames(s3, settings.data_bucket)
    log("training data gathered", **note)
    if not frames:
        return _nothing_to_train(request, settings, sns)
    check_stop(stop)
    publisher = ChampionPublisher(ssm or aws_client("ssm", settings), settings.champion_parameter)
    artifacts = pipeline.local_artifacts(settings.tracking_uri)
    outcome = pipeline.run(
        frames,
        settings.tracking_uri,
        artifacts,
        publish=publisher,
        log=lambda line: log(line),
        checkpoint=lambda: check_stop(stop),
        # shadow needs a champion serving beside it: after a reset of the local cloud the
        # registry may still name one whose pointer is gone, and the new version serves alone
        shadow=settings.shadow_period_seconds > 0 and publisher.current() is not None,
    )
    held = hold_feedback(s3, settings.data_bucket, note, outcome["feedback_held"])
    subject, message = announcement(outcome, request)
    if settings.alerts_topic_arn:
        (sns or aws_client("sns", settings)).publish(
            TopicArn=settings.alerts_topic_arn, Subject=subject[:100], Message=message
        )
    registration = outcome["registration"]
    return {
        "status": registration["decision"],
        "version": registration["version"],
        "reason": registration["reason"],
        "training_seconds": outcome["training_seconds"],
        "data": note,
        "feedback_held": held,
    }


def hold_feedback(s3, bucket: str, note: dict, held: list[dict]) -> dict[str, Any] | None:
    """Reported labels the review did not trust, kept apart for a person to look at (one
    object per distinct feedback set, so a retried job writes the same key)."""
    if not held:
        return None
    key = storage.held_feedback_key(note.get("feedback_id") or "feedback")
    body = "".join(json.dumps(record, sort_keys=True, default=str) + "\n" for record in held)
    s3.put_object(
        Bucket=bucket, Key=key, Body=body.encode("utf-8"), ContentType="application/x-ndjson"
    )
    log("reported labels held for review", key=key, count=len(held), level="warning")
    return {"key": key, "count": len(held)}


def _nothing_to_train(request: TrainingRequest, settings: WorkerSettings, sns) -> dict:
    """No processed dataset yet: a finished request (not a failure to retry), and said so."""
    text = (
        "Training requested but the data bucket holds no processed dataset yet: upload a "
        "labelled CSV to raw/ first."
    )
    if settings.alerts_topic_arn:
        detail = {"message": text, "reasons": request.reasons}
        (sns or aws_client("sns", settings)).publish(
            TopicArn=settings.alerts_topic_arn,
            Subject="Mushroom training: nothing to train on",
            Message=json.dumps(detail, indent=1),
        )
    log(text, level="warning", reasons=request.reasons)
    return {"status": "no-data", "reason": text}


def record_switch_backs(request: TrainingRequest, settings: WorkerSettings) -> list[str]:
    """The registry side of each switch-back the request carries (training/switch_back.py)."""
    if not request.switch_backs:
        return []
    from mlflow import MlflowClient

    from training.switch_back import record_switch_back

    client = MlflowClient(settings.tracking_uri)
    return [record_switch_back(client, record) for record in request.switch_backs]


def record_verdicts(request: TrainingRequest, settings: WorkerSettings) -> list[str]:
    """The registry side of each challenger verdict the request carries (training/challenger.py)."""
    if not request.verdicts:
        return []
    from mlflow import MlflowClient

    from training.challenger import record_verdict

    client = MlflowClient(settings.tracking_uri)
    return [record_verdict(client, verdict) for verdict in request.verdicts]


def train_for_request(request: TrainingRequest, stop: threading.Event) -> dict[str, Any]:
    """The worker's trainer: settings from the environment, AWS clients from them."""
    return run_job(request, stop, WorkerSettings.from_env())
