"""The prediction API's errors and the one place that maps them to HTTP responses."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Iterable

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from api_models import MAX_SPECIMENS, ErrorResponse
from specimens import Problem


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
        super().__init__(f"{refused} specimen(s) do not meet the data contract",
                         [p.as_dict() for p in problems])  # fmt: skip


class InvalidRequest(ApiError):
    """A body that does not have the documented shape."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY


class MalformedJson(ApiError):
    """A body that is not JSON."""

    status = HTTPStatus.BAD_REQUEST


class PayloadTooLarge(ApiError):
    """More specimens, or more bytes, than one request may carry."""

    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


class ChampionUnavailable(ApiError):
    """No champion model can be served (none promoted yet, or it cannot be loaded)."""

    status = HTTPStatus.SERVICE_UNAVAILABLE


class StorageUnavailable(ApiError):
    """The data bucket refused a write the client must know about (feedback): retry later."""

    status = HTTPStatus.SERVICE_UNAVAILABLE


def response(error: ApiError) -> Response:
    """The JSON response of an API error."""
    body = ErrorResponse(statusCode=int(error.status), message=error.message, errors=error.errors)
    return Response(status_code=int(error.status), content_type=content_types.APPLICATION_JSON,
                    body=body.model_dump_json())  # fmt: skip


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
    specimen = int(location[1]) if location[:1] == ["specimens"] and len(location) > 1 \
        and location[1].isdigit() else None  # fmt: skip
    message = error.get("msg", error["type"])
    if error["type"] == "json_invalid":
        message = f"JSON decode error: {error.get('ctx', {}).get('error', 'invalid JSON')}"
    return {"specimen": specimen, "field": ".".join(location) or "body", "rule": error["type"],
            "message": message}  # fmt: skip


def register(app) -> None:
    """Install the mapping on a resolver."""
    app.exception_handler(ApiError)(response)
    app.exception_handler(RequestValidationError)(lambda e: response(from_validation(e)))


DESCRIPTIONS = {
    400: "The body is not valid JSON.",
    413: "More than 1,000 specimens, or a body larger than the limit.",
    422: "A field breaks the data contract or the body has the wrong shape "
    "(one error per field).",
    503: "No champion model can be served yet.",
}


def oversized(event: dict[str, Any], max_bytes: int) -> dict[str, Any] | None:
    """A 413 proxy response for a body above ``max_bytes`` (checked before it is parsed)."""
    body = event.get("body") or ""
    if len(body) <= max_bytes:
        return None
    error = PayloadTooLarge(f"the request body is larger than {max_bytes} bytes")
    return {"statusCode": int(error.status), "headers": {"Content-Type": "application/json"},
            "body": response(error).body, "isBase64Encoded": False}  # fmt: skip
