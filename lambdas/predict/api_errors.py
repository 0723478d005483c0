"""The prediction API's errors and the one place that maps them to HTTP responses."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any, Iterable

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from api_models import MAX_SPECIMENS, ErrorResponse
from specimens import Problem

MAX_ECHO_CHARS = 200  # client text echoed back in an error (a value, a field name) is cut here
MAX_INTEGER_DIGITS = 300  # a JSON integer with more digits does not fit a float (1.8e308)


MAX_ERRORS = 1000  # errors listed in one answer


class ApiError(Exception):
    """An error the client is told about, with its HTTP status."""

    status = HTTPStatus.INTERNAL_SERVER_ERROR

    def __init__(self, message: str, errors: Iterable[dict[str, Any]] = ()):
        super().__init__(message)
        self.message, self.errors = message, list(errors)


class InvalidSpecimens(ApiError):
    """Specimens that break the data contract (one error per refused field)."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY

    def __init__(self, problems: list[Problem]):
        refused = len({p.specimen for p in problems})
        shown = problems[:MAX_ERRORS]  # keeps the answer far below Lambda's 6 MB response limit
        more = (
            f"; the first {MAX_ERRORS} of {len(problems)} errors are listed"
            if len(problems) > MAX_ERRORS
            else ""
        )
        super().__init__(
            f"{refused} specimen(s) do not meet the data contract{more}",
            [p.as_dict() for p in shown],
        )


class InvalidRequest(ApiError):
    """A body that does not have the documented shape."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY


class MalformedJson(ApiError):
    """A body that is not JSON."""

    status = HTTPStatus.BAD_REQUEST


class PayloadTooLarge(ApiError):
    """More specimens, or more bytes, than one request may carry."""

    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


class UnsupportedMediaType(ApiError):
    """A body sent as something other than JSON (form data, multipart, ...)."""

    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE


class ChampionUnavailable(ApiError):
    """No champion model can be served (none promoted yet, or it cannot be loaded)."""

    status = HTTPStatus.SERVICE_UNAVAILABLE


class StorageUnavailable(ApiError):
    """The data bucket refused a write the client must know about (feedback): retry later."""

    status = HTTPStatus.SERVICE_UNAVAILABLE


class UnknownPredictionId(ApiError):
    """Feedback for a prediction id this API never issued: its label must not reach training."""

    status = HTTPStatus.NOT_FOUND

    def __init__(self, prediction_id: str):
        why = "not a prediction id of this API"
        super().__init__(
            f"no prediction with id {prediction_id} was issued by this API: send the "
            "prediction_id of a POST /predict result (or of a batch result row)",
            [_id_detail(prediction_id, "unknown_prediction", why)],
        )


class FeedbackTooLate(ApiError):
    """Feedback for a prediction older than the feedback window."""

    status = HTTPStatus.GONE

    def __init__(self, prediction_id: str, issued_on, max_age_days: int):
        why = (
            f"prediction {prediction_id} was issued on {issued_on.isoformat()}, more than "
            f"{max_age_days} days ago; feedback is accepted for {max_age_days} days after "
            "a prediction"
        )
        super().__init__(why, [_id_detail(prediction_id, "feedback_too_late", why)])


def _id_detail(prediction_id: str, rule: str, message: str) -> dict[str, Any]:
    detail = {"specimen": None, "field": "prediction_id", "value": prediction_id}
    return {**detail, "rule": rule, "message": message}


class KeyUnavailable(ApiError):
    """The key that issues and checks prediction ids cannot be read (SSM): retry later."""

    status = HTTPStatus.SERVICE_UNAVAILABLE

    def __init__(self):
        super().__init__("prediction ids cannot be issued or checked right now; try again later")


def response(error: ApiError) -> Response:
    """The JSON response of an API error (echoed client text made safe to serialise)."""
    errors = [_echo_safe(detail) for detail in error.errors]
    body = ErrorResponse(statusCode=int(error.status), message=error.message, errors=errors)
    return Response(
        status_code=int(error.status),
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump_json(),
    )


def from_validation(error: RequestValidationError) -> ApiError:
    """Powertools/Pydantic request errors as documented codes: 400, 413 or 422."""
    details = [_detail(e) for e in error.errors()]
    if any(d["rule"] == "json_invalid" for d in details):
        return MalformedJson("the request body is not valid JSON", details)
    if any(d["rule"] == "too_long" and d["field"] == "specimens" for d in details):
        return PayloadTooLarge(f"at most {MAX_SPECIMENS} specimens per request", details)
    return InvalidRequest("the request body does not have the documented shape", details)


def _detail(error: dict[str, Any]) -> dict[str, Any]:
    location = [str(part) for part in error.get("loc", ()) if part != "body"]
    if error["type"] == "json_invalid":
        location = []
    specimen = (
        int(location[1])
        if location[:1] == ["specimens"] and len(location) > 1 and location[1].isdigit()
        else None
    )
    message = error.get("msg", error["type"])
    if error["type"] == "json_invalid":
        message = f"JSON decode error: {error.get('ctx', {}).get('error', 'invalid JSON')}"
    return {
        "specimen": specimen,
        "field": ".".join(location) or "body",
        "rule": error["type"],
        "message": message,
    }


def _text(text: str, limit: int = MAX_ECHO_CHARS) -> str:
    """Client text as UTF-8-encodable (lone surrogates escaped) and at most ``limit`` chars."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[:limit] + "…"


