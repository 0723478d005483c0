"""IAM enforced on moto: a component's calls are allowed only by its role's policy from Terraform.

moto 5.2.5 authenticates every call once IAM authentication is on (the caller is the IAM user
whose access key signed it) and checks the user's policies, but its decision step has gaps that
would hide denials or invent them: SNS and SSM calls are checked against resource "*", CloudWatch
actions carry the signing name (monitoring:...), StringLike conditions are skipped and a missing
condition key counts as a match. `enforce` replaces that decision step with `allowed` below: the
IAM evaluation our policies need (Allow/Deny, wildcards, StringEquals/StringLike conditions),
with the action, resource and condition keys AWS would use for the request. It also answers as
S3 does for a missing object: 404 only to a caller allowed s3:ListBucket on the bucket, else 403
AccessDenied (a ListBucket scoped by an s3:prefix condition does not count: a GET carries no
prefix).
"""

from __future__ import annotations

import fnmatch
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

import boto3
from moto.core import enable_iam_authentication
from moto.iam.access_control import IAMPolicy, IAMRequestBase
from moto.s3.models import s3_backends

from tests.unit import terraform_policies as names

# API operations authorised under another action's name (AWS's service authorization reference).
IAM_ACTIONS = {
    "s3:CreateMultipartUpload": "s3:PutObject",
    "s3:UploadPart": "s3:PutObject",
    "s3:CompleteMultipartUpload": "s3:PutObject",
    "s3:HeadBucket": "s3:ListBucket",
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}
SIGNING_NAMES = {"monitoring": "cloudwatch"}  # CloudWatch signs as "monitoring"
CONDITION_TESTS = {
    "StringEquals": lambda value, pattern: value == pattern,
    "StringLike": lambda value, pattern: fnmatch.fnmatchcase(value, pattern),
}


def forget_mlflow_s3_clients() -> None:
    """MLflow caches its S3 client (keyed without the environment's credentials): a client made
    by an earlier test would upload artifacts with that test's keys, not the role's."""
    from mlflow.store.artifact import s3_artifact_repo

    s3_artifact_repo._cached_get_s3_client.cache_clear()


@dataclass(frozen=True)
class Call:
    """One AWS request as IAM sees it."""

    action: str
    resource: str
    context: dict = field(default_factory=dict)

    def __str__(self) -> str:
        keys = "".join(f" {k}={v!r}" for k, v in self.context.items())
        return f"{self.action} on {self.resource}{keys}"


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _matches(patterns, value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in _as_list(patterns))


def _conditions_hold(conditions: dict, context: dict) -> bool:
    for operator, tests in conditions.items():
        if operator not in CONDITION_TESTS:
            raise NotImplementedError(f"condition operator {operator} is not evaluated here")
        for key, patterns in tests.items():
            value = context.get(key)
            if value is None or not any(
                CONDITION_TESTS[operator](value, p) for p in _as_list(patterns)
            ):
                return False
    return True


def applies(statement: dict, call: Call) -> bool:
    """Whether the statement speaks about this call (action, resource and conditions match)."""
    if "NotAction" in statement or "NotResource" in statement:
        raise NotImplementedError("NotAction/NotResource are not evaluated here")
    actions = [action.lower() for action in _as_list(statement["Action"])]
    return (
        _matches(actions, call.action.lower())  # action names are case-insensitive
        and _matches(statement["Resource"], call.resource)
        and _conditions_hold(statement.get("Condition", {}), call.context)
    )


def allowed(documents: list[dict], call: Call) -> bool:
    """IAM's identity-policy verdict: some Allow applies and no Deny does."""
    effects = {s["Effect"] for d in documents for s in _as_list(d["Statement"]) if applies(s, call)}
    return "Allow" in effects and "Deny" not in effects


def _parameters(request: IAMRequestBase) -> dict:
    """The request's parameters: a JSON body (SSM, CloudWatch) or query/form fields (SNS)."""
    body = request._body or b""
    if body[:1] == b"{":
        return json.loads(body)
    return {k: v[0] if isinstance(v, list) else v for k, v in (request._data or {}).items()}


