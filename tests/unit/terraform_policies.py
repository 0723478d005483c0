"""The IAM policy documents of every role, rendered by Terraform from terraform/ without AWS.

`terraform test` applies a copy of the stack with every managed resource overridden (no
provider call, nothing leaves the machine); only the aws_iam_policy_document data sources run,
in the provider, as on a real deploy. The overrides give the resources the ARNs AWS would give
them under the names below (moto's account), so a test cloud built with the same names matches
the policies. The result is cached in build/ under a hash of the Terraform sources.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import tempfile
from pathlib import Path

from tests.infrastructure.conftest import (
    BUILD,
    LOCAL_ONLY,
    REPO,
    TERRAFORM_DIR,
    stack_copy,
    terraform_env,
)

ACCOUNT, REGION, PROJECT = "123456789012", "us-east-1", "mushroom"
FUNCTIONS = ("ingest", "predict", "monitor", "retrain")
DATA_BUCKET = f"{PROJECT}-data"
ARTIFACT_BUCKET = f"{PROJECT}-mlflow-artifacts"
TRAINING_QUEUE = f"{PROJECT}-training-jobs"
ALERTS_TOPIC = f"{PROJECT}-alerts"
CHAMPION_PARAMETER = f"/{PROJECT}/champion"
PREDICTION_KEY_PARAMETER = f"/{PROJECT}/prediction-id-key"
TRAINING_WORKER = "training_worker"
WORKER_POLICY = f"{PROJECT}-training-worker"
PREDICTION_STREAM = f"{PROJECT}-predictions"
DELIVERY = "prediction_log_delivery"  # the role Firehose delivers the prediction log with
BATCH_FANOUT = "batch_fanout"  # the batch state machine's role (terraform/batch_fanout.tf)
BATCH_STATE_MACHINE = f"{PROJECT}-batch"


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def resource_arns() -> dict[str, str]:
    """ARN of each resource the policies name, by Terraform address."""
    arns = {
        "aws_s3_bucket.data": f"arn:aws:s3:::{DATA_BUCKET}",
        "aws_s3_bucket.mlflow_artifacts": f"arn:aws:s3:::{ARTIFACT_BUCKET}",
        "aws_sqs_queue.training_jobs": _arn("sqs", TRAINING_QUEUE),
        "aws_sqs_queue.training_jobs_dlq": _arn("sqs", f"{TRAINING_QUEUE}-dlq"),
        "aws_sqs_queue.failed_events": _arn("sqs", f"{PROJECT}-failed-events"),
        "aws_sns_topic.alerts": _arn("sns", ALERTS_TOPIC),
        "aws_ssm_parameter.champion": _arn("ssm", f"parameter{CHAMPION_PARAMETER}"),
        "aws_ssm_parameter.prediction_id_key": _arn("ssm", f"parameter{PREDICTION_KEY_PARAMETER}"),
        "aws_iam_policy.training_worker": f"arn:aws:iam::{ACCOUNT}:policy/{WORKER_POLICY}",
        "aws_kinesis_firehose_delivery_stream.predictions": _arn(
            "firehose", f"deliverystream/{PREDICTION_STREAM}"
        ),
        # pulled in through the alarms' actions on the functions, which name their layers
        "aws_lambda_layer_version.this": _arn("lambda", f"layer:{PROJECT}-layer:1"),
    }
    for name in FUNCTIONS:
        group = f"log-group:/aws/lambda/{PROJECT}-{name}"
        arns[f'aws_cloudwatch_log_group.function["{name}"]'] = _arn("logs", group)
        arns[f'aws_lambda_function.this["{name}"]'] = function_arn(name)
    return arns


def function_arn(name: str) -> str:
    return _arn("lambda", f"function:{PROJECT}-{name}")


def state_machine_arn() -> str:
    return _arn("states", f"stateMachine:{BATCH_STATE_MACHINE}")


def role_ids() -> dict[str, str]:
    """Each function's role, given the function's name as id: an inline policy's ``role``
    attribute then says whose it is (iam.tf's, or one kept in another file)."""
    roles = {f'aws_iam_role.function["{name}"]': name for name in FUNCTIONS}
    return {
        **roles,
        f"aws_iam_role.{DELIVERY}": DELIVERY,
        f"aws_iam_role.{BATCH_FANOUT}": BATCH_FANOUT,
    }


def _managed_resources(root: Path) -> list[str]:
    """Addresses of every managed resource of the root module."""
    found = []
    for path in sorted(root.glob("*.tf")):
        found += [
            f"{t}.{n}" for t, n in re.findall(r'^resource "(\w+)" "(\w+)"', path.read_text(), re.M)
        ]
    return found


def render_test(root: Path) -> str:
    """A terraform test that applies only the policies, every managed resource overridden."""
    arns, roles = resource_arns(), role_ids()
    with_instances = {address.split("[")[0] for address in [*arns, *roles] if "[" in address}
    blocks = [
        'provider "aws" {\n  region = "%s"\n  access_key = "test"\n  secret_key = "test"\n'
        "  skip_credentials_validation = true\n  skip_requesting_account_id = true\n"
        "  skip_metadata_api_check = true\n}\n" % REGION,
        "override_data {\n  target = data.aws_caller_identity.current\n"
        f'  values = {{ account_id = "{ACCOUNT}" }}\n}}\n',
    ]
    for address in _managed_resources(root):
        if address not in arns and address not in roles and address not in with_instances:
            blocks.append(f"override_resource {{\n  target = {address}\n}}\n")
    for address, arn in arns.items():
        blocks.append(
            f'override_resource {{\n  target = {address}\n  values = {{ arn = "{arn}" }}\n}}\n'
        )
    for address, role in roles.items():
        blocks.append(
            f"override_resource {{\n  target = {address}\n"
            f'  values = {{ id = "{role}", arn = "arn:aws:iam::{ACCOUNT}:role/{role}" }}\n}}\n'
        )
    role_policies = [a for a in _managed_resources(root) if a.startswith("aws_iam_role_policy.")]
    targets = ", ".join([*role_policies, "aws_iam_policy.training_worker"])
    blocks.append(
        f'run "policies" {{\n  command = apply\n  plan_options {{\n    target = [{targets}]\n'
        "  }\n}\n"
    )
    return "\n".join(blocks)


def _sources_digest() -> str:
    digest = hashlib.sha256()
    stack = [
        p
        for p in TERRAFORM_DIR.rglob("*.tf")
        if not p.match(LOCAL_ONLY) and ".terraform" not in p.parts
    ]
    files = sorted(stack) + [REPO / "layers" / "functions.json"]
    for path in files + [Path(__file__)]:
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _policies_in_state(state: dict) -> dict[str, dict]:
    """Role -> one document with the statements of all its inline policies (what AWS grants)."""
    policies = {}
    for resource in state["root_module"]["resources"]:
        if resource["type"] == "aws_iam_role_policy":
            document = json.loads(resource["values"]["policy"])
            role = policies.setdefault(resource["values"]["role"], {**document, "Statement": []})
            role["Statement"] += document["Statement"]
        elif resource["address"] == "aws_iam_policy.training_worker":
            policies[TRAINING_WORKER] = json.loads(resource["values"]["policy"])
    return policies


def _run(args: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def render(workdir: Path) -> dict[str, dict]:
    """Run terraform on a copy of the stack in workdir; role name -> policy document."""
    root = stack_copy(workdir)
    (root / "policies.tftest.hcl").write_text(render_test(root))
    env = {**terraform_env(), "TF_DATA_DIR": str(workdir / "data")}
    init = _run(["terraform", "init", "-backend=false", "-no-color"], root, env)
    if init.returncode != 0:
        raise RuntimeError(f"terraform init failed:\n{init.stdout[-3000:]}{init.stderr[-3000:]}")
    # The exit code is not the verdict: the clean-up after the run evaluates the whole stack
    # (the Lambda zips, absent here) and fails, after the state we need was printed.
    test = _run(["terraform", "test", "-json", "-verbose", "-no-color"], root, env)
    lines = test.stdout.splitlines()
    states = [json.loads(line)["test_state"] for line in lines if '"test_state"' in line]
    policies = _policies_in_state(states[-1]) if states else {}
    if set(policies) != {*FUNCTIONS, TRAINING_WORKER, DELIVERY, BATCH_FANOUT}:
        raise RuntimeError(f"terraform test rendered {sorted(policies)}:\n{test.stdout[-4000:]}")
    return policies


def role_policies() -> dict[str, dict]:
    """Role name (ingest, predict, monitor, retrain, training_worker, prediction_log_delivery,
    batch_fanout) -> its policy document."""
    cached = BUILD / "iam-policies" / f"{_sources_digest()}.json"
    if not cached.exists():
        with tempfile.TemporaryDirectory() as tmp:
            policies = render(Path(tmp))
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(policies, indent=1, sort_keys=True))
    return json.loads(cached.read_text())
