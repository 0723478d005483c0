"""Prediction ids that prove themselves, feedback checked against them, limits in bytes."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from mushroom import prediction_ids
from mushroom.prediction_ids import PredictionIds, UnknownPrediction
from tests.events import LambdaContext, api_gateway_request, s3_object_created
from tests.unit import predict_support as support
from tests.unit import test_predict_api as api
from tests.unit.predict_support import features

# The prediction API's fixtures: moto, a published champion, the handler loaded as Lambda does.
bundle, aws, handler, champion = api.bundle, api.aws, api.handler, api.champion
call, logged = api.call, api.logged
TODAY = date(2026, 11, 30)
DAY = (TODAY - prediction_ids.EPOCH).days


def test_an_id_names_its_issue_day_and_only_its_key_verifies_it():
    ids = PredictionIds(b"k" * 32)
    issued = ids.new(TODAY, 3)
    assert len(set(issued)) == 3 and all(uuid.UUID(i).version == 8 for i in issued)
    assert all(str(uuid.UUID(i)) == i for i in issued)  # the usual text form of a UUID
    assert ids.verify(issued[0]).issued_on == TODAY
    for forged in (str(uuid.uuid4()), issued[0][:-1] + ("0" if issued[0][-1] != "0" else "1")):
        with pytest.raises(UnknownPrediction):
            ids.verify(forged)
    with pytest.raises(UnknownPrediction):
        PredictionIds(b"x" * 32).verify(issued[0])


def test_a_derived_id_is_the_same_for_the_same_name_and_day():
    ids = PredictionIds(b"k" * 32)
    assert ids.derived("walk.csv#3", TODAY) == ids.derived("walk.csv#3", TODAY)
    assert ids.derived("walk.csv#3", TODAY) != ids.derived("walk.csv#4", TODAY)
    assert ids.verify(ids.derived("walk.csv#3", TODAY)).issued_on == TODAY


def test_many_ids_laid_out_column_wise_are_the_ids_laid_out_one_at_a_time(monkeypatch):
    # Given the rows of an upload and a request's worth of fresh ids (column-wise from 16 on)
    ids = PredictionIds(b"k" * 32)
    rows = ids.rows("s3://bucket/batch/walk.csv", range(40), TODAY, 7)
    fresh = ids.new(TODAY, 1000, 7)
    # Then each is a UUID that verifies, names its day and hour, and is unique
    assert len(set(fresh)) == 1000 and len(set(rows)) == 40
    for issued in (*rows, *fresh[::97]):
        assert str(uuid.UUID(issued)) == issued and ids.verify(issued).issued_on == TODAY
        assert prediction_ids.issue_hint(issued) == (TODAY, 7)
    # And laid out one at a time they are the same ids, counted on from the source's nonce
    many = ids.rows("s3://bucket/batch/walk.csv", range(3, 700), TODAY, 7)  # text column-wise
    monkeypatch.setattr(prediction_ids, "COLUMN_WISE_FROM", 10**9)
    assert ids.rows("s3://bucket/batch/walk.csv", range(40), TODAY, 7) == rows
    assert ids.rows("s3://bucket/batch/walk.csv", range(3, 700), TODAY, 7) == many
    assert many == [ids._id(DAY, nonce) for nonce in counted_nonces(range(3, 700), hour=7)]


def counted_nonces(indices, hour: int) -> list[int]:
    """Rows' nonces as the layout names them: the hour, then the source's nonce plus the row."""
    start, wrap = (
        prediction_ids._nonce("s3://bucket/batch/walk.csv"),
        1 << prediction_ids.RANDOM_BITS,
    )
    return [hour << prediction_ids.RANDOM_BITS | (start + i) % wrap for i in indices]


def feedback(handler, prediction_id: str) -> tuple[int, dict]:
    return call(
        handler, "POST", "/feedback", {"prediction_id": prediction_id, "observed_class": "p"}
    )


def test_feedback_for_an_id_never_issued_is_404_and_not_stored(handler, champion, aws):
    never = str(uuid.uuid4())
    status, answer = feedback(handler, never)
    assert status == 404 and "was issued by this API" in answer["message"]
    assert answer["errors"][0]["field"] == "prediction_id"
    assert answer["errors"][0]["rule"] == "unknown_prediction"
    assert logged(aws[0], "feedback/") == []


def test_feedback_is_accepted_for_90_days_then_410(handler, champion, aws):
    # Given ids issued 90 and 91 days ago under the deployed key
    ids = handler.service().ids
    today = datetime.now(timezone.utc)
    on_time = ids.derived("a", today - timedelta(days=90))
    late = ids.derived("b", today - timedelta(days=91))
    # Then the first is stored, the second refused with the window named
    assert feedback(handler, on_time)[0] == 200
    status, answer = feedback(handler, late)
    assert status == 410 and "90 days" in answer["message"]
    assert answer["errors"][0]["rule"] == "feedback_too_late"
    assert [e["prediction_id"] for e in logged(aws[0], "feedback/")] == [on_time]


def test_a_batch_results_id_takes_feedback(handler, champion, aws):
    s3 = aws[0]
    rows = [";".join(map(str, features(**api.EDIBLE).values()))]
    s3.put_object(
        Bucket=support.DATA_BUCKET,
        Key="batch/one.csv",
        Body="\n".join([";".join(features()), *rows]).encode(),
    )
    event = s3_object_created(support.DATA_BUCKET, "batch/one.csv")
    event["Records"][0]["eventTime"] = datetime.now(timezone.utc).isoformat()
    handler.lambda_handler(event, LambdaContext())
    results = s3.get_object(Bucket=support.DATA_BUCKET, Key="batch-results/one.csv")["Body"]
    prediction_id = results.read().decode().splitlines()[1].split(";")[-2]
    assert feedback(handler, prediction_id)[0] == 200


def test_without_the_key_ids_are_neither_issued_nor_checked(handler, champion, aws):
    aws[1].delete_parameter(Name=support.KEY_PARAMETER)
    assert call(handler, "POST", "/predict", {"specimens": [features()]})[0] == 503
    assert feedback(handler, str(uuid.uuid4()))[0] == 503


def limited(handler, monkeypatch, limit: int):
    monkeypatch.setenv("MAX_BODY_BYTES", str(limit))
    support.reconfigure(handler, monkeypatch)


def predict_text(handler, text: str, encoded: bool = False) -> int:
    body = base64.b64encode(text.encode()).decode() if encoded else text
    event = api_gateway_request("POST", "/predict", body)
    event["isBase64Encoded"] = encoded
    return handler.lambda_handler(event, LambdaContext("mushroom-predict"))["statusCode"]


@pytest.mark.parametrize("encoded", [False, True])
def test_the_body_limit_counts_bytes_not_characters(handler, champion, monkeypatch, encoded):
    # Given a limit of 4,096 bytes and a body of 1,500 characters of 4 bytes each (6,000 bytes)
    limited(handler, monkeypatch, 4096)
    emoji = json.dumps(
        {"specimens": [{**features(), "cap-shape": "🍄" * 1500}]}, ensure_ascii=False
    )
    assert len(emoji) < 4096 < len(emoji.encode())
    # Then it is refused as too large, as text or base64, before parsing
    assert predict_text(handler, emoji, encoded) == 413
    # And a body of fewer bytes than the limit is parsed
    assert predict_text(handler, json.dumps({"specimens": [features()]}), encoded) == 200
