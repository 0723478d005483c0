"""Request and response models of the prediction API (they also generate its OpenAPI)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from mushroom import contract

MAX_SPECIMENS = 1000
Decision = Literal["edible", "poisonous", "unsure: do not eat"]


def _field_schema(column: contract.Column) -> dict[str, Any]:
    """JSON schema of one feature, taken from the data contract."""
    if isinstance(column, contract.Numeric):
        schema = {
            "type": "number",
            "minimum": column.minimum,
            "maximum": column.maximum,
            "description": f"{column.name} in {column.unit}",
        }
    else:
        meaning = ", ".join(f"{code}={text}" for code, text in column.codes.items())
        schema = {"type": "string", "enum": sorted(column.codes), "description": meaning}
    if column.required:
        return schema
    return {"anyOf": [schema, {"type": "null"}], "description": schema["description"]}


def specimen_schema() -> dict[str, Any]:
    """A specimen as the contract defines it (underscore spellings are accepted too)."""
    return {
        "type": "object",
        "title": "Specimen",
        "description": "Field names as in the data set's header; '_' may replace '-'. "
        "Optional fields may be omitted or null.",
        "properties": {c.name: _field_schema(c) for c in contract.FEATURES},
        "required": [c.name for c in contract.FEATURES if c.required],
        "additionalProperties": False,
    }


# Documented from the contract; checked by the contract (one set of rules, one wording).
Specimen = Annotated[dict[str, Any], WithJsonSchema(specimen_schema())]


class Strict(BaseModel):
    """Refuse fields the API does not define."""

    model_config = ConfigDict(extra="forbid")


class PredictRequest(Strict):
    """One to 1,000 specimens to classify."""

    specimens: list[Specimen] = Field(min_length=1, max_length=MAX_SPECIMENS)

    def __repr__(self) -> str:
        """Short: the resolver formats the route's arguments into a debug message on every
        request, and the full repr of 1,000 specimens costs milliseconds."""
        return f"PredictRequest(<{len(self.specimens)} specimens>)"


class Candidate(BaseModel):
    """A training species consistent with the fields given."""

    species: str
    edibility: Literal["edible", "poisonous"]


class PredictionResult(BaseModel):
    """The served answer for one specimen; act on ``decision``, never on ``prediction``."""

    prediction: Literal["edible", "poisonous"]
    probability_poisonous: float = Field(ge=0.0, le=1.0)
    decision: Decision
    candidates: list[Candidate] = Field(
        description="Training species consistent with the fields given (a field left out "
        "rules nothing out), most likely first; at most 3, with the likeliest edible and "
        "poisonous one when they disagree."
    )
    candidate_count: int = Field(ge=0, description="How many training species fit in all.")
    settle: list[str] = Field(
        description="Fields left out whose value would separate the edible from the "
        "poisonous candidates (empty when they agree, or when no field would)."
    )
    explanation: str = Field(
        description="One line, e.g. 'tell us stem-surface: Common Morel (edible) or Turban "
        "Fungus (poisonous)'."
    )
    prediction_id: str
    model_version: str


class PredictResponse(BaseModel):
    """Results in the order of the request's specimens."""

    model_version: str
    results: list[PredictionResult]


class FeedbackRequest(Strict):
    """The observed class of a specimen that was predicted earlier."""

    prediction_id: UUID
    observed_class: Literal["e", "p"]


class FeedbackResponse(BaseModel):
    """Where the feedback was stored."""

    prediction_id: str
    observed_class: Literal["e", "p"]
    stored: bool


class Challenger(BaseModel):
    """A version in shadow: scored beside the champion and logged, never served."""

    model_version: str
    in_shadow_since: str | None = None


class ModelInfo(BaseModel):
    """The serving champion, from the SSM pointer."""

    model_version: str
    run_id: str | None = None
    trained_at: str | None = None
    threshold: float | None = None
    decision_rule: str = Field(description="How the served decision is made.")
    metrics: dict[str, Any] = Field(default_factory=dict)
    challenger: Challenger | None = Field(
        None,
        description="The version in shadow, if any, until the monitor promotes or retires it "
        "(docs/operations.md).",
    )


class Health(BaseModel):
    """Liveness, and whether a champion is loaded in this container."""

    status: Literal["ok"]
    model_loaded: bool
    model_version: str | None = None


class ErrorDetail(BaseModel):
    """One refused field (or body part)."""

    specimen: int | None = None
    field: str
    value: Any = None
    rule: str
    message: str


class ErrorResponse(BaseModel):
    """Every client or availability error has this shape."""

    statusCode: int
    message: str
    errors: list[ErrorDetail] = Field(default_factory=list)
