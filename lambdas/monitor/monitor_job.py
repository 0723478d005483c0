"""One monitor run: read the window, compute quality and drift, publish metrics, write a report."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent

from adapters.config import MonitorConfig
from adapters.observability import logger
from monitor_metrics import metric_data, publish
from monitor_store import MonitorStore, parse_time
from shadow_job import Act, challenger_tally, rules_of, settle_challenger
from mushroom import monitoring, shadow
from mushroom.monitoring_report import render_html
from mushroom.records.champion import ChampionPointer
from mushroom.records.reference import ReferenceProfile


def window_end(event: dict[str, Any], now: datetime) -> datetime:
    """The scheduled event's time (EventBridge ``time``), else now (a manual invoke)."""
    scheduled = EventBridgeEvent(event)
    return (parse_time(scheduled.time) if "time" in scheduled else None) or now


def read_window(
    logged: Iterable[dict],
    version: str | None,
    tally: monitoring.WindowTally,
    shadow_tally: shadow.ShadowTally | None,
) -> int:
    """One pass over the window's logged predictions, counting the champion's (quality and
    drift are about the model that serves; all of them before any champion); how many other
    versions' predictions were skipped."""
    skipped = 0
    for p in logged:
        if version is not None and str(p.get("model_version")) != version:
            skipped += 1
            continue
        tally.add(p)
        if shadow_tally is not None:
            shadow_tally.add(p)
    return skipped


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
    labels = monitoring.latest_feedback(store.feedback(start, end))
    tally = monitoring.WindowTally(labels, reference_of(store, pointer))
    shadow_tally = challenger_tally(pointer, labels)
    logged = store.predictions(start, end, config.max_specimens)
    skipped = read_window(logged, version, tally, shadow_tally)
    summary = tally.summary(config.drift_threshold, config.min_drift_specimens, config.min_labelled)
    if store.unread["objects"]:
        logger.warning(
            "monitor window past its limit",
            extra={"max_specimens": config.max_specimens, "unread": store.unread},
        )
    report = {
        "generated_at": end.isoformat(),
        "window": {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "minutes": config.window_minutes,
            "other_versions_skipped": skipped,
            "max_specimens": config.max_specimens,
            "unread": store.unread,
        },
        "champion": {"champion_version": version, "run_id": pointer.run_id if pointer else None},
        **summary,
        "shadow": settle_challenger(
            pointer,
            shadow_tally and shadow_tally.figures(),
            rules_of(config),
            end,
            act or _unsettled,
        ),
    }
    report["metrics_sent"] = publish(
        cloudwatch, config.metrics_namespace, metric_data(summary, version or "none", end)
    )
    report["report_prefix"] = store.write_report(end, report, render_html(report))
    return report
