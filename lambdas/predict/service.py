"""The prediction logic behind the routes: check, classify with the champion, log."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import orjson

from adapters.clients import fail_fast_clients
from adapters.config import PredictConfig
from adapters.observability import logger
from adapters.parameters import ChampionParameter, Parameter
from api_errors import InvalidSpecimens, StorageUnavailable
from champion import Champion, ChampionCache
from id_issuer import IdIssuer
from mushroom.model import ModelBundle
from mushroom.records.prediction import served_together
from mushroom.safety import RULE
from prediction_log import PredictionLog, utc_now
import specimens as contract_check


def load_bundle(files: Mapping[str, bytes]) -> ModelBundle:
    """The ML engineer's bundle from the three artifacts named by the pointer."""
    return ModelBundle.from_bytes(files["model"], files["vocabulary"], files["safety"])


class PredictionService:
    """Serves the champion: predictions, their log, feedback and the model's description."""

    def __init__(self, champions: ChampionCache, log: PredictionLog, ids: IdIssuer):
        self.champions, self.log, self.ids = champions, log, ids

    @classmethod
    def from_config(cls, config: PredictConfig) -> "PredictionService":
        """Wire the service to AWS as configured."""
        s3, ssm, firehose = fail_fast_clients(config.aws_timeout_seconds, "s3", "ssm", "firehose")
        pointer = ChampionParameter(ssm, config.champion_parameter)
        id_key = Parameter(ssm, config.key_parameter, secret=True)
        champions = ChampionCache(pointer.read, s3, load_bundle, config.champion_refresh_seconds)
        ids = IdIssuer(id_key.read, utc_now, config.feedback_max_age_days)
        log = PredictionLog(s3, config.data_bucket, firehose, config.prediction_stream)
        return cls(champions, log, ids)

    def predict(self, specimens: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Results for valid specimens (all or none), logged before they are returned."""
        records, problems = contract_check.check_all(specimens)
        if problems:
            raise InvalidSpecimens(problems)
        champion = self.champions.current()
        ids = self.ids.new(len(records))
        results = self.classify(champion, records, ids)
        shadow = shadow_answers(champion, records)
        time = utc_now().isoformat()
        self.log.record_predictions(
            log_lines(records, results, ids, champion.version, time, shadow)
        )
        return {"model_version": champion.version, "results": results}

    def classify(
        self, champion: Champion, records: Sequence[Mapping[str, Any]], ids: Sequence[str]
    ) -> list[dict[str, Any]]:
        """The champion's answer for checked records, with prediction ids and version."""
        results = champion.bundle.predict(records)
        for result, prediction_id in zip(results, ids):
            result["prediction_id"] = prediction_id
            result["model_version"] = champion.version
        return results

    def feedback(self, prediction_id: str, observed_class: str) -> dict[str, Any]:
        """Store an observed label for a prediction this API issued (404 / 410 otherwise)."""
        self.ids.check(prediction_id)
        try:
            self.log.record_feedback(prediction_id, observed_class)
        except Exception as error:  # noqa: BLE001 (S3 down: the client must retry, not lose it)
            logger.exception("feedback could not be stored", extra={"prediction_id": prediction_id})
            raise StorageUnavailable("the feedback could not be stored; try again later") from error
        return {"prediction_id": prediction_id, "observed_class": observed_class, "stored": True}

    def model_info(self) -> dict[str, Any]:
        """The serving champion's description from its pointer."""
        pointer = self.champions.current().pointer
        challenger = pointer.challenger
        return {
            "model_version": pointer.version,
            "run_id": pointer.run_id,
            "trained_at": pointer.trained_at,
            "threshold": pointer.threshold,
            "decision_rule": RULE,
            "metrics": pointer.metrics,
            "challenger": challenger
            and {"model_version": challenger.version, "in_shadow_since": challenger.promoted_at},
        }

    def health(self) -> dict[str, Any]:
        """Liveness; does not load a model."""
        loaded = self.champions.champion
        return {
            "status": "ok",
            "model_loaded": loaded is not None,
            "model_version": loaded.version if loaded else None,
        }


# A challenger scores at most this many specimens of a request, evenly spread: every specimen
# of the usual small requests, a sample of large ones, so that shadow adds about a millisecond
# to a 1,000-specimen request instead of the ~10 ms of scoring them all (make bench:
# in_handler.*_with_challenger).
SHADOW_SAMPLE = 100
ANSWER_FIELDS = ("prediction", "probability_poisonous", "decision")  # served_together's columns


def shadow_answers(champion: Champion, records) -> tuple[str, list, tuple] | None:
    """The challenger's version, its (P(poisonous), decision) per record (None for a record
    outside the sample) and the booster's microseconds per specimen (champion's, on the whole
    request just scored; challenger's, on its sample); None without a challenger."""
    challenger = champion.challenger
    if challenger is None:
        return None
    step = -(-len(records) // SHADOW_SAMPLE)  # ceiling
    sample = records[::step]
    answers: list = [None] * len(records)
    answers[::step] = challenger.bundle.shadow_answers(sample)
    booster_us = (
        micros_per(champion.bundle.booster_seconds, len(records)),
        micros_per(challenger.bundle.booster_seconds, len(sample)),
    )
    return challenger.version, answers, booster_us


def micros_per(seconds: float, count: int) -> float:
    return round(seconds * 1e6 / max(count, 1), 2)


def log_lines(records, results, ids, version: str, time: str, shadow=None) -> list[bytes]:
    """One prediction-log line per specimen (id, time, version, features, outcome, and the
    challenger's answer in ``shadow``), written column-wise as batch scoring writes them: a
    PredictionRecord object per specimen cost more than scoring it."""
    text = served_together(
        time,
        version,
        "api",
        ids,
        [orjson.dumps(record).decode() for record in records],
        tuple([r[name] for r in results] for name in ANSWER_FIELDS),
        shadow,
    )
    return text.encode().splitlines(keepends=True)
