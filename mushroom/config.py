"""Typed configuration of each adapter, read from environment variables once at cold start.

One frozen dataclass per adapter; every class validates all its variables at once and raises
:class:`mushroom.errors.ConfigError` listing each problem. Logic receives the object and never
reads ``os.environ`` itself. (Standard library only: the domain layer has no dependencies.)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from mushroom.errors import ConfigError

MIB = 1024 * 1024


class _Reader:
    """Reads variables from a mapping and collects every problem instead of stopping at one."""

    def __init__(self, environ: Mapping[str, str]):
        self.environ, self.problems = environ, []

    def text(self, name: str, default: str | None = None) -> str:
        value = (self.environ.get(name) or "").strip() or default
        if not value:
            self.problems.append(f"{name} is required")
        return value or ""

    def integer(self, name: str, default: int, minimum: int, maximum: int) -> int:
        raw = (self.environ.get(name) or "").strip()
        try:
            value = int(raw) if raw else default
        except ValueError:
            self.problems.append(f"{name} must be an integer, got {raw!r}")
            return default
        if not minimum <= value <= maximum:
            self.problems.append(f"{name} must be in [{minimum}, {maximum}], got {value}")
        return value

    def check(self) -> None:
        if self.problems:
            raise ConfigError(self.problems)


# ------------------------------------------------------------ ingest (lambdas/ingest)
# Sized for a 1,024 MB function (docs/ingest.md). Measured, rows in chunks of 50k: peak RSS
# ~ 280 MB + 1.35 x the CSV size (28 MB -> 316 MB, 102 MB -> 416 MB), ~0.35 s per MB of CSV.
# 200 MB of CSV text peaks near 550 MB (half the function) and takes ~70 s (timeout 300 s).
DEFAULT_MAX_OBJECT_BYTES = 200 * MIB
DEFAULT_MAX_CONTENT_BYTES = 200 * MIB
DEFAULT_CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class IngestConfig:
    """The ingest function: where data lives, where jobs and alerts go, how much it reads."""

    data_bucket: str
    training_queue_url: str
    alerts_topic_arn: str
    raw_prefix: str = "raw/"
    max_object_bytes: int = DEFAULT_MAX_OBJECT_BYTES  # the uploaded object (compressed or not)
    max_content_bytes: int = DEFAULT_MAX_CONTENT_BYTES  # the CSV text once decompressed
    chunk_rows: int = DEFAULT_CHUNK_ROWS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "IngestConfig":
        """Read and validate DATA_BUCKET, TRAINING_QUEUE_URL, ALERTS_TOPIC_ARN and the limits."""
        read = _Reader(os.environ if environ is None else environ)
        config = cls(
            data_bucket=read.text("DATA_BUCKET"),
            training_queue_url=read.text("TRAINING_QUEUE_URL"),
            alerts_topic_arn=read.text("ALERTS_TOPIC_ARN"),
            raw_prefix=read.text("RAW_PREFIX", "raw/"),
            max_object_bytes=read.integer("MAX_OBJECT_BYTES", cls.max_object_bytes, 1, 4096 * MIB),
            max_content_bytes=read.integer(
                "MAX_CONTENT_BYTES", cls.max_content_bytes, 1, 4096 * MIB
            ),
            chunk_rows=read.integer("CHUNK_ROWS", cls.chunk_rows, 100, 1_000_000),
        )
        if config.raw_prefix and not config.raw_prefix.endswith("/"):
            read.problems.append(f"RAW_PREFIX must end with '/', got {config.raw_prefix!r}")
        read.check()
        return config


# ------------------------------------------------------------ prediction API (lambdas/predict)
@dataclass(frozen=True)
class PredictConfig:
    """The predict function: champion pointer, data bucket, refresh cadence and limits."""

    data_bucket: str
    champion_parameter: str = "/mushroom/champion"
    champion_refresh_seconds: int = 30  # the pointer is re-read at most this often
    max_body_bytes: int = MIB  # larger request bodies get 413 before they are parsed
    aws_timeout_seconds: int = 2  # connect/read timeout of SSM and S3 calls
    # Batch files above this (stored, or once decompressed) are refused with a report, not read.
    # Rows are scored in blocks, so memory holds the stored file plus one block (a 30 MiB file,
    # 708k rows, scores in 26 s without growing memory); the limit keeps a file (11x the real
    # data set) inside the function's timeout.
    max_batch_bytes: int = 32 * MIB
    # The SecureString key of prediction ids (terraform/prediction_ids.tf); by default beside
    # the champion pointer: /<project>/champion -> /<project>/prediction-id-key.
    prediction_key_parameter: str = ""
    feedback_max_age_days: int = 90  # feedback for an older prediction gets 410

    @property
    def key_parameter(self) -> str:
        """The key parameter's name, as set or next to the champion pointer."""
        prefix = self.champion_parameter.rsplit("/", 1)[0]
        return self.prediction_key_parameter or f"{prefix}/prediction-id-key"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "PredictConfig":
        """Read and validate DATA_BUCKET, CHAMPION_PARAMETER and the limits."""
        read = _Reader(os.environ if environ is None else environ)
        config = cls(
            data_bucket=read.text("DATA_BUCKET"),
            champion_parameter=read.text("CHAMPION_PARAMETER", cls.champion_parameter),
            champion_refresh_seconds=read.integer(
                "CHAMPION_REFRESH_SECONDS", cls.champion_refresh_seconds, 0, 86_400
            ),
            max_body_bytes=read.integer("MAX_BODY_BYTES", cls.max_body_bytes, 1024, 6 * MIB),
            aws_timeout_seconds=read.integer("AWS_TIMEOUT_SECONDS", cls.aws_timeout_seconds, 1, 60),
            max_batch_bytes=read.integer("MAX_BATCH_BYTES", cls.max_batch_bytes, 1024, 256 * MIB),
            prediction_key_parameter=read.environ.get("PREDICTION_KEY_PARAMETER", "").strip(),
            feedback_max_age_days=read.integer(
                "FEEDBACK_MAX_AGE_DAYS", cls.feedback_max_age_days, 1, 3650
            ),
        )
        read.check()
        return config