def _resource(request: IAMRequestBase, service: str, resource: str, parameters: dict) -> str:
    """The ARN AWS authorises; moto passes "*" for services it does not resolve."""
    if resource != "*":
        return resource
    if service == "sns" and "TopicArn" in parameters:
        return parameters["TopicArn"]
    if service == "firehose" and "DeliveryStreamName" in parameters:
        stream = parameters["DeliveryStreamName"]
        return f"arn:aws:firehose:{request._region}:{request.account_id}:deliverystream/{stream}"
    if service == "states" and "stateMachineArn" in parameters:
        return parameters["stateMachineArn"]
    if service == "ssm" and "Name" in parameters:
        name = parameters["Name"].lstrip("/")
        return f"arn:aws:ssm:{request._region}:{request.account_id}:parameter/{name}"
    alarms = parameters.get("AlarmNames") or [parameters.get("AlarmNames.member.1")]
    if service == "cloudwatch" and len(alarms) == 1 and alarms[0]:  # one alarm: its own ARN
        return f"arn:aws:cloudwatch:{request._region}:{request.account_id}:alarm:{alarms[0]}"
    return resource


def describe(request: IAMRequestBase, resource: str) -> Call:
    """The IAM action, resource and condition keys of a request moto received."""
    service, _, operation = request._action.partition(":")
    query = {
        k: v[0] for k, v in parse_qs(urlparse(request._path).query, keep_blank_values=True).items()
    }
    if service == "s3" and operation == "GetObject" and "versionId" in query:
        operation = "GetObjectVersion"  # moto maps GET ?versionId, but not HEAD ?versionId
    service = SIGNING_NAMES.get(service, service)
    action = IAM_ACTIONS.get(f"{service}:{operation}", f"{service}:{operation}")
    parameters = {} if service == "s3" else _parameters(request)  # an S3 body is the object
    context = {}
    if action in ("s3:ListBucket", "s3:ListBucketVersions") and "prefix" in query:
        context["s3:prefix"] = query["prefix"]
    if action == "cloudwatch:PutMetricData":
        context["cloudwatch:namespace"] = parameters.get("Namespace")
    return Call(action, _resource(request, service, resource, parameters), context)


@dataclass
class Decision:
    principal: str
    call: Call
    allowed: bool
    reason: str = ""

    def __str__(self) -> str:
        verdict = "allowed" if self.allowed else "DENIED"
        return f"{verdict}: {self.principal} {self.call}{self.reason}"


def _missing_object(request: IAMRequestBase, call: Call) -> str | None:
    """The bucket ARN when the call reads an object that does not exist, else None."""
    if call.action not in ("s3:GetObject", "s3:GetObjectVersion"):
        return None
    bucket, _, key = call.resource.removeprefix("arn:aws:s3:::").partition("/")
    found = s3_backends[request.account_id]["aws"].buckets.get(bucket)
    if found is None or found.keys.get(key) is not None:
        return None
    return f"arn:aws:s3:::{bucket}"


def _decide(request: IAMRequestBase, call: Call) -> Decision:
    documents = [IAMPolicy(p)._policy_json for p in request._access_key.collect_policies()]
    principal = request._access_key.arn
    if not allowed(documents, call):
        return Decision(principal, call, False)
    bucket = _missing_object(request, call)
    if bucket and not allowed(documents, Call("s3:ListBucket", bucket)):
        reason = " (no such key, and no s3:ListBucket on the bucket: S3 answers 403)"
        return Decision(principal, call, False, reason)
    return Decision(principal, call, True)


def enforce(monkeypatch) -> list[Decision]:
    """Install the evaluator in moto; returns the list every decision is appended to."""
    decisions: list[Decision] = []

    def check_action_permitted(request: IAMRequestBase, resource: str) -> None:
        call = describe(request, resource)
        if call.action == "sts:GetCallerIdentity":
            return
        decision = _decide(request, call)
        decisions.append(decision)
        if not decision.allowed:
            request._raise_access_denied()

    monkeypatch.setattr(IAMRequestBase, "check_action_permitted", check_action_permitted)
    return decisions


