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
    # A challenger in shadow scored the same specimen: {"model_version", "probability_poisonous",
    # "decision", "booster_us": {"champion", "challenger"}} (not served; the monitor compares
    # the two; booster_us is each booster's microseconds per specimen in that request)
    challenger: dict[str, Any] | None = None

    @property
    def served_at(self) -> datetime:
        """``time`` as a datetime (``Z`` accepted)."""
        return datetime.fromisoformat(self.time.replace("Z", "+00:00"))

    def to_dict(self) -> dict[str, Any]:
        # written by hand, not dataclasses.asdict: a request logs up to 1,000 of them
        written = {
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
        if self.challenger is not None:
            written["challenger"] = self.challenger
        return written

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
    challenger: tuple[str, Sequence[tuple[float, str] | None], tuple[float, float]] | None = None,
) -> str:
    """JSON Lines of records served together (one time, model version and source): the text
    ``to_dict`` and a compact ``json.dumps`` give, built column-wise, since batch scoring logs
    millions. ``features`` are each record's features already as JSON, ``answers`` are the
    columns prediction, probability_poisonous and decision; ``challenger`` is a challenger's
    version, its (probability_poisonous, decision) for each record (None where it did not
    score it) and the (champion's, challenger's) booster microseconds per specimen."""
    dumps = json.dumps
    predictions, probabilities, decisions = answers
    shared = (
        f'","time":{dumps(time)},"model_version":{dumps(model_version)},'
        f'"source":{dumps(source)},"features":'
    )
    prediction = {p: f',"prediction":{dumps(p)},"probability_poisonous":' for p in set(predictions)}
    decision = {d: f',"decision":{dumps(d)}' for d in set(decisions)}
    columns = [
        f'{{"format_version":{FORMAT_VERSION},"prediction_id":"',
        ids,
        shared,
        features,
        list(map(prediction.__getitem__, predictions)),
        list(map(repr, probabilities)),
        list(map(decision.__getitem__, decisions)),
        "}\n" if challenger is None else _challenger_ends(*challenger),
    ]
    return joined(columns, len(ids))


def _challenger_ends(
    version: str, answers: Sequence[tuple[float, str] | None], booster_us: tuple[float, float]
) -> list[str]:
    """Each line's end: the challenger's answer where it scored the record, the closing brace."""
    start = f',"challenger":{{"model_version":{json.dumps(version)},"probability_poisonous":'
    end = ',"booster_us":{{"champion":{!r},"challenger":{!r}}}}}}}\n'.format(*booster_us)
    return [
        "}\n" if answer is None else f'{start}{answer[0]!r},"decision":{json.dumps(answer[1])}{end}'
        for answer in answers
    ]
