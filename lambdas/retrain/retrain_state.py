"""The retrain state document in S3, updated with conditional writes (If-Match / If-None-Match).

Two invocations racing on the same transition cannot both win: the second write fails its
precondition, re-reads the state and then sees the transition as a duplicate.
"""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from adapters.s3 import error_code, is_missing
from mushroom import storage
from mushroom.retraining import RetrainState

CONFLICT_CODES = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}


class StateConflict(Exception):
    """Someone else wrote the state since it was read."""


class RetrainStateStore:
    """Reads and conditionally replaces one JSON document."""

    def __init__(self, s3, bucket: str, key: str):
        self.s3, self.bucket, self.key = s3, bucket, key

    def load(self) -> tuple[RetrainState, str | None]:
        """The state and its ETag (None when nothing is stored yet)."""
        try:
            response = self.s3.get_object(Bucket=self.bucket, Key=self.key)
        except ClientError as error:
            # AccessDenied: this role lists only monitoring/retrain/. A state that exists but is
            # unreadable still fails: the If-None-Match write then finds it.
            if is_missing(error, "AccessDenied"):
                return RetrainState(), None
            raise
        return RetrainState.from_dict(json.loads(response["Body"].read())), response["ETag"]

    def save(self, state: RetrainState, etag: str | None) -> str:
        """Replace the state only if it is still the version read; returns the new ETag."""
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        try:
            response = self.s3.put_object(
                Bucket=self.bucket,
                Key=self.key,
                Body=storage.dumps(state.as_dict()),
                ContentType=storage.JSON_TYPE,
                **condition,
            )
        except ClientError as error:
            if error_code(error) in CONFLICT_CODES:
                raise StateConflict(self.key) from error
            raise
        return response["ETag"]
