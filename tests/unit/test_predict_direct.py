"""POST /predict answered without the resolver (handler.predicted_directly): the same answer as
the route's, and every request it does not take answered by the resolver as documented."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.events import LambdaContext, api_gateway_request
from tests.unit import test_predict_api as api
from tests.unit.predict_support import features

# The prediction API's fixtures: moto, a published champion, the handler loaded as Lambda does.
bundle, aws, handler, champion = api.bundle, api.aws, api.handler, api.champion
CONTEXT = LambdaContext("mushroom-predict")


def fixed_ids(handler, monkeypatch) -> None:
    """The same prediction ids on every call, so that two answers can be compared whole."""
    ids = handler.service().ids
    monkeypatch.setattr(ids, "new", lambda count: [str(uuid.UUID(int=i)) for i in range(count)])


def answers(handler, event: dict) -> tuple[dict, dict]:
    """(the handler's answer, the resolver's answer) to the same event."""
    return handler.lambda_handler(event, CONTEXT), handler.app.resolve(event, CONTEXT)


def content_type(response: dict) -> str:
    """A proxy response's Content-Type (the resolver writes multiValueHeaders)."""
    if "headers" in response:
        return response["headers"]["Content-Type"]
    return response["multiValueHeaders"]["Content-Type"][-1]


def same(direct: dict, resolved: dict) -> bool:
    return (
        direct["statusCode"] == resolved["statusCode"]
        and json.loads(direct["body"]) == json.loads(resolved["body"])
        and content_type(direct) == content_type(resolved) == "application/json"
        and direct["isBase64Encoded"] is resolved["isBase64Encoded"] is False
    )


def test_a_valid_request_is_answered_without_the_resolver_exactly_as_the_route_answers(
    handler, champion, monkeypatch
):
    # Given specimens complete, with optional fields left out, and numbers as integers
    specimens = [
        features(),
        {k: v for k, v in features().items() if v != ""},
        {**features(), "cap-diameter": 7, "ring-type": None},
    ]
    event = api_gateway_request("POST", "/predict", {"specimens": specimens})
    fixed_ids(handler, monkeypatch)
    # Then the handler's answer is the route's, field for field
    direct, resolved = answers(handler, event)
    assert direct["statusCode"] == 200 and same(direct, resolved), (direct, resolved)
    assert [r["prediction_id"] for r in json.loads(direct["body"])["results"]] == [
        str(uuid.UUID(int=i)) for i in range(3)
    ]
    # And it never went through the resolver
    monkeypatch.setattr(handler.app, "resolve", lambda *args: pytest.fail("resolver used"))
    assert handler.lambda_handler(event, CONTEXT)["statusCode"] == 200


@pytest.mark.parametrize(
    "body, status",
    [
        ('{"specimens": [', 400),  # not JSON
        ('{"specimens": [{"cap-diameter": NaN}]}', 400),  # not JSON this API accepts
        ('{"specimens": [{"cap-diameter": 1' + "0" * 304 + "}]}", 400),  # a float to orjson
        ('{"specimens": [{"cap-shape": "\\ud800"}]}', 400),  # a lone surrogate
        ({"specimen": [features()]}, 422),  # not the request's shape
        ({"specimens": []}, 422),
        ({"specimens": [features()] * 1001}, 413),
        ({"specimens": [features(), features(**{"cap-diameter": "-3"})]}, 422),  # the contract
        ({"specimens": [{**features(), "cap-colour": "n"}]}, 422),  # an unknown field
    ],
)
def test_a_request_the_direct_path_does_not_take_gets_the_documented_error(
    handler, champion, body, status
):
    direct, resolved = answers(handler, api_gateway_request("POST", "/predict", body))
    assert direct["statusCode"] == status and same(direct, resolved), (direct, resolved)


def test_without_a_champion_both_paths_answer_503(handler):
    event = api_gateway_request("POST", "/predict", {"specimens": [features()]})
    direct, resolved = answers(handler, event)
    assert direct["statusCode"] == 503 and same(direct, resolved), (direct, resolved)


def test_other_routes_and_base64_bodies_go_to_the_resolver(handler, champion, monkeypatch):
    used = []
    resolve = handler.app.resolve
    monkeypatch.setattr(handler.app, "resolve", lambda *args: used.append(1) or resolve(*args))
    handler.lambda_handler(api_gateway_request("GET", "/model"), CONTEXT)
    encoded = api_gateway_request("POST", "/predict", {"specimens": [features()]})
    encoded.update(body=__import__("base64").b64encode(encoded["body"].encode()).decode())
    encoded["isBase64Encoded"] = True
    assert handler.lambda_handler(encoded, CONTEXT)["statusCode"] == 200
    assert len(used) == 2
