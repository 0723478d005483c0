"""Data access of the monitor: the window's prediction log and feedback, the champion, reports."""

from __future__ import annotations

from datetime import datetime
from typing import Iterator

from botocore.exceptions import ClientError

from adapters.feedback_reader import FeedbackReader
from adapters.parameters import ChampionParameter
from adapters.prediction_reader import PredictionLogReader
from adapters.s3 import is_missing
from mushroom import storage
from mushroom.records.champion import ChampionPointer
from mushroom.records.reference import ReferenceProfile


def parse_time(text: str) -> datetime | None:
    """An ISO-8601 time (``Z`` accepted), or None when unreadable."""
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


class MonitorStore:
    """Reads the monitoring inputs and writes its reports through boto3 clients."""

    def __init__(self, s3, ssm, bucket: str, champion_parameter: str):
        self.s3, self.bucket = s3, bucket
        self.champion_parameter = ChampionParameter(ssm, champion_parameter)
        self.log = PredictionLogReader(s3, bucket)

    def predictions(
        self, start: datetime, end: datetime, limit: int | None = None
    ) -> Iterator[dict]:
        """Prediction records served in [start, end), as plain data for the monitoring rules,
        read as a stream (only the window's hour partitions are listed and read), the API's
        first, at most ``limit``; what was left is in :attr:`unread`."""
        return (r.to_dict() for r in self.log.window(start, end, limit))

    @property
    def unread(self) -> dict[str, int]:
        """The objects and bytes of the window the last read left, past its limit."""
        return self.log.unread

    def feedback(self, start: datetime, end: datetime) -> list[dict]:
        """Feedback received from the window's start until now (labels come after predictions;
        only the labels received since the start are listed and read)."""
        return [r.to_dict() for r in FeedbackReader(self.s3, self.bucket).received(start, end)]

    def champion(self) -> ChampionPointer | None:
        """The champion pointer (None while no model has been promoted)."""
        return self.champion_parameter.pointer()

    def reference_profile(self, pointer: ChampionPointer) -> ReferenceProfile | None:
        """The champion's training reference profile, or None when it is not there."""
        bucket, key = storage.split_s3_uri(pointer.reference_profile_uri)
        try:
            body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as error:
            if not is_missing(error, "NoSuchBucket", "AccessDenied"):  # AccessDenied: no ListBucket
                raise
            return None
        return ReferenceProfile.from_json(body)

    def write_report(self, when: datetime, report: dict, html: str) -> str:
        """report.json + report.html under monitoring/<timestamp>/; returns the prefix."""
        prefix = storage.monitoring_report_prefix(when)
        self.s3.put_object(
            Bucket=self.bucket,
            Key=f"{prefix}report.json",
            Body=storage.dumps(report),
            ContentType=storage.JSON_TYPE,
        )
        self.s3.put_object(
            Bucket=self.bucket,
            Key=f"{prefix}report.html",
            Body=html.encode("utf-8"),
            ContentType="text/html; charset=utf-8",
        )
        return prefix
