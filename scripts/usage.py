"""The README's "Use it" section as data: one command block per use, placeholders filled in.

README.md is the one source of these commands. ``make run`` prints them at its end with the
real bucket, API address, key and ports (scripts/run.py), and tests/integration/test_readme.py
runs each block against the live local cloud, so the README cannot drift from the code.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## Use it"
SETUP = "Point the AWS CLI at the local cloud"  # the block every other block assumes
BLOCK = re.compile(r"^```bash\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Use:
    """One use of the system: its heading and its bash block as written."""

    title: str
    script: str


def section(text: str) -> str:
    """The text of the "Use it" section (up to the next second-level heading)."""
    start = text.find(f"\n{SECTION}\n")
    if start < 0:
        raise ValueError(f"README has no '{SECTION}' section")
    end = text.find("\n## ", start + len(SECTION) + 2)
    return text[start : end if end > 0 else len(text)]


def uses(text: str | None = None) -> list[Use]:
    """Each ``### heading`` of the section that has a bash block, with that block."""
    found = []
    for part in section(README.read_text() if text is None else text).split("\n### ")[1:]:
        title, _, body = part.partition("\n")
        blocks = BLOCK.findall(body)
        if len(blocks) > 1:
            raise ValueError(f"'{title}' has {len(blocks)} bash blocks; one per use")
        if blocks:
            found.append(Use(title.strip(), blocks[0]))
    return found


def values(outputs: Mapping, localstack_port: str, mlflow_port: str) -> dict[str, str]:
    """Placeholder → value for a deployed stack (Terraform outputs and the local ports)."""
    return {
        "<bucket>": outputs["data_bucket_name"],
        "<api-url>": outputs["api_local_url"],
        "<api-key>": outputs["api_key"],
        "<localstack-port>": str(localstack_port),
        "<mlflow-port>": str(mlflow_port),
    }


def fill(script: str, filled: Mapping[str, str]) -> str:
    """The block with every known placeholder replaced; an unknown ``<name>`` is an error."""
    for placeholder, value in filled.items():
        script = script.replace(placeholder, value)
    left = re.findall(r"<[a-z][a-z-]*>", script)
    if left:
        raise ValueError(f"placeholders without a value: {sorted(set(left))}")
    return script


def render(filled: Mapping[str, str], text: str | None = None) -> str:
    """The blocks as ``make run`` prints them: a comment line with the use, then its commands."""
    parts = [f"# {use.title}\n{fill(use.script, filled)}" for use in uses(text)]
    return "\n".join(parts).rstrip("\n")


def cli_environment(localstack_url: str) -> dict[str, str]:
    """This process's environment as the setup block leaves it: the project's tools first on
    the PATH, the AWS CLI pointed at LocalStack with test credentials."""
    tools = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": f"{tools}{os.pathsep}{os.environ.get('PATH', '')}",
        "DISABLE_DEPRECATION_NOTICE": "1",
        "AWS_ENDPOINT_URL": localstack_url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }
