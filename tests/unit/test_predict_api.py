"""The prediction API in-process with moto: answers, strict input, champion, log, batch."""

from __future__ import annotations

import base64
import gzip
import importlib
import json

import boto3
import pytest
from moto import mock_aws

from mushroom import contract

from tests.events import LambdaContext, api_gateway_request, s3_object_created
from tests.unit import predict_support as support
from tests.unit.predict_support import features


@pytest.fixture(scope="module")
def bundle():
    return support.bundle_files()


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("DATA_BUCKET", support.DATA_BUCKET)
    monkeypatch.setenv("CHAMPION_PARAMETER", support.PARAMETER)
    monkeypatch.setenv("CHAMPION_REFRESH_SECONDS", "0")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Mushroom")
    with mock_aws():
        s3, ssm = boto3.client("s3"), boto3.client("ssm")
        s3.create_bucket(Bucket=support.ARTIFACT_BUCKET)
        s3.create_bucket(Bucket=support.DATA_BUCKET)
        ssm.put_parameter(Name=support.PARAMETER, Value='{"status": "none"}', Type="String")
        ssm.put_parameter(Name=support.KEY_PARAMETER, Value=support.KEY, Type="SecureString")
        yield s3, ssm


@pytest.fixture
def handler(aws):
    return support.load_handler()


@pytest.fixture
def champion(aws, bundle):
    s3, ssm = aws
    return support.publish(s3, ssm, "1", bundle)


def call(handler, method, path, body=None, **kwargs):
    response = handler.lambda_handler(
        api_gateway_request(method, path, body, **kwargs), LambdaContext("mushroom-predict")
    )
    return response["statusCode"], json.loads(response["body"])


def logged(s3, prefix="predictions/"):
    objects = s3.list_objects_v2(Bucket=support.DATA_BUCKET, Prefix=prefix).get("Contents", [])
    lines = []
    for item in objects:
        body = s3.get_object(Bucket=support.DATA_BUCKET, Key=item["Key"])["Body"].read()
        lines += [json.loads(line) for line in body.decode().splitlines()]
    return lines


EDIBLE = {"cap_color": "n", "has_ring": "f", "cap_diameter": 6.0}
POISONOUS = {"cap_color": "o", "has_ring": "t", "cap_diameter": 13.0}
OPTIONAL = {c.name for c in contract.FEATURES if not c.required}  # canonical, as features()


def test_predict_answers_each_specimen_and_logs_it(handler, champion, aws):
    # Given a champion, When two specimens are classified
    status, body = call(
        handler, "POST", "/predict", {"specimens": [features(**EDIBLE), features(**POISONOUS)]}
    )
    # Then both get a decision, in order, from version 1, and both are in the log
    assert status == 200
    assert body["model_version"] == "1"
    assert [r["decision"] for r in body["results"]] == ["edible", "poisonous"]
    assert all(r["model_version"] == "1" for r in body["results"])
    log = logged(aws[0])
    assert {e["prediction_id"] for e in log} == {r["prediction_id"] for r in body["results"]}
    assert log[0]["features"]["cap-color"] == "n" and log[0]["decision"] == "edible"


@pytest.mark.parametrize(
    "specimens",
    [
        [features(**EDIBLE), features(**POISONOUS)],
        [{k: v for k, v in features(**EDIBLE).items() if k not in OPTIONAL}],  # fields left out
        [features(**{**EDIBLE, "cap_color": "k"})],  # no training species has this colour
        [features(**POISONOUS)] * 1000,
    ],
    ids=["complete", "optional-left-out", "unseen", "thousand"],
)
def test_answers_are_exactly_the_documented_predict_response(handler, champion, specimens):
    # Given the handler answers without re-validating its response (a cost per request)
    status, body = call(handler, "POST", "/predict", {"specimens": specimens})
    assert status == 200, body
    # Then the answer is PredictResponse: every field present and in range, nothing more
    api_models = importlib.import_module("api_models")
    assert api_models.PredictResponse.model_validate(body).model_dump(mode="json") == body
    assert len(body["results"]) == len(specimens)


