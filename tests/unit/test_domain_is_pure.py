"""The domain package imports no AWS SDK: S3, SQS, SNS and SSM are reached through adapters/."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "mushroom"
AWS = {"boto3", "botocore", "aws_lambda_powertools", "adapters"}


def imported_packages(path: Path) -> set[str]:
    """The top-level packages a module imports anywhere (also inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_no_domain_module_imports_an_aws_sdk_or_the_adapters():
    # Given every module of the domain package
    modules = sorted(DOMAIN.rglob("*.py"))
    assert len(modules) > 10
    # When their imports are collected / Then none is boto3, botocore, Powertools or adapters
    offending = {
        str(path.relative_to(DOMAIN)): sorted(imported_packages(path) & AWS) for path in modules
    }
    assert {name: found for name, found in offending.items() if found} == {}


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from botocore.exceptions import ClientError\n")
    assert imported_packages(module) == {"botocore"}
