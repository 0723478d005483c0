"""The retrain state document in S3, updated with conditional writes (If-Match / If-None-Match).

Two invocations racing on the same transition cannot both win: the second write fails its
precondition, re-reads the state and then sees the transition as a duplicate.
"""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from mushroom import storage
from mushroom.retraining import RetrainState

CONFLICT_CODES = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}
# S3 answers a missing key with 403 AccessDenied to a role without s3:ListBucket on the bucket
# (this one lists only monitoring/retrain/). A state that exists but is unreadable still fails:
# the If-None-Match write then finds it.
MISSING_CODES = {"NoSuchKey", "404", "AccessDenied"}


class StateConflict(Exception):
    """Someone else wrote the state since it was read."""


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class RetrainStateStore:
    """Reads and conditionally replaces one JSON document."""

    def __init__(self, s3, bucket: str, key: str):
        self.s3, self.bucket, self.key = s3, bucket, key

    def load(self) -> tuple[RetrainState, str | None]:
        """The state and its ETag (None when nothing is stored yet)."""
        try:
            response = self.s3.get_object(Bucket=self.bucket, Key=self.key)
        except ClientError as error:
            if _code(error) in MISSING_CODES:
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
            if _code(error) in CONFLICT_CODES:
                raise StateConflict(self.key) from error
            raise
        return response["ETag"]
