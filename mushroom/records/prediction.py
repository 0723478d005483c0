"""The prediction record: one line of the prediction log per served specimen.

Written by the predict function (API requests and batch scoring) under ``predictions/``; read
by the monitor (drift, quality) and by training (reported labels join their features).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Sequence

from mushroom.records import format
from mushroom.textcolumns import joined

FORMAT_VERSION = 1


@dataclass(frozen=True)
class PredictionRecord:
    """What was served for one specimen, to whom (``source``) and when."""

    prediction_id: str
    time: str  # ISO 8601, UTC
    model_version: str
    source: str  # "api" or "batch:<bucket>/<key>@<etag>"
    features: dict[str, Any]
    prediction: str
    probability_poisonous: float
    decision: str

    @property
    def served_at(self) -> datetime:
        """``time`` as a datetime (``Z`` accepted)."""
        return datetime.fromisoformat(self.time.replace("Z", "+00:00"))

    def to_dict(self) -> dict[str, Any]:
        # written by hand, not dataclasses.asdict: a request logs up to 1,000 of them
        return {
            "format_version": FORMAT_VERSION,
            "prediction_id": self.prediction_id,
            "time": self.time,
            "model_version": self.model_version,
            "source": self.source,
            "features": self.features,
            "prediction": self.prediction,
            "probability_poisonous": self.probability_poisonous,
            "decision": self.decision,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "PredictionRecord":
        return format.read(cls, data, FORMAT_VERSION)


def served_together(
    time: str,
    model_version: str,
    source: str,
    ids: Sequence[str],
    features: Sequence[str],
    answers: tuple[Sequence[str], Sequence[float], Sequence[str]],
) -> str:
    """JSON Lines of records served together (one time, model version and source): the text
    ``to_dict`` and a compact ``json.dumps`` give, built column-wise, since batch scoring logs
    millions. ``features`` are each record's features already as JSON, ``answers`` are the
    columns prediction, probability_poisonous and decision."""
    dumps = json.dumps
    predictions, probabilities, decisions = answers
    shared = (
        f'","time":{dumps(time)},"model_version":{dumps(model_version)},'
        f'"source":{dumps(source)},"features":'
    )
    prediction = {p: f',"prediction":{dumps(p)},"probability_poisonous":' for p in set(predictions)}
    decision = {d: f',"decision":{dumps(d)}}}\n' for d in set(decisions)}
    columns = [
        f'{{"format_version":{FORMAT_VERSION},"prediction_id":"',
        ids,
        shared,
        features,
        list(map(prediction.__getitem__, predictions)),
        list(map(repr, probabilities)),
        list(map(decision.__getitem__, decisions)),
    ]
    return joined(columns, len(ids))