class EnforcedCloud:
    """moto with the stack's buckets, queue, topic and parameter, and one IAM user per role.

    Set-up and checks run unauthenticated; only the block under ``role(name)`` runs with IAM
    enforced and that role's access key in the environment (a fresh boto3 default session, so
    clients created inside the block sign with it).
    """

    def __init__(self, policies: dict[str, dict], monkeypatch):
        self.monkeypatch, self.keys = monkeypatch, {}
        self.decisions = enforce(monkeypatch)
        self.s3, self.sqs, self.sns, self.ssm = (
            boto3.client(name, region_name=names.REGION) for name in ("s3", "sqs", "sns", "ssm")
        )
        self._create_resources()
        for role, document in policies.items():
            self.add_role(role, document)

    def _create_resources(self) -> None:
        for bucket in (names.DATA_BUCKET, names.ARTIFACT_BUCKET):
            self.s3.create_bucket(Bucket=bucket)
            self.s3.put_bucket_versioning(
                Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
            )
        self.queue_url = self.sqs.create_queue(QueueName=names.TRAINING_QUEUE)["QueueUrl"]
        self.topic_arn = self.sns.create_topic(Name=names.ALERTS_TOPIC)["TopicArn"]
        self.inbox_url = self.sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
        inbox = self.sqs.get_queue_attributes(QueueUrl=self.inbox_url, AttributeNames=["QueueArn"])
        self.sns.subscribe(
            TopicArn=self.topic_arn, Protocol="sqs", Endpoint=inbox["Attributes"]["QueueArn"]
        )
        self.ssm.put_parameter(
            Name=names.CHAMPION_PARAMETER, Value='{"status": "none"}', Type="String"
        )
        boto3.client("firehose", region_name=names.REGION).create_delivery_stream(
            DeliveryStreamName=names.PREDICTION_STREAM,
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": f"arn:aws:iam::{names.ACCOUNT}:role/{names.DELIVERY}",
                "BucketARN": f"arn:aws:s3:::{names.DATA_BUCKET}",
                "Prefix": "predictions/",
            },
        )
        self.ssm.put_parameter(
            Name=names.PREDICTION_KEY_PARAMETER,
            Value="iam-test-key-0123456789",
            Type="SecureString",
        )

    def add_role(self, role: str, document: dict) -> None:
        """An IAM user standing for the role: the policy document is its only permission."""
        iam = boto3.client("iam", region_name=names.REGION)
        iam.create_user(UserName=role)
        iam.put_user_policy(UserName=role, PolicyName=role, PolicyDocument=json.dumps(document))
        self.keys[role] = iam.create_access_key(UserName=role)["AccessKey"]

    @contextmanager
    def role(self, name: str):
        """Run the block as the role, with IAM enforced."""
        key = self.keys[name]
        with self.monkeypatch.context() as patch, enable_iam_authentication():
            patch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
            patch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
            patch.setattr(boto3, "DEFAULT_SESSION", None)
            forget_mlflow_s3_clients()
            try:
                yield
            finally:
                forget_mlflow_s3_clients()

    def actions(self, role: str) -> set[str]:
        """The actions the role was allowed (proof its calls went through the policy check)."""
        user = f":user/{role}"
        mine = (d for d in self.decisions if d.principal.endswith(user) and d.allowed)
        return {d.call.action for d in mine}

    def denied(self) -> list[str]:
        """Calls the policies refused (not S3's 403 for a missing key: the code expects those)."""
        return [str(d) for d in self.decisions if not d.allowed and not d.reason]

    def messages(self, url: str) -> list[dict]:
        got = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        return [json.loads(m["Body"]) for m in got.get("Messages", [])]

    def alerts(self) -> list[dict]:
        return [json.loads(body["Message"]) for body in self.messages(self.inbox_url)]

    def keys_under(self, prefix: str, bucket: str = names.DATA_BUCKET) -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for item in listing.get("Contents", []))
