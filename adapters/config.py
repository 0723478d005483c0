"""The configuration of every component, read from environment variables once at start.

One frozen dataclass per component; each field names its variable, default and bounds
(:func:`adapters.environment.variable`), and a bad value fails the function's init with a
:class:`mushroom.errors.ConfigError` naming every bad variable. Logic receives the object and
never reads ``os.environ`` itself.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from adapters.environment import FromEnviron, flag, from_environ, one_of, variable
from mushroom import storage

MIB = 1024 * 1024
GIB = 1024 * MIB
DAY_SECONDS = 86_400


def _folder(prefix: str) -> str | None:
    return None if prefix.endswith("/") else "must end with '/'"


# ------------------------------------------------------------ ingest (lambdas/ingest)
# Sized for a 1,024 MB function (docs/ingest.md). Measured, rows in chunks of 50k: peak RSS
# ~ 280 MB + 1.35 x the CSV size (28 MB -> 316 MB, 102 MB -> 416 MB), ~0.35 s per MB of CSV.
# 200 MB of CSV text peaks near 550 MB (half the function) and takes ~70 s (timeout 300 s).
DEFAULT_MAX_OBJECT_BYTES = 200 * MIB
DEFAULT_MAX_CONTENT_BYTES = 200 * MIB
DEFAULT_CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class IngestConfig(FromEnviron):
    """The ingest function: where data lives, where jobs and alerts go, how much it reads."""

    data_bucket: str = variable("DATA_BUCKET")
    training_queue_url: str = variable("TRAINING_QUEUE_URL")
    alerts_topic_arn: str = variable("ALERTS_TOPIC_ARN")
    raw_prefix: str = variable("RAW_PREFIX", "raw/", rule=_folder)
    # the uploaded object (compressed or not)
    max_object_bytes: int = variable(
        "MAX_OBJECT_BYTES", DEFAULT_MAX_OBJECT_BYTES, parse=int, minimum=1, maximum=4096 * MIB
    )
    # the CSV text once decompressed
    max_content_bytes: int = variable(
        "MAX_CONTENT_BYTES", DEFAULT_MAX_CONTENT_BYTES, parse=int, minimum=1, maximum=4096 * MIB
    )
    chunk_rows: int = variable(
        "CHUNK_ROWS", DEFAULT_CHUNK_ROWS, parse=int, minimum=100, maximum=1_000_000
    )


# ------------------------------------------------------------ prediction API (lambdas/predict)
@dataclass(frozen=True)
class PredictConfig(FromEnviron):
    """The predict function: champion pointer, data bucket, refresh cadence and limits."""

    data_bucket: str = variable("DATA_BUCKET")
    champion_parameter: str = variable("CHAMPION_PARAMETER", "/mushroom/champion")
    # the pointer is re-read at most this often
    champion_refresh_seconds: int = variable(
        "CHAMPION_REFRESH_SECONDS", 30, parse=int, minimum=0, maximum=DAY_SECONDS
    )
    # larger request bodies get 413 before they are parsed
    max_body_bytes: int = variable("MAX_BODY_BYTES", MIB, parse=int, minimum=1024, maximum=6 * MIB)
    # connect/read timeout of SSM and S3 calls
    aws_timeout_seconds: int = variable("AWS_TIMEOUT_SECONDS", 2, parse=int, minimum=1, maximum=60)
    # Batch files above this are refused with a report, not read (S3's largest object: 5 TiB).
    max_batch_bytes: int = variable(
        "MAX_BATCH_BYTES", 4 * GIB, parse=int, minimum=1024, maximum=5 * 1024 * GIB
    )
    # What one invocation scores: a larger file is split into parts of at most this, scored by
    # the state machine below (a gzip file cannot be split: above this, it is refused). Rows are
    # scored in blocks, so memory stays flat; the limit keeps a part inside the timeout (a
    # 30 MiB file, 708k rows, scored in 26 s). S3 copies parts of at most 5 GiB.
    batch_split_bytes: int = variable(
        "BATCH_SPLIT_BYTES", 32 * MIB, parse=int, minimum=1024, maximum=5 * GIB
    )
    # The batch state machine's ARN (terraform/batch_fanout.tf); empty: files above
    # BATCH_SPLIT_BYTES are refused.
    batch_state_machine: str = variable("BATCH_STATE_MACHINE", "")
    # The SecureString key of prediction ids (terraform/prediction_ids.tf); by default beside
    # the champion pointer: /<project>/champion -> /<project>/prediction-id-key.
    prediction_key_parameter: str = variable("PREDICTION_KEY_PARAMETER", "")
    # The Firehose delivery stream of the prediction log (terraform/prediction_log.tf); empty:
    # each request's predictions are written to S3 directly (no stream deployed).
    prediction_stream: str = variable("PREDICTION_STREAM", "")
    # feedback for an older prediction gets 410
    feedback_max_age_days: int = variable(
        "FEEDBACK_MAX_AGE_DAYS", 90, parse=int, minimum=1, maximum=3650
    )

    @property
    def key_parameter(self) -> str:
        """The key parameter's name, as set or next to the champion pointer."""
        prefix = self.champion_parameter.rsplit("/", 1)[0]
        return self.prediction_key_parameter or f"{prefix}/prediction-id-key"