def _echo_safe(detail: dict[str, Any]) -> dict[str, Any]:
    """An error detail whose echoed value, field and message can always be serialised: text is
    escaped and cut, and a list or object value is echoed as its (cut) repr, never nested."""
    value = detail.get("value")
    if isinstance(value, str):
        value = _text(value)
    elif not (value is None or isinstance(value, (bool, int, float))):
        value = _text(_repr(value))
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        value = _text(f"{value:.3e}")
    return {
        **detail,
        "value": value,
        "field": _text(str(detail.get("field", "body"))),
        "message": _text(str(detail.get("message", "")), 4 * MAX_ECHO_CHARS),
    }


def _repr(value: Any) -> str:
    try:
        return repr(value)
    except RecursionError:
        return f"<a {type(value).__name__} nested too deeply to show>"


def json_body(text: str) -> Any:
    """The request body as JSON, strictly: NaN/Infinity literals, lone surrogates, numbers with
    thousands of digits and nesting beyond the parser's limit are not JSON this API accepts.
    Every failure is a ``json.JSONDecodeError``, which the resolver answers with a 400."""
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_int=_integer)
    except RecursionError as error:
        raise json.JSONDecodeError("nested too deeply", text, 0) from error
    except json.JSONDecodeError:
        raise
    except ValueError as error:  # e.g. an integer of more than 4,300 digits
        raise json.JSONDecodeError(f"unreadable value ({str(error)[:80]})", text, 0) from error
    if "\\u" in text:  # only escapes can smuggle a lone surrogate into decoded text
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as error:
            raise json.JSONDecodeError(
                "a \\u escape is a lone UTF-16 surrogate", text, 0
            ) from error
    return value


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:  # beyond any float: the contract cannot
        raise json.JSONDecodeError(f"an integer of {len(digits)} digits is too large", digits, 0)
    return int(digits)


def _no_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not a JSON value", name, 0)


def register(app) -> None:
    """Install the mapping on a resolver."""
    app.exception_handler(ApiError)(response)
    app.exception_handler(RequestValidationError)(lambda e: response(from_validation(e)))


DESCRIPTIONS = {
    400: "The body is not valid JSON.",
    404: "The prediction_id was not issued by this API.",
    410: "The prediction is older than the feedback window (FEEDBACK_MAX_AGE_DAYS, 90 days).",
    413: "More than 1,000 specimens, or a body larger than the limit.",
    415: "The body is not sent as JSON (Content-Type must be application/json).",
    422: "A field breaks the data contract or the body has the wrong shape "
    "(one error per field).",
    503: "No champion model can be served yet.",
}


def refused_before_parsing(event: dict[str, Any], max_bytes: int) -> dict[str, Any] | None:
    """A proxy response for a body that must not reach the parser (too large, not JSON text)."""
    error = _unparseable(event, max_bytes)
    return None if error is None else proxy_response(int(error.status), response(error).body)


def proxy_response(status: int, body: str) -> dict[str, Any]:
    """A Lambda proxy response of JSON text, for answers given outside the resolver."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": body,
        "isBase64Encoded": False,
    }


def _unparseable(event: dict[str, Any], max_bytes: int) -> ApiError | None:
    body = event.get("body") or ""
    if _over_limit(body, bool(event.get("isBase64Encoded")), max_bytes):
        return PayloadTooLarge(f"the request body is larger than {max_bytes} bytes")
    if not body:
        return None
    media_type = _content_type(event).split(";")[0].strip().lower()
    if media_type and media_type != "application/json":  # the resolver parses no other type
        return UnsupportedMediaType(
            f"the body was sent as {media_type!r}: send JSON with "
            "'Content-Type: application/json'"
        )
    if event.get("isBase64Encoded") and not _is_utf8(body):
        return MalformedJson("the request body is not UTF-8 text, so it cannot be JSON")
    return None


def _over_limit(body: str, base64_encoded: bool, max_bytes: int) -> bool:
    """True when the body has more bytes than the limit as the client sent it: base64 carries
    3 bytes in 4 characters, and a character of text is 1 to 4 bytes of UTF-8 (so only a body
    between max_bytes / 4 and max_bytes characters is encoded to count it)."""
    if base64_encoded:
        return len(body) * 3 // 4 - body[-2:].count("=") > max_bytes
    if len(body) > max_bytes or 4 * len(body) <= max_bytes:
        return len(body) > max_bytes
    return len(body.encode("utf-8", "surrogatepass")) > max_bytes


def _content_type(event: dict[str, Any]) -> str:
    headers = event.get("headers") or {}
    return next((v or "" for k, v in headers.items() if k.lower() == "content-type"), "")


def _is_utf8(encoded: str) -> bool:
    import base64
    import binascii

    try:
        base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return True
