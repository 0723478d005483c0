"""The debugging report of an alarm (mushroom/alarm_report.py) from the monitor's recent
reports, written under monitoring/alarms/ and linked by a presigned URL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Mapping

from mushroom import storage
from mushroom.alarm_report import AlarmFacts, render

HISTORY = 24  # monitor reports on the page (two hours at the default 5-minute schedule)
LOOK_BACK = timedelta(days=1)  # the listing starts here: a bounded page of keys, not all of them
LINK_SECONDS = 7 * 86_400  # SigV4's longest; the role's session may end the link sooner on AWS


def recent_reports(s3, bucket: str, now: datetime) -> list[dict[str, Any]]:
    """The last HISTORY monitor report.json documents of the past day, oldest first."""
    start = storage.monitoring_report_prefix(now - LOOK_BACK)
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=storage.MONITORING_RUNS, StartAfter=start
    )
    keys: list[str] = []
    for page in pages:
        keys += [o["Key"] for o in page.get("Contents", []) if o["Key"].endswith("/report.json")]
        keys = keys[-HISTORY:]
    return [json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()) for key in keys]


def report_alarm(
    s3, bucket: str, facts: AlarmFacts, champion: str, now: datetime, decisions: Mapping
) -> dict[str, str]:
    """Write the page; its key and a link a person can open."""
    page = render(
        AlarmFacts(facts.name, facts.reason, facts.since, decisions),
        recent_reports(s3, bucket, now),
        champion,
    )
    key = storage.alarm_report_key(facts.name, now)
    s3.put_object(
        Bucket=bucket, Key=key, Body=page.encode("utf-8"), ContentType="text/html; charset=utf-8"
    )
    link = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=LINK_SECONDS
    )
    return {"report_key": key, "report_url": link}