# ------------------------------------------------------------ monitor (lambdas/monitor)
@dataclass(frozen=True)
class MonitorConfig(FromEnviron):
    """Where predictions, feedback and the champion live; the window and the drift rule."""

    data_bucket: str = variable("DATA_BUCKET")
    champion_parameter: str = variable("CHAMPION_PARAMETER")
    metrics_namespace: str = variable("METRICS_NAMESPACE", "Mushroom")
    window_minutes: int = variable("WINDOW_MINUTES", 60, parse=int, minimum=1)
    drift_threshold: float = variable("DRIFT_THRESHOLD", 0.2, parse=float, minimum=0)
    min_drift_specimens: int = variable("MIN_DRIFT_SPECIMENS", 20, parse=int, minimum=0)
    min_labelled: int = variable("MIN_LABELLED", 20, parse=int, minimum=0)
    # Predictions a run reads at most, the API's first (a huge batch file in the window would
    # otherwise cost minutes; memory is bounded either way)
    max_specimens: int = variable("MAX_SPECIMENS", 200_000, parse=int, minimum=1)
    # A challenger in shadow (mushroom/shadow.py): how long before the monitor decides, on how
    # many specimens at least, what agreement it needs, how much slower its booster may be;
    # where the verdict goes.
    shadow_period_seconds: int = variable(
        "SHADOW_PERIOD_SECONDS", 0, parse=int, minimum=0, maximum=30 * DAY_SECONDS
    )
    shadow_min_scored: int = variable("SHADOW_MIN_SCORED", 100, parse=int, minimum=1)
    shadow_min_agreement: float = variable(
        "SHADOW_MIN_AGREEMENT", 0.9, parse=float, minimum=0, maximum=1
    )
    shadow_max_latency_ratio: float = variable(
        "SHADOW_MAX_LATENCY_RATIO", 2.0, parse=float, minimum=1
    )
    training_queue_url: str = variable("TRAINING_QUEUE_URL", "")
    alerts_topic_arn: str = variable("ALERTS_TOPIC_ARN", "")


# ------------------------------------------------------------ retrain (lambdas/retrain)
@dataclass(frozen=True)
class RetrainConfig(FromEnviron):
    """Where jobs go, where the cooldown state lives, and how long the cooldown lasts."""

    training_queue_url: str = variable("TRAINING_QUEUE_URL")
    data_bucket: str = variable("DATA_BUCKET")
    cooldown_seconds: int = variable("COOLDOWN_SECONDS", 3600, parse=int, minimum=0)
    state_key: str = variable("RETRAIN_STATE_KEY", storage.RETRAIN_STATE)
    # The switch-back (mushroom/switch_back.py): which alarms may put the previous champion
    # back, within how long after a promotion (0: never), where the pointer and alerts are.
    champion_parameter: str = variable("CHAMPION_PARAMETER", "/mushroom/champion")
    alerts_topic_arn: str = variable("ALERTS_TOPIC_ARN", "")
    switch_back_alarms: tuple[str, ...] = variable(
        "SWITCH_BACK_ALARMS", (), parse=lambda text: tuple(filter(None, text.split(",")))
    )
    switch_back_window_seconds: int = variable(
        "SWITCH_BACK_WINDOW_SECONDS", 0, parse=int, minimum=0, maximum=30 * DAY_SECONDS
    )

    @property
    def cooldown(self) -> timedelta:
        """The cooldown as a duration."""
        return timedelta(seconds=self.cooldown_seconds)

    @property
    def switch_back_window(self) -> timedelta:
        """How long after a promotion a live-quality alarm switches back."""
        return timedelta(seconds=self.switch_back_window_seconds)


# ------------------------------------------------------------ training worker (training/)
# Locally, variables not set come from .state/outputs.json, the Terraform outputs that
# `make deploy` writes; on AWS the task definition sets them.
OUTPUTS = Path(__file__).resolve().parents[1] / ".state" / "outputs.json"
SQS_MAX_SECONDS = 43_200  # the longest visibility timeout SQS allows


def terraform_outputs(path: Path | None = None) -> dict[str, Any]:
    """Terraform outputs as plain values ({} when not deployed locally)."""
    path = path or OUTPUTS
    if not path.exists():
        return {}
    return {key: item.get("value") for key, item in json.loads(path.read_text()).items()}


