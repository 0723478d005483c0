"""Prediction API (API Gateway REST, Lambda proxy) and batch scoring of uploads to ``batch/``."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import orjson
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from typing_extensions import Annotated

import api_errors
import batch_fanout
import batch_scoring
from api_models import (
    ErrorResponse,
    FeedbackRequest,
    FeedbackResponse,
    Health,
    ModelInfo,
    PredictRequest,
    PredictResponse,
)
from adapters.clients import fail_fast_clients
from adapters.config import PredictConfig
from adapters.observability import logger, metrics
from service import PredictionService

CONFIG = PredictConfig.from_env()  # validated at cold start: a bad variable fails the init
TITLE, VERSION = "Mushroom edibility prediction API", "1.0.0"
COPY_TIMEOUT_SECONDS = 120  # S3 copies a part of a split file's outputs (up to 5 GiB) in one call
app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=api_errors.json_body)
api_errors.register(app)


def _responses(ok: type, *codes: int) -> dict[int, dict]:
    """OpenAPI responses of a route: its 200 model and the error codes it can answer."""
    error = {"application/json": {"model": ErrorResponse}}
    documented = {
        code: {"description": api_errors.DESCRIPTIONS[code], "content": error} for code in codes
    }
    return {
        200: {"description": ok.__doc__, "content": {"application/json": {"model": ok}}},
        **documented,
    }


@lru_cache(maxsize=1)
def service() -> PredictionService:
    """The container's prediction service (its champion stays warm between invocations)."""
    return PredictionService.from_config(CONFIG)


@app.post(
    "/predict",
    summary="Classify 1 to 1,000 specimens",
    responses=_responses(PredictResponse, 400, 413, 415, 422, 503),
)
def predict(request: Annotated[PredictRequest, Body()]):  # a PredictResponse, not re-validated
    """Prediction, P(poisonous) and the decision to act on, per specimen."""
    return Response(200, content_types.APPLICATION_JSON, predicted(request.specimens))


@lru_cache(maxsize=1)
def fanout_clients() -> tuple:
    """S3 and Step Functions clients of the batch state machine's steps (slow calls: copies)."""
    return fail_fast_clients(COPY_TIMEOUT_SECONDS, "s3", "stepfunctions")


def batch_limits() -> batch_scoring.BatchLimits:
    """The largest batch file scored, and what one invocation scores (never more than that)."""
    largest = CONFIG.max_batch_bytes
    return batch_scoring.BatchLimits(largest, min(CONFIG.batch_split_bytes, largest))


def fanout() -> batch_fanout.Starter | None:
    """What starts the batch state machine on a file too large for one invocation."""
    if not CONFIG.batch_state_machine:
        return None
    return batch_fanout.Starter(fanout_clients()[1], CONFIG.batch_state_machine)


def predicted(specimens: list) -> str:
    """The answer's JSON text. Documented as PredictResponse (responses=) and held to it by the
    unit tests, but not validated on every request: pydantic checking 1,000 results cost more
    CPU than classifying them (make bench: in_handler.specimens_1000). Written by orjson, 12x
    faster than ``json.dumps`` for 1,000 results (same JSON; floats in their shortest form)."""
    return orjson.dumps(service().predict(specimens)).decode()


@app.post(
    "/feedback",
    summary="Report the observed class of a predicted specimen",
    responses=_responses(FeedbackResponse, 400, 404, 410, 413, 415, 422, 503),
)
def feedback(request: Annotated[FeedbackRequest, Body()]) -> FeedbackResponse:
    """Store the label under feedback/ for monitoring and retraining. The prediction_id must be
    one this API issued (404 otherwise) in the last 90 days (410 after that)."""
    return service().feedback(str(request.prediction_id), request.observed_class)


@app.get("/model", summary="The serving champion", responses=_responses(ModelInfo, 503))
def model() -> ModelInfo:
    """Version, training time, metrics and threshold of the champion."""
    return service().model_info()


@app.get("/health", summary="Liveness", responses=_responses(Health))
def health() -> Health:
    """Up, and whether this container has a champion loaded."""
    return service().health()


@app.get("/openapi.json", summary="This API's OpenAPI document", include_in_schema=False)
def openapi() -> dict[str, Any]:
    """The OpenAPI document generated from the code."""
    return openapi_document()


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document (also committed as docs/openapi.json)."""
    return json.loads(app.get_openapi_json_schema(title=TITLE, version=VERSION))


def predicted_directly(event: dict[str, Any]) -> dict[str, Any] | None:
    """POST /predict with a body that meets the contract, answered without the resolver: its
    routing and validation layers took half the in-handler time of one specimen (make bench).

    The body is parsed by orjson (2x faster than ``json`` for 1,000 specimens) and validated as
    the route's is (PredictRequest, then the contract). orjson refuses all that
    ``api_errors.json_body`` refuses (NaN, Infinity, lone surrogates, nesting past its limit)
    except integers of 301 to 309 digits, which it reads as floats: no field of a specimen
    accepts such a number. A body that fails any of it goes to the resolver, which parses it
    again with ``api_errors.json_body`` and answers the documented error, echoing the refused
    values as that parser read them; so does every other route."""
    if (event.get("httpMethod"), event.get("resource")) != ("POST", "/predict") or event.get(
        "isBase64Encoded"
    ):
        return None
    try:
        request = PredictRequest.model_validate(orjson.loads(event.get("body") or ""))
    except ValueError:  # orjson's and pydantic's errors are ValueErrors
        return None
    try:
        return api_errors.proxy_response(200, predicted(request.specimens))
    except api_errors.InvalidSpecimens:
        return None
    except api_errors.ApiError as error:
        return api_errors.proxy_response(int(error.status), api_errors.response(error).body)


@metrics.log_metrics(capture_cold_start_metric=True)
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """API Gateway requests go to the resolver; S3 notifications on batch/ are scored, and the
    batch state machine's steps run (a file scored in parts)."""
    if batch_fanout.is_step(event):
        return batch_fanout.handle_step(event, service(), batch_limits(), fanout_clients()[0])
    if batch_scoring.is_s3_event(event):
        return batch_scoring.handle(event, service(), batch_limits(), fanout())
    refused = api_errors.refused_before_parsing(event, CONFIG.max_body_bytes)
    return refused or predicted_directly(event) or app.resolve(event, context)
