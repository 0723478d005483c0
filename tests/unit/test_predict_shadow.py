"""A challenger in shadow (issue 16): scored beside the champion on every request, logged, never
served; one that cannot be loaded never stops the champion serving."""

from __future__ import annotations

import json

from tests.unit import predict_support as support
from tests.unit import test_predict_api as api
from tests.unit.predict_support import features

# The prediction API's fixtures: moto, the handler loaded as Lambda does.
bundle, aws, handler = api.bundle, api.aws, api.handler
call, logged = api.call, api.logged


def condemning(files: dict[str, bytes]) -> dict[str, bytes]:
    """The same model with a safety policy that calls everything poisonous (P >= 0): a
    challenger whose every answer differs from the champion's edible ones."""
    safety = json.loads(files["safety.json"])
    safety["poisonous_from"] = 0.0
    return {**files, "safety.json": json.dumps(safety).encode()}


def specimens() -> list[dict]:
    return [features(), features(**api.EDIBLE), features(**api.POISONOUS)]


def test_the_champion_answers_and_the_challengers_answers_are_logged_beside_it(
    aws, handler, bundle
):
    s3, ssm = aws
    # Given version 1 serving and version 2 in shadow beside it
    challenger = support.upload(s3, "2", condemning(bundle))
    support.publish(s3, ssm, "1", bundle, challenger=challenger)
    # When specimens are classified
    status, answer = call(handler, "POST", "/predict", {"specimens": specimens()})
    # Then the answer is version 1's, as without a challenger
    assert status == 200 and answer["model_version"] == "1"
    assert {r["model_version"] for r in answer["results"]} == {"1"}
    assert any(r["decision"] != "poisonous" for r in answer["results"])
    # And each log line holds version 2's answer beside it: its own P and decision
    lines = {line["prediction_id"]: line for line in logged(s3)}
    for result in answer["results"]:
        line = lines[result["prediction_id"]]
        assert line["decision"] == result["decision"] and line["model_version"] == "1"
        shadow = dict(line["challenger"])
        booster_us = shadow.pop("booster_us")
        assert shadow == {
            "model_version": "2",
            "probability_poisonous": result["probability_poisonous"],
            "decision": "poisonous",
        }
        # with both boosters' time per specimen in that request, for the monitor to compare
        assert set(booster_us) == {"champion", "challenger"}
        assert all(0 < us < 1e6 for us in booster_us.values()), booster_us


def test_without_a_challenger_the_log_lines_have_none(aws, handler, bundle):
    s3, ssm = aws
    support.publish(s3, ssm, "1", bundle)
    status, answer = call(handler, "POST", "/predict", {"specimens": specimens()})
    assert status == 200 and all("challenger" not in line for line in logged(s3))


def test_a_challenger_that_cannot_be_loaded_never_stops_the_champion(aws, handler, bundle):
    s3, ssm = aws
    # Given a challenger whose model file is gone
    challenger = support.upload(s3, "2", bundle)
    bucket, key = challenger.model_uri[len("s3://") :].split("/", 1)
    s3.delete_object(Bucket=bucket, Key=key)
    support.publish(s3, ssm, "1", bundle, challenger=challenger)
    # When specimens are classified, Then the champion answers and nothing is shadow-scored
    status, answer = call(handler, "POST", "/predict", {"specimens": specimens()})
    assert status == 200 and answer["model_version"] == "1"
    assert logged(s3) and all("challenger" not in line for line in logged(s3))
    # And once the file is back, the next refresh loads it (no redeploy)
    s3.put_object(Bucket=bucket, Key=key, Body=bundle["model.lgb"])
    call(handler, "POST", "/predict", {"specimens": specimens()})
    assert handler.service().champions.champion.versions == ("1", "2")


def test_a_promoted_challenger_serves_without_being_loaded_again(aws, handler, bundle):
    s3, ssm = aws
    challenger = support.upload(s3, "2", condemning(bundle))
    support.publish(s3, ssm, "1", bundle, challenger=challenger)
    call(handler, "POST", "/predict", {"specimens": specimens()})
    shadowed = handler.service().champions.champion.challenger.bundle
    # When version 2 is promoted (its files removed from S3: a reload would fail)
    pointer = challenger.succeeding(None, "2026-01-03T00:00:00+00:00")
    ssm.put_parameter(
        Name=support.PARAMETER, Value=pointer.to_json(), Type="String", Overwrite=True
    )
    for item in s3.list_objects_v2(Bucket=support.ARTIFACT_BUCKET, Prefix="models/2/")["Contents"]:
        s3.delete_object(Bucket=support.ARTIFACT_BUCKET, Key=item["Key"])
    status, answer = call(handler, "POST", "/predict", {"specimens": specimens()})
    # Then version 2 answers, from the bundle already in memory
    assert status == 200 and answer["model_version"] == "2"
    assert handler.service().champions.champion.bundle is shadowed
    assert {r["decision"] for r in answer["results"]} == {"poisonous"}


def test_a_large_request_is_shadow_scored_on_an_even_sample(aws, handler, bundle):
    s3, ssm = aws
    challenger = support.upload(s3, "2", condemning(bundle))
    support.publish(s3, ssm, "1", bundle, challenger=challenger)
    module = __import__("service")
    # When 1,000 specimens are classified
    status, answer = call(handler, "POST", "/predict", {"specimens": [features()] * 1000})
    assert status == 200 and len(answer["results"]) == 1000
    # Then every 10th line (SHADOW_SAMPLE of them) holds the challenger's answer, no other
    order = {r["prediction_id"]: i for i, r in enumerate(answer["results"])}
    lines = sorted(logged(s3), key=lambda line: order[line["prediction_id"]])
    scored = [i for i, line in enumerate(lines) if "challenger" in line]
    assert module.SHADOW_SAMPLE == 100 and scored == list(range(0, 1000, 10))


def test_get_model_names_the_challenger_in_shadow(aws, handler, bundle):
    s3, ssm = aws
    support.publish(s3, ssm, "1", bundle, challenger=support.upload(s3, "2", bundle))
    status, model = call(handler, "GET", "/model")
    assert status == 200 and model["model_version"] == "1"
    assert model["challenger"] == {
        "model_version": "2",
        "in_shadow_since": "2026-01-02T00:00:00+00:00",
    }
    support.publish(s3, ssm, "1", bundle)
    assert call(handler, "GET", "/model")[1]["challenger"] is None