def test_underscore_names_and_json_numbers_are_accepted(handler, champion):
    specimen = {k.replace("-", "_"): v for k, v in features(**EDIBLE).items()}
    specimen.update(stem_height=10, stem_width=12.5)
    status, body = call(handler, "POST", "/predict", {"specimens": [specimen]})
    assert status == 200, body


def test_unseen_species_is_never_called_edible(handler, champion):
    # A colour no training species has: the safety policy must not say "edible"
    status, body = call(
        handler, "POST", "/predict", {"specimens": [features(**{**EDIBLE, "cap_color": "k"})]}
    )
    assert status == 200
    assert body["results"][0]["decision"] != "edible"


@pytest.mark.parametrize(
    "specimen, field, rule",
    [
        (features(cap_shape="zz"), "cap-shape", "unknown_code"),
        (features(cap_diameter="500"), "cap-diameter", "out_of_range"),
        (features(cap_diameter=True), "cap-diameter", "not_a_number"),
        (features(stem_height=[1]), "stem-height", "not_a_number"),
        (features(cap_color=3), "cap-color", "unknown_code"),
        ({**features(), "colour": "n"}, "colour", "unknown_field"),
        ({**features(), "class": "p"}, "class", "unknown_field"),
        ({**features(), "cap_color": "n"}, "cap_color", "duplicate_field"),
        ({k: v for k, v in features().items() if k != "season"}, "season", "missing_required"),
    ],
)
def test_contract_breaches_are_422_with_one_error_per_field(
    handler, champion, specimen, field, rule
):
    status, body = call(handler, "POST", "/predict", {"specimens": [features(), specimen]})
    assert status == 422
    assert [(e["specimen"], e["field"], e["rule"]) for e in body["errors"]] == [(1, field, rule)]


def test_every_refused_field_is_reported(handler, champion):
    specimen = features(cap_shape="zz", season="", cap_diameter="-1")
    status, body = call(handler, "POST", "/predict", {"specimens": [specimen]})
    assert status == 422
    assert {e["field"] for e in body["errors"]} == {"cap-shape", "season", "cap-diameter"}
    assert (
        "must be one of" in next(e for e in body["errors"] if e["field"] == "cap-shape")["message"]
    )


@pytest.mark.parametrize(
    "body, status",
    [
        ("{not json", 400),
        ({"specimens": []}, 422),
        ({"specimens": "x"}, 422),
        ({"specimens": [1]}, 422),
        ({}, 422),
        ([], 422),
        ({"specimens": [{}], "extra": 1}, 422),
        ({"specimens": [{}] * 1001}, 413),
    ],
)
def test_malformed_requests_get_documented_codes(handler, champion, body, status):
    code, answer = call(handler, "POST", "/predict", body)
    assert code == status, answer
    assert answer["statusCode"] == status and answer["message"]


def test_a_body_above_the_limit_is_413_before_parsing(handler, champion, monkeypatch):
    monkeypatch.setenv("MAX_BODY_BYTES", "2048")
    support.reconfigure(handler, monkeypatch)
    status, body = call(handler, "POST", "/predict", "x" * 4096)
    assert status == 413


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "application/x-www-form-urlencoded", "text/csv; charset=utf-8"],
)
def test_a_body_not_sent_as_json_is_415(handler, champion, content_type):
    status, answer = call(
        handler,
        "POST",
        "/predict",
        {"specimens": [features()]},
        headers={"content-type": content_type},
    )
    assert status == 415 and "application/json" in answer["message"]


def test_a_body_that_is_not_utf8_is_400(handler, champion):
    event = api_gateway_request("POST", "/predict", base64.b64encode(b"\xff").decode())
    event["isBase64Encoded"] = True
    response = handler.lambda_handler(event, LambdaContext("mushroom-predict"))
    assert response["statusCode"] == 400 and "UTF-8" in json.loads(response["body"])["message"]