class NotDeployed(RuntimeError):
    """The queue the worker reads does not exist yet (before ``make deploy``)."""


@dataclass(frozen=True)
class WorkerSettings:
    """Where the worker reads requests and reports outcomes, and how it paces itself."""

    queue_url: str = variable("TRAINING_QUEUE_URL", output="training_queue_url")
    alerts_topic_arn: str | None = variable("ALERTS_TOPIC_ARN", None, output="alerts_topic_arn")
    data_bucket: str | None = variable("DATA_BUCKET", None, output="data_bucket_name")
    champion_parameter: str = variable(
        "CHAMPION_PARAMETER", "/mushroom/champion", output="champion_parameter_name"
    )
    tracking_uri: str = variable("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    region: str = variable("AWS_REGION", "us-east-1", also=("AWS_DEFAULT_REGION",))
    endpoint_url: str | None = variable("AWS_ENDPOINT_URL", None)
    visibility_seconds: int = variable(
        "TRAINING_VISIBILITY_SECONDS", 120, parse=int, minimum=1, maximum=SQS_MAX_SECONDS
    )
    wait_seconds: int = variable(
        "TRAINING_WAIT_SECONDS", 20, parse=int, minimum=0, maximum=20  # SQS long poll
    )
    coalesce_limit: int = 100
    # A version that passes the gate while a champion serves is first a challenger in shadow
    # for this long (0: promoted at once); the monitor then promotes or retires it.
    shadow_period_seconds: int = variable(
        "SHADOW_PERIOD_SECONDS",
        0,
        parse=int,
        minimum=0,
        maximum=30 * DAY_SECONDS,
        output="shadow_period_seconds",
    )
    max_receive_count: int = variable(
        "TRAINING_MAX_RECEIVE_COUNT",
        3,
        parse=int,
        minimum=1,
        maximum=1000,
        output="training_max_receive_count",
    )
    retry_seconds: float = 5.0
    # a failed request reappears after this × its attempt
    retry_backoff_seconds: int = variable(
        "TRAINING_RETRY_BACKOFF_SECONDS", 10, parse=int, minimum=0, maximum=SQS_MAX_SECONDS
    )

    @classmethod
    def from_env(cls) -> "WorkerSettings":
        """Read and check the settings; a missing queue URL says how to get one."""
        outputs = terraform_outputs()
        if not (os.environ.get("TRAINING_QUEUE_URL") or outputs.get("training_queue_url")):
            raise NotDeployed(
                "TRAINING_QUEUE_URL is not set and .state/outputs.json has no "
                "training_queue_url: run `make deploy` or set the variable"
            )
        return from_environ(cls, os.environ, outputs)


# ------------------------------------------------------------ scripts and tests (scripts/)
@dataclass(frozen=True)
class StackAccess(FromEnviron):
    """How the scripts reach the deployed stack: LocalStack and MLflow locally, or AWS."""

    localstack_port: int = variable("LOCALSTACK_PORT", 4566, parse=int, minimum=1, maximum=65_535)
    mlflow_port: int = variable("MLFLOW_PORT", 5000, parse=int, minimum=1, maximum=65_535)
    endpoint_url: str = variable("AWS_ENDPOINT_URL", "")  # LocalStack's gateway when set
    region: str = variable("AWS_DEFAULT_REGION", "us-east-1")
    deploy_target: str = variable("DEPLOY_TARGET", "local", parse=one_of("local", "aws"))
    tracking_uri: str = variable("MLFLOW_TRACKING_URI", "")  # another MLflow server when set

    @property
    def localstack_url(self) -> str:
        """AWS_ENDPOINT_URL, else 127.0.0.1:LOCALSTACK_PORT."""
        return self.endpoint_url or f"http://127.0.0.1:{self.localstack_port}"

    @property
    def mlflow_url(self) -> str:
        return f"http://127.0.0.1:{self.mlflow_port}"

    @property
    def mlflow_tracking_uri(self) -> str:
        """MLFLOW_TRACKING_URI, else the local server at 127.0.0.1:MLFLOW_PORT."""
        return self.tracking_uri or self.mlflow_url

    @property
    def registry_environment(self) -> dict[str, str]:
        """What an MLflow client in a script or test needs to store artifacts in LocalStack."""
        return {
            "MLFLOW_S3_ENDPOINT_URL": self.localstack_url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": self.region,
        }


@dataclass(frozen=True)
class BenchSettings(FromEnviron):
    """What `make bench` leaves out: the MLflow peers of the prediction figures take ~1 min."""

    skip_mlflow: bool = variable("BENCH_SKIP_MLFLOW", False, parse=flag)
