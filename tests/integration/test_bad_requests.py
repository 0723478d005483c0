"""Bad calls to the prediction API through API Gateway on the real local stack: each gets its
documented 4xx (docs/openapi.json) with the error body shape, and never a 5xx.

API Gateway itself answers two kinds before the function runs: a missing or wrong API key is
403 ``Forbidden``, and a method or path with no route is 403 ``Missing Authentication Token``
(REST APIs never answer 404/405 for an unknown route; LocalStack does as AWS does).
No champion is needed: every body here is refused before a model is consulted.
``REQUESTS`` is also the source of the requests table in docs/bad-input.md.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from urllib.parse import urlparse

import pytest

from tests.stack import deployed_outputs
from tests.unit.predict_support import features

pytestmark = pytest.mark.integration
JSON = {"Content-Type": "application/json"}
NO_KEY, WRONG_KEY = {"x-api-key": None}, {"x-api-key": "not-the-key"}
UUID = "0b7c1b9e-7a4e-4c33-9d6a-2f6c1c3c7f10"
MAX_BODY_BYTES = 1024 * 1024  # MAX_BODY_BYTES of the predict function (terraform/functions.tf)
REQUIRED = (
    "cap-diameter",
    "cap-shape",
    "cap-color",
    "does-bruise-or-bleed",
    "gill-color",
    "stem-height",
    "stem-width",
    "stem-color",
    "has-ring",
    "habitat",
    "season",
)


@dataclass(frozen=True)
class Bad:
    """One kind of bad call and what the API must answer."""

    kind: str
    body: bytes | None
    status: int
    says: str  # a phrase of the answer's message
    fields: tuple[str, ...] = ()  # error fields that must be named (exactly these when ``exact``)
    rule: str | None = None  # the rule of every named field's error
    method: str = "POST"
    path: str = "predict"
    headers: dict = field(default_factory=lambda: dict(JSON))
    exact: bool = False
    redeploy: bool = False  # fixed in lambdas/predict/, reaches the stack with the next deploy


def body(value) -> bytes:
    return json.dumps(value).encode()


def one(**changes) -> bytes:
    """A request with one specimen: a valid one with ``changes`` (None deletes a field)."""
    specimen = features()
    for name, value in changes.items():
        specimen.pop(name.replace("_", "-"))
        if value is not None:
            specimen[name.replace("_", "-")] = value
    return body({"specimens": [specimen]})


def utf8(value) -> bytes:
    """JSON with non-ASCII characters as themselves (🍄 is 4 bytes of UTF-8), not escaped."""
    return json.dumps(value, ensure_ascii=False).encode()


def raw_one(name: str, literal: str) -> bytes:
    """One specimen whose field ``name`` is the raw JSON text ``literal`` (NaN, huge numbers)."""
    text = json.dumps({"specimens": [{**features(), name: "@@"}]})
    return text.replace('"@@"', literal).encode()


SHAPE, CONTRACT, NOT_JSON = "documented shape", "do not meet the data contract", "not valid JSON"
GOOD = one()
REQUESTS = [
    Bad("no API key", None, 403, "Forbidden", method="GET", path="health", headers=NO_KEY),
    Bad("wrong API key", GOOD, 403, "Forbidden", headers={**JSON, **WRONG_KEY}),
    Bad("empty body", b"", 422, SHAPE, ("body",), "missing", exact=True),
    Bad("JSON null", b"null", 422, SHAPE, ("body",), "missing", exact=True),
    Bad("a list instead of an object", b"[]", 422, SHAPE, ("body",), "model_attributes_type"),
    Bad("specimens missing", b"{}", 422, SHAPE, ("specimens",), "missing", exact=True),
    Bad(
        "specimens not a list", body({"specimens": "abc"}), 422, SHAPE, ("specimens",), "list_type"
    ),
    Bad("specimens null", body({"specimens": None}), 422, SHAPE, ("specimens",), "list_type"),
    Bad("specimens empty", body({"specimens": []}), 422, SHAPE, ("specimens",), "too_short"),
    Bad(
        "1,001 specimens",
        body({"specimens": [features()] * 1001}),
        413,
        "at most 1000",
        ("specimens",),
        "too_long",
    ),
    Bad(
        "a specimen that is not an object",
        body({"specimens": [1]}),
        422,
        SHAPE,
        ("specimens.0",),
        "dict_type",
        exact=True,
    ),
    Bad(
        "unknown field",
        body({"specimens": [{**features(), "colour": "x"}]}),
        422,
        CONTRACT,
        ("colour",),
        "unknown_field",
        exact=True,
    ),
    Bad(
        "the label sent as a feature",
        body({"specimens": [{**features(), "class": "p"}]}),
        422,
        "POST /feedback",
        ("class",),
        "unknown_field",
        exact=True,
    ),
    Bad(
        "a field given twice (- and _)",
        body({"specimens": [{**features(), "cap_shape": "x"}]}),
        422,
        "more than once",
        ("cap_shape",),
        "duplicate_field",
        exact=True,
    ),
    Bad(
        "unknown code",
        one(cap_color="zz"),
        422,
        "must be one of",
        ("cap-color",),
        "unknown_code",
        exact=True,
    ),
    Bad(
        "out-of-range number",
        one(cap_diameter=1000),
        422,
        "must be between",
        ("cap-diameter",),
        "out_of_range",
        exact=True,
    ),
    Bad(
        "negative number",
        one(stem_height=-1),
        422,
        "must be between",
        ("stem-height",),
        "out_of_range",
        exact=True,
    ),
    Bad(
        "a number where a code is expected",
        one(habitat=1),
        422,
        "must be one of",
        ("habitat",),
        "unknown_code",
        exact=True,
    ),
    Bad(
        "a boolean where a number is expected",
        one(stem_width=True),
        422,
        "must be a number",
        ("stem-width",),
        "not_a_number",
        exact=True,
    ),
    Bad(
        "text where a number is expected",
        one(cap_diameter="wide"),
        422,
        "must be a number",
        ("cap-diameter",),
        "not_a_number",
        exact=True,
    ),
    Bad(
        "missing required field",
        one(season=None),
        422,
        "required but missing",
        ("season",),
        "missing_required",
        exact=True,
    ),
    Bad(
        "every field missing",
        body({"specimens": [{}]}),
        422,
        CONTRACT,
        REQUIRED,
        "missing_required",
        exact=True,
    ),
    Bad(
        "1,000 specimens, every value junk",
        body({"specimens": [{c: "j" * 20 for c in features()}] * 1000}),
        422,
        "1000 specimen(s)",
        ("cap-shape", "stem-width"),
    ),
    Bad(
        "extra top-level key",
        body({"specimens": [features()], "debug": True}),
        422,
        SHAPE,
        ("debug",),
        "extra_forbidden",
        exact=True,
    ),
    Bad(
        "trailing garbage after the JSON",
        GOOD + b" garbage",
        400,
        NOT_JSON,
        ("body",),
        "json_invalid",
        exact=True,
    ),
    Bad(
        "not JSON (single quotes)",
        b"{'specimens': []}",
        400,
        NOT_JSON,
        ("body",),
        "json_invalid",
        exact=True,
    ),
    Bad(
        "NaN literal",
        raw_one("cap-diameter", "NaN"),
        400,
        NOT_JSON,
        ("body",),
        "json_invalid",
        redeploy=True,
    ),
    Bad(
        "Infinity literal",
        raw_one("stem-height", "Infinity"),
        400,
        NOT_JSON,
        ("body",),
        "json_invalid",
        redeploy=True,
    ),
    Bad(
        "an integer of 5,000 digits",
        raw_one("cap-diameter", "1" + "0" * 5000),
        400,
        NOT_JSON,
        ("body",),
        "json_invalid",
        redeploy=True,
    ),
    Bad(
        "deeply nested junk (5,000 levels)",
        b"[" * 5000 + b"]" * 5000,
        400,
        NOT_JSON,
        ("body",),
        "json_invalid",
        redeploy=True,
    ),
    Bad(
        "a value nested 600 levels",
        raw_one("cap-shape", "[" * 600 + "]" * 600),
        422,
        CONTRACT,
        ("cap-shape",),
        "unknown_code",
        exact=True,
        redeploy=True,
    ),
    Bad(
        "a lone UTF-16 surrogate escape",
        raw_one("cap-shape", '"\\ud800"'),
        400,
        NOT_JSON,
        ("body",),
        "json_invalid",
        redeploy=True,
    ),
    Bad("invalid UTF-8 bytes", b'{"specimens": [{"cap-shape": "\xff"}]}', 400, "not UTF-8"),
    Bad("latin-1 text", '{"specimens": [{"cap-shape": "é"}]}'.encode("latin-1"), 400, "not UTF-8"),
    Bad("UTF-16 text", '{"specimens": []}'.encode("utf-16"), 400, "not UTF-8"),
    Bad("body over the size limit", b" " * MAX_BODY_BYTES + GOOD, 413, "larger than"),
    Bad(
        "body over the limit in bytes, not in characters (4-byte UTF-8)",
        utf8({"specimens": [{**features(), "cap-shape": "🍄" * 300_000}]}),
        413,
        "larger than",
        redeploy=True,
    ),
    Bad(
        "form-encoded body",
        b"specimens=1",
        415,
        "application/json",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    Bad(
        "multipart body",
        b'--b\r\nContent-Disposition: form-data; name="s"\r\n\r\n1\r\n--b--\r\n',
        415,
        "application/json",
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    ),
    Bad("text/plain body", GOOD, 415, "application/json", headers={"Content-Type": "text/plain"}),
    Bad(
        "a JSON subtype (application/ld+json)",
        GOOD,
        415,
        "application/json",
        headers={"Content-Type": "application/ld+json"},
        redeploy=True,
    ),
    Bad(
        "feedback without prediction_id",
        body({"observed_class": "e"}),
        422,
        SHAPE,
        ("prediction_id",),
        "missing",
        path="feedback",
        exact=True,
    ),
    Bad(
        "feedback with a prediction_id that is not a UUID",
        body({"prediction_id": "abc", "observed_class": "e"}),
        422,
        SHAPE,
        ("prediction_id",),
        "uuid_parsing",
        path="feedback",
        exact=True,
    ),
    Bad(
        "feedback with an unknown class",
        body({"prediction_id": UUID, "observed_class": "x"}),
        422,
        SHAPE,
        ("observed_class",),
        "literal_error",
        path="feedback",
        exact=True,
    ),
    Bad(
        "feedback with extra keys",
        body({"prediction_id": UUID, "observed_class": "e", "species": "x"}),
        422,
        SHAPE,
        ("species",),
        "extra_forbidden",
        path="feedback",
        exact=True,
    ),
    Bad(
        "feedback for a prediction id never issued",
        body({"prediction_id": UUID, "observed_class": "e"}),
        404,
        "was issued by this API",
        ("prediction_id",),
        "unknown_prediction",
        path="feedback",
        exact=True,
        redeploy=True,
    ),
    Bad("wrong method (GET /predict)", None, 403, "Missing Authentication Token", method="GET"),
    Bad(
        "wrong method (DELETE /feedback)",
        None,
        403,
        "Missing Authentication Token",
        method="DELETE",
        path="feedback",
    ),
    Bad("unknown path", GOOD, 403, "Missing Authentication Token", path="classify"),
]


@pytest.fixture(scope="module")
def api() -> tuple[str, str]:
    outputs = deployed_outputs()
    if "api_local_url" not in outputs:
        pytest.skip("the deployed stack has no prediction API")
    return outputs["api_local_url"], outputs["api_key"]


def call(api: tuple[str, str], case: Bad) -> tuple[int, bytes]:
    url, key = api
    address = urlparse(url)
    headers = {"x-api-key": key, **case.headers}
    headers = {name: value for name, value in headers.items() if value is not None}
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    try:
        connection.request(case.method, address.path + case.path, case.body, headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("case", REQUESTS, ids=[c.kind for c in REQUESTS])
def test_a_bad_request_gets_its_documented_4xx(api, case):
    status, text = call(api, case)
    assert status < 500, f"server error {status}: {text[:300]!r}"
    assert status == case.status, text[:500]
    answer = json.loads(text)
    if status == 403:  # API Gateway's own answer: {"message": ...}
        assert answer == {"message": case.says}
        return
    # The function's documented ErrorResponse: statusCode, message, errors (one per field)
    assert set(answer) == {"statusCode", "message", "errors"} and answer["statusCode"] == status
    assert case.says in answer["message"] or case.says in json.dumps(answer["errors"]), answer
    named = {e["field"]: e for e in answer["errors"]}
    assert set(case.fields) <= set(named), answer["errors"][:5]
    if case.exact:
        assert len(answer["errors"]) == len(case.fields), answer["errors"]
    if case.rule:
        assert all(named[f]["rule"] == case.rule for f in case.fields), answer["errors"][:5]
    for error in answer["errors"]:
        assert set(error) == {"specimen", "field", "value", "rule", "message"} and error["message"]


def test_there_are_at_least_30_kinds():
    assert len({c.kind for c in REQUESTS}) == len(REQUESTS) >= 30