def test_json_with_a_charset_is_accepted(handler, champion):
    status, _ = call(
        handler,
        "POST",
        "/predict",
        {"specimens": [features()]},
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert status == 200


def test_no_champion_is_503_and_validation_still_comes_first(handler):
    assert call(handler, "POST", "/predict", {"specimens": [features()]})[0] == 503
    assert call(handler, "POST", "/predict", {"specimens": [features(cap_shape="z")]})[0] == 422
    assert call(handler, "GET", "/model")[0] == 503
    assert call(handler, "GET", "/health") == (
        200,
        {"status": "ok", "model_loaded": False, "model_version": None},
    )


def test_model_describes_the_champion(handler, champion):
    status, body = call(handler, "GET", "/model")
    assert status == 200
    assert body["model_version"] == "1" and body["threshold"] == 0.2
    assert body["metrics"] == champion["metrics"]


def test_new_champion_is_served_without_redeploy(handler, champion, aws, bundle):
    # Given version 1 serves, When version 2 is promoted, Then the next request uses it
    assert call(handler, "POST", "/predict", {"specimens": [features()]})[1]["model_version"] == "1"
    support.publish(*aws, "2", bundle)
    assert call(handler, "POST", "/predict", {"specimens": [features()]})[1]["model_version"] == "2"


def test_pointer_is_not_reread_within_the_refresh_interval(
    handler, champion, aws, bundle, monkeypatch
):
    monkeypatch.setenv("CHAMPION_REFRESH_SECONDS", "3600")
    support.reconfigure(handler, monkeypatch)
    call(handler, "POST", "/predict", {"specimens": [features()]})
    support.publish(*aws, "2", bundle)
    assert call(handler, "POST", "/predict", {"specimens": [features()]})[1]["model_version"] == "1"


def test_ssm_and_s3_outage_keeps_serving_the_cached_model(handler, champion, aws):
    # Given version 1 is loaded, When the pointer and the artifacts are gone
    assert call(handler, "POST", "/predict", {"specimens": [features()]})[0] == 200
    aws[1].delete_parameter(Name=support.PARAMETER)
    service = handler.service()
    service.champions._s3 = None
    # Then predictions still come from version 1
    status, body = call(handler, "POST", "/predict", {"specimens": [features()]})
    assert (status, body["model_version"]) == (200, "1")


def test_broken_new_version_keeps_the_old_one(handler, champion, aws, bundle):
    call(handler, "POST", "/predict", {"specimens": [features()]})
    support.publish(*aws, "2", {**bundle, "model.lgb": b"not a model"})
    assert call(handler, "POST", "/predict", {"specimens": [features()]})[1]["model_version"] == "1"


def test_log_write_failure_is_not_silent(handler, champion, monkeypatch, caplog):
    service = handler.service()

    def refuse(**_):
        raise RuntimeError("S3 down")

    call(handler, "POST", "/predict", {"specimens": [features()]})
    monkeypatch.setattr(service.log.s3, "put_object", refuse)
    logged_lines = []
    monkeypatch.setattr(handler.logger, "error", lambda msg, **kw: logged_lines.append((msg, kw)))
    import prediction_log

    monkeypatch.setattr(
        prediction_log.logger, "error", lambda msg, **kw: logged_lines.append((msg, kw))
    )
    status, body = call(handler, "POST", "/predict", {"specimens": [features()]})
    assert status == 200
    message, extra = logged_lines[0]
    assert message == "prediction_log_fallback"
    assert extra["extra"]["entries"][0]["prediction_id"] == body["results"][0]["prediction_id"]


def test_feedback_is_stored_under_feedback(handler, champion, aws):
    prediction = call(handler, "POST", "/predict", {"specimens": [features()]})[1]
    prediction_id = prediction["results"][0]["prediction_id"]
    status, body = call(
        handler, "POST", "/feedback", {"prediction_id": prediction_id, "observed_class": "p"}
    )
    assert (status, body["stored"]) == (200, True)
    (entry,) = logged(aws[0], "feedback/")
    assert (entry["prediction_id"], entry["observed_class"]) == (prediction_id, "p")


@pytest.mark.parametrize(
    "body",
    [
        {"prediction_id": "nope", "observed_class": "p"},
        {"prediction_id": "6b1f1c2e-3c55-4a39-9a61-5f0d3e1b8a10", "observed_class": "x"},
        {},
    ],
)
def test_bad_feedback_is_422(handler, body):
    assert call(handler, "POST", "/feedback", body)[0] == 422


def test_unknown_route_is_404(handler):
    assert (
        handler.lambda_handler(api_gateway_request("GET", "/nope"), LambdaContext())["statusCode"]
        == 404
    )


def test_batch_upload_is_scored_with_a_report_of_unscored_rows(handler, champion, aws):
    s3 = aws[0]
    header = ";".join(["class", *features()])
    good = ";".join(["e", *map(str, features(**EDIBLE).values())])
    bad = ";".join(["p", *map(str, features(cap_shape="zz").values())])
    s3.put_object(
        Bucket=support.DATA_BUCKET,
        Key="batch/field-trip.csv",
        Body=f"{header}\n{good}\n{bad}\n{good}\n".encode(),
    )
    event = s3_object_created(support.DATA_BUCKET, "batch/field-trip.csv")
    handler.lambda_handler(event, LambdaContext())
    handler.lambda_handler(event, LambdaContext())  # a repeated notification changes nothing
    results = s3.get_object(Bucket=support.DATA_BUCKET, Key="batch-results/field-trip.csv")
    rows = results["Body"].read().decode().splitlines()
    assert len(rows) == 3 and rows[0].endswith("decision;explanation;prediction_id;model_version")
    report = json.loads(
        s3.get_object(Bucket=support.DATA_BUCKET, Key="batch-results/field-trip.report.json")[
            "Body"
        ].read()
    )
    assert (report["scored"], report["unscored"]) == (2, 1)
    assert report["reasons"]["cap-shape/unknown_code"]["count"] == 1
    assert report["reasons"]["cap-shape/unknown_code"]["examples"][0]["row"] == 2
    assert report["rejected_rows"] == "batch-results/field-trip.rejected.csv"
    assert len(logged(s3)) == 2  # logged once despite the repeated notification


def test_a_batch_larger_than_a_block_is_scored_block_by_block(handler, champion, aws, monkeypatch):
    # Given blocks of two rows and a file of five specimens, the third with an unknown code
    monkeypatch.setattr("mushroom.csvtext.BLOCK_ROWS", 2)
    s3 = aws[0]
    header = ";".join(features())
    rows = [";".join(map(str, features(**EDIBLE).values()))] * 5
    rows[2] = ";".join(map(str, features(cap_shape="zz").values()))
    s3.put_object(
        Bucket=support.DATA_BUCKET, Key="batch/walk.csv", Body="\n".join([header, *rows]).encode()
    )
    # When it is uploaded
    handler.lambda_handler(
        s3_object_created(support.DATA_BUCKET, "batch/walk.csv"), LambdaContext()
    )
    # Then every good row is scored once, in file order, and each block logged on its own
    results = s3.get_object(Bucket=support.DATA_BUCKET, Key="batch-results/walk.csv")
    lines = results["Body"].read().decode().splitlines()[1:]
    assert [line.split(";")[len(features())] for line in lines] == ["1", "2", "4", "5"]
    objects = s3.list_objects_v2(Bucket=support.DATA_BUCKET, Prefix="predictions/")["Contents"]
    assert len(objects) == 3 and len(logged(s3)) == 4  # blocks [1, 2], [3 (unscored), 4], [5]
    stored = s3.get_object(Bucket=support.DATA_BUCKET, Key="batch-results/walk.report.json")
    report = json.loads(stored["Body"].read())
    assert (report["scored"], report["unscored"]) == (4, 1)
    assert report["reasons"]["cap-shape/unknown_code"]["examples"][0]["row"] == 3


def test_batch_file_that_is_not_a_table_is_reported(handler, champion, aws):
    s3 = aws[0]
    s3.put_object(Bucket=support.DATA_BUCKET, Key="batch/empty.csv", Body=b"")
    handler.lambda_handler(
        s3_object_created(support.DATA_BUCKET, "batch/empty.csv"), LambdaContext()
    )
    report = json.loads(
        s3.get_object(Bucket=support.DATA_BUCKET, Key="batch-results/empty.report.json")[
            "Body"
        ].read()
    )
    assert report["refused"]["rule"] == "empty"


@pytest.mark.parametrize("body", [b"x" * 3000, gzip.compress(b"class;cap-diameter\n" * 400)])
def test_batch_file_above_the_limit_is_refused_with_a_report(
    handler, champion, aws, monkeypatch, body
):
    # Given a limit of 2,048 bytes and a file above it (stored, or only once decompressed)
    monkeypatch.setenv("MAX_BATCH_BYTES", "2048")
    support.reconfigure(handler, monkeypatch)
    s3 = aws[0]
    s3.put_object(Bucket=support.DATA_BUCKET, Key="batch/big.csv", Body=body)
    # When it is uploaded
    handler.lambda_handler(s3_object_created(support.DATA_BUCKET, "batch/big.csv"), LambdaContext())
    # Then nothing is scored and the report says why, naming the limit
    stored = s3.get_object(Bucket=support.DATA_BUCKET, Key="batch-results/big.report.json")
    report = json.loads(stored["Body"].read())
    assert report["refused"]["rule"] == "too_large" and "2,048" in report["refused"]["message"]
    assert report["scored"] == 0 and logged(s3) == []


# Bodies that used to crash the function (502 through API Gateway): found by
# tests/integration/test_bad_requests.py, fixed in api_errors.json_body / api_errors.response.
@pytest.mark.parametrize(
    "body, status, words",
    [
        ("[" * 5000 + "]" * 5000, 400, "nested too deeply"),
        ('{"specimens": [{"cap-diameter": 1' + "0" * 5000 + "}]}", 400, "too large"),
        ('{"specimens": [{"cap-diameter": 1' + "0" * 400 + "}]}", 400, "too large"),
        ('{"specimens": [{"cap-shape": "\\ud800"}]}', 400, "surrogate"),
        ('{"specimens": [{"\\udc00": "x"}]}', 400, "surrogate"),
        ('{"specimens": [{"gill-spacing": NaN}]}', 400, "NaN"),
        ('{"specimens": [{"cap-diameter": -Infinity}]}', 400, "Infinity"),
        ('{"specimens": [{"cap-shape": ' + "[" * 600 + "]" * 600 + "}]}", 422, "cap-shape"),
        ('{"specimens": [{"cap-shape": "' + "z" * 5000 + '"}]}', 422, "cap-shape"),
    ],
)
def test_hostile_json_is_a_client_error_not_a_crash(handler, champion, body, status, words):
    code, answer = call(handler, "POST", "/predict", body)
    assert code == status, answer
    assert words in json.dumps(answer)
    echoed = [e["value"] for e in answer["errors"] if isinstance(e["value"], str)]
    assert all(len(v) <= 201 for v in echoed)  # echoed client text is cut


def test_a_valid_surrogate_pair_is_still_json(handler, champion):
    code, answer = call(
        handler, "POST", "/predict", '{"specimens": [{"cap-shape": "\\ud83d\\ude00"}]}'
    )
    assert code == 422 and any(e["field"] == "cap-shape" for e in answer["errors"])


def test_a_json_subtype_is_415_with_the_error_shape(handler, champion):
    status, answer = call(
        handler,
        "POST",
        "/predict",
        {"specimens": [features()]},
        headers={"content-type": "application/ld+json"},
    )
    assert status == 415 and "application/json" in answer["message"] and answer["errors"] == []


def test_the_error_list_is_capped_and_says_how_many_there_were(handler, champion):
    junk = {name: "??" for name in ("cap-shape", "cap-color", "gill-color", "habitat", "season")}
    status, answer = call(handler, "POST", "/predict", {"specimens": [junk] * 1000})
    assert status == 422 and len(answer["errors"]) == 1000
    assert "the first 1000 of" in answer["message"]
