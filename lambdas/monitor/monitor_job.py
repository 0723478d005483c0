"""One monitor run: read the window, compute quality and drift, publish metrics, write a report."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent

from adapters.config import MonitorConfig
from monitor_metrics import metric_data, publish
from monitor_store import MonitorStore, parse_time
from shadow_job import Act, rules_of, settle_challenger
from mushroom import monitoring
from mushroom.monitoring_report import render_html
from mushroom.records.champion import ChampionPointer
from mushroom.records.reference import ReferenceProfile


def window_end(event: dict[str, Any], now: datetime) -> datetime:
    """The scheduled event's time (EventBridge ``time``), else now (a manual invoke)."""
    scheduled = EventBridgeEvent(event)
    return (parse_time(scheduled.time) if "time" in scheduled else None) or now


def serving(predictions: list[dict], version: str | None) -> list[dict]:
    """Only the champion's predictions: quality and drift are about the model that serves."""
    if version is None:
        return predictions
    return [p for p in predictions if str(p.get("model_version")) == version]


def _unsettled(verdict, pointer) -> None:
    raise RuntimeError("a challenger verdict is due but the monitor was given no way to act")


def reference_of(store: MonitorStore, pointer: ChampionPointer | None) -> ReferenceProfile | None:
    """The champion's reference profile (None without champion or profile)."""
    return store.reference_profile(pointer) if pointer else None


def run_monitor(
    config: MonitorConfig, store: MonitorStore, cloudwatch, end: datetime, act: Act | None = None
) -> dict:
    """Compute, publish and store the report of the window ending at ``end``; settle the
    challenger in shadow, if any, with ``act`` (shadow_job.py)."""
    start = end - timedelta(minutes=config.window_minutes)
    pointer = store.champion()
    version = pointer.version if pointer else None
    logged = store.predictions(start, end)
    predictions = serving(logged, version)
    feedback = store.feedback(start, end)
    summary = monitoring.summarise_window(
        predictions,
        feedback,
        reference_of(store, pointer),
        config.drift_threshold,
        config.min_drift_specimens,
        config.min_labelled,
    )
    report = {
        "generated_at": end.isoformat(),
        "window": {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "minutes": config.window_minutes,
            "other_versions_skipped": len(logged) - len(predictions),
        },
        "champion": {"champion_version": version, "run_id": pointer.run_id if pointer else None},
        **summary,
        "shadow": settle_challenger(
            pointer, predictions, feedback, rules_of(config), end, act or _unsettled
        ),
    }
    report["metrics_sent"] = publish(
        cloudwatch, config.metrics_namespace, metric_data(summary, version or "none", end)
    )
    report["report_prefix"] = store.write_report(end, report, render_html(report))
    return report
