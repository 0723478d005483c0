"""Data safety as deployed: versioned buckets, lifecycle rules that never expire what clients
sent, TLS-only bucket policies, and a failure destination on every asynchronous function."""

from __future__ import annotations

import json

import pytest

from mushroom import storage

pytestmark = pytest.mark.integration
KEPT = ("raw/", "batch/", "feedback/")  # uploads, batch inputs, feedback: every version kept
EXPIRING = ("Expiration", "NoncurrentVersionExpiration")


@pytest.fixture(scope="module")
def buckets(main_outputs) -> list[str]:
    return [main_outputs["data_bucket_name"], main_outputs["mlflow_artifact_bucket_name"]]


def rules(aws, bucket: str) -> list[dict]:
    return aws("s3").get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]


def prefix_of(rule: dict) -> str:
    return rule.get("Filter", {}).get("Prefix", rule.get("Prefix", ""))


def overlaps(prefix: str, kept: str) -> bool:
    """True when a rule with this prefix applies to some key under ``kept``."""
    return kept.startswith(prefix) or prefix.startswith(kept)


def test_both_buckets_are_versioned(aws, buckets):
    for bucket in buckets:
        assert aws("s3").get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled", bucket


def test_no_rule_expires_uploads_batch_inputs_or_feedback(aws, main_outputs):
    expiring = [r for r in rules(aws, main_outputs["data_bucket_name"]) if set(r) & set(EXPIRING)]
    assert expiring, "no expiring rules at all: the check below would prove nothing"
    touching = [(r["ID"], kept) for r in expiring for kept in KEPT if overlaps(prefix_of(r), kept)]
    assert touching == []


def test_monitor_reports_expire_but_not_the_retrain_cooldown_state(aws, main_outputs):
    reports = [
        r
        for r in rules(aws, main_outputs["data_bucket_name"])
        if r.get("Expiration")
        and "monitoring/2026-11-30T120000Z/report.json".startswith(prefix_of(r))
    ]
    assert reports, "monitor reports never expire"
    assert not any(storage.RETRAIN_STATE.startswith(prefix_of(r)) for r in reports)


def test_unfinished_multipart_uploads_are_aborted_in_both_buckets(aws, buckets):
    for bucket in buckets:
        aborting = [r for r in rules(aws, bucket) if "AbortIncompleteMultipartUpload" in r]
        assert any(prefix_of(r) == "" for r in aborting), bucket


def test_both_buckets_deny_requests_without_tls(aws, buckets):
    for bucket in buckets:
        policy = json.loads(aws("s3").get_bucket_policy(Bucket=bucket)["Policy"])
        denials = [
            s
            for s in policy["Statement"]
            if s["Effect"] == "Deny"
            and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        ]
        assert len(denials) == 1, policy
        arn = f"arn:aws:s3:::{bucket}"
        assert sorted(denials[0]["Resource"]) == [arn, f"{arn}/*"]
        assert denials[0]["Action"] in ("s3:*", ["s3:*"])


def test_every_asynchronous_function_sends_failed_events_to_the_queue(aws, main_outputs):
    lambda_ = aws("lambda")
    for name in main_outputs["function_names"].values():
        config = lambda_.get_function_event_invoke_config(FunctionName=name)
        destination = config["DestinationConfig"]["OnFailure"]["Destination"]
        assert destination == main_outputs["failed_events_queue_arn"], name
        assert config["MaximumRetryAttempts"] == 2, name
