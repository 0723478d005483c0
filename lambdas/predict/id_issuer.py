"""The prediction ids of this function: issued and checked with a key read once from SSM.

The key is a SecureString parameter created by Terraform (terraform/prediction_ids.tf); it is
read on the first request that needs it and kept for the container's life. Feedback is checked
without any lookup (``mushroom.prediction_ids``): an id this API never issued gets 404, one
issued more than ``max_age_days`` ago gets 410.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Callable, Sequence

from adapters.observability import logger
from api_errors import FeedbackTooLate, KeyUnavailable, UnknownPredictionId
from mushroom.prediction_ids import IssuedId, PredictionIds, UnknownPrediction


class IdIssuer:
    """Issues prediction ids and checks those that feedback names."""

    def __init__(
        self, read_key: Callable[[], str], clock: Callable[[], datetime], max_age_days: int
    ):
        self._read_key, self.clock, self.max_age_days = read_key, clock, max_age_days
        self._ids: PredictionIds | None = None

    def new(self, count: int) -> list[str]:
        """``count`` fresh ids issued now (their day and hour)."""
        now = self.clock()
        return self.ids.new(now.date(), count, now.hour)

    def derived(self, name: str, when: datetime) -> str:
        """The deterministic id of ``name`` (a batch row), issued on ``when``'s day."""
        return self.ids.derived(name, when.date(), when.hour)

    def rows(self, source: str, indices: Sequence[int], when: datetime) -> list[str]:
        """The deterministic ids of an upload's rows (by index among its data rows)."""
        return self.ids.rows(source, indices, when.date(), when.hour)

    def check(self, prediction_id: str) -> IssuedId:
        """The issued id; raises 404 for an id not issued here, 410 past the feedback window."""
        try:
            issued = self.ids.verify(prediction_id)
        except UnknownPrediction as error:
            raise UnknownPredictionId(prediction_id) from error
        age = (self.clock().date() - issued.issued_on).days
        if age > self.max_age_days:
            raise FeedbackTooLate(prediction_id, issued.issued_on, self.max_age_days)
        return issued

    @property
    def ids(self) -> PredictionIds:
        if self._ids is None:
            try:
                secret = self._read_key()
            except Exception as error:  # noqa: BLE001 (SSM down or the parameter missing)
                logger.exception("the prediction-id key could not be read")
                raise KeyUnavailable() from error
            self._ids = PredictionIds(hashlib.sha256(secret.encode()).digest())
        return self._ids
