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
    # "decision"} (not served; the monitor compares the two)
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
    answers: Sequence[tuple[str, float, str]],
    challenger: tuple[str, Sequence[tuple[float, str]]] | None = None,
) -> str:
    """JSON Lines of records served together (one time, model version and source): the text
    ``to_dict`` and a compact ``json.dumps`` give, built column-wise, since batch scoring logs
    millions. ``features`` are each record's features already as JSON, ``answers`` are
    (prediction, probability_poisonous, decision); ``challenger`` is a challenger's version and
    its (probability_poisonous, decision) for each record (None where it did not score it)."""
    dumps = json.dumps
    head = f'{{"format_version":{FORMAT_VERSION},"prediction_id":'
    shared = (
        f',"time":{dumps(time)},"model_version":{dumps(model_version)},'
        f'"source":{dumps(source)},"features":'
    )
    quoted = {text: dumps(text) for answer in set(a[::2] for a in answers) for text in answer}
    return "".join(
        f'{head}"{i}"{shared}{f},"prediction":{quoted[p]},"probability_poisonous":{q!r},'
        f'"decision":{quoted[d]}{tail}\n'
        for i, f, (p, q, d), tail in zip(ids, features, answers, _tails(challenger, len(ids)))
    )


def _tails(challenger: tuple[str, Sequence[tuple[float, str]]] | None, count: int) -> list[str]:
    """Each line's end: the challenger's answer when one was scored, then the closing brace."""
    if challenger is None:
        return ["}"] * count
    version, answers = challenger
    dumps, start = json.dumps, f',"challenger":{{"model_version":{json.dumps(version)},'
    return [
        (
            "}"
            if answer is None
            else f'{start}"probability_poisonous":{answer[0]!r},'
            f'"decision":{dumps(answer[1])}}}}}'
        )
        for answer in answers
    ]
