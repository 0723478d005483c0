"""IAM is not enforced by LocalStack, so least privilege is checked on the deployed policies.

That the policies are also enough is shown by tests/unit/test_iam_enforced.py, which runs each
component on moto with exactly its role's policy and checks the same narrowness offline.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.infrastructure.conftest import STATE, TERRAFORM_DIR, terraform_env

# Data-plane services: every statement must name its resources.
DATA_PLANE = ("s3", "sqs", "sns", "ssm", "lambda", "kms", "logs")
# Actions AWS does not scope by resource; allowed on "*" only with a condition.
RESOURCE_LESS = {"cloudwatch:PutMetricData"}


def deployed_policies() -> dict[str, dict]:
    """Policy documents in the main stack's state, by resource address."""
    data_dir = STATE / "terraform" / "local-main" / "data"
    if not (STATE / "terraform" / "local-main" / "terraform.tfstate").exists():
        pytest.skip("the main stack is not deployed (make deploy)")
    env = {**terraform_env(), "TF_DATA_DIR": str(data_dir)}
    shown = subprocess.run(
        ["terraform", "show", "-json", "-no-color"],
        cwd=TERRAFORM_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    modules = [json.loads(shown.stdout)["values"]["root_module"]]
    policies = {}
    while modules:
        module = modules.pop()
        modules += module.get("child_modules", [])
        for resource in module.get("resources", []):
            if (
                resource["type"] in ("aws_iam_role_policy", "aws_iam_policy")
                and resource["mode"] == "managed"
            ):
                policies[resource["address"]] = json.loads(resource["values"]["policy"])
    return policies


def statements(document: dict) -> list[dict]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def problems(statement: dict) -> list[str]:
    """Reasons a statement is too broad (empty when it is narrow)."""
    actions = as_list(statement.get("Action", []))
    resources = as_list(statement.get("Resource", []))
    found = [f"wildcard action {a}" for a in actions if "*" in a]
    if "NotAction" in statement or "NotResource" in statement:
        found.append("NotAction/NotResource")
    if "*" in resources:
        if not set(actions) <= RESOURCE_LESS or "Condition" not in statement:
            found.append(f"Resource '*' for {actions}")
    for resource in (r for r in resources if r != "*"):
        parts = resource.split(":", 5)
        service, region, account, name = parts[2], parts[3], parts[4], parts[5]
        if "*" in region + account or "*" in name.split("/")[0].split(":")[0]:
            found.append(f"unnamed resource {resource}")
        if service in DATA_PLANE and name.endswith(":*") and service != "logs":
            found.append(f"wildcard suffix {resource}")
    return found


@pytest.fixture(scope="module")
def policies() -> dict[str, dict]:
    found = deployed_policies()
    assert found, "no IAM policies in the state"
    return found


@pytest.mark.integration  # reads the deployed stack's state
def test_every_planned_function_has_a_role_policy(policies):
    for function in ("ingest", "predict", "monitor", "retrain"):
        assert any(f'["{function}"]' in address or function in address for address in policies)


def broad_statements(policies: dict[str, dict]) -> dict[str, list[str]]:
    """Each too-broad statement ("<policy> <Sid>") with its problems."""
    broad = {
        f"{name} {s.get('Sid', '')}": problems(s)
        for name, document in policies.items()
        for s in statements(document)
    }
    return {key: found for key, found in broad.items() if found}


@pytest.mark.integration  # reads the deployed stack's state
def test_policies_are_narrow(policies):
    broad = broad_statements(policies)
    assert not broad, json.dumps(broad, indent=2)


def test_checker_flags_broad_statements():
    assert problems({"Action": "s3:*", "Resource": "arn:aws:s3:::b/*"})
    assert problems({"Action": "s3:GetObject", "Resource": "*"})
    assert problems({"Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:1:*"})
    assert problems({"Action": "cloudwatch:PutMetricData", "Resource": "*"})
    assert not problems(
        {
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "Mushroom"}},
        }
    )
    assert not problems({"Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/raw/*"]})
