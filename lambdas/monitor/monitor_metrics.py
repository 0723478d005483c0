"""The monitor's CloudWatch metrics: names, units, and the PutMetricData call.

Sent with PutMetricData, not Powertools' embedded metric format: LocalStack does not turn
EMF log lines into metrics, and the alarms must see these values. Every value is sent twice:
without dimensions (what the alarms and the dashboard watch, whichever version serves) and
with ``ModelVersion`` (per-version history).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

# metric name -> (report section, key, unit); quality and drift only when their status is ok
VOLUME = {
    "PredictionCount": ("prediction_count", "Count"),
    "PoisonousPredictedShare": ("poisonous_predicted_share", "None"),
    "LabelledCount": ("labelled_count", "Count"),
    "LabelCoverage": ("label_coverage", "None"),
}
QUALITY = {
    "Accuracy": ("accuracy", "None"),
    "Precision": ("precision", "None"),
    "Recall": ("recall", "None"),
    "F1": ("f1", "None"),
    "FalseEdibleRate": ("false_edible_rate", "None"),  # by the raw model prediction
    "ServedFalseEdibleRate": ("served_false_edible_rate", "None"),  # by the served decision
    "UnsureRate": ("unsure_rate", "None"),
}
DRIFT = {
    "DriftedFeatureShare": ("drifted_share", "None"),
    "MaxPSI": ("max_psi", "None"),
}
FEATURE_PSI = "FeaturePSI"  # one series per feature (dimension Feature)
BATCH = 20


def _values(section: dict[str, Any], names: dict[str, tuple[str, str]]) -> list[tuple]:
    return [
        (name, section[key], unit)
        for name, (key, unit) in names.items()
        if section.get(key) is not None
    ]


def metric_values(summary: dict[str, Any]) -> list[tuple[str, float, str, dict]]:
    """(name, value, unit, extra dimensions) of one monitoring window."""
    values = [(*v, {}) for v in _values(summary["volume"], VOLUME)]
    if summary["quality"]["status"] == "ok":
        values += [(*v, {}) for v in _values(summary["quality"], QUALITY)]
    drift = summary["drift"]
    if drift["status"] == "ok":
        values += [(*v, {}) for v in _values(drift, DRIFT)]
        values += [
            (FEATURE_PSI, psi, "None", {"Feature": name}) for name, psi in drift["psi"].items()
        ]
    return values


def metric_data(summary: dict[str, Any], model_version: str, when: datetime) -> list[dict]:
    """PutMetricData entries: each value without dimensions and with ModelVersion."""
    data = []
    for name, value, unit, extra in metric_values(summary):
        for dims in (extra, {**extra, "ModelVersion": model_version}):
            data.append(
                {
                    "MetricName": name,
                    "Value": float(value),
                    "Unit": unit,
                    "Timestamp": when,
                    "Dimensions": _dimensions(dims),
                }
            )
    return data


def _dimensions(dims: dict[str, str]) -> list[dict[str, str]]:
    return [{"Name": k, "Value": str(v)} for k, v in dims.items()]


def publish(cloudwatch, namespace: str, data: list[dict]) -> int:
    """Send the entries in batches; returns how many were sent."""
    for start in range(0, len(data), BATCH):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start : start + BATCH])
    return len(data)
