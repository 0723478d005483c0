"""Loading a Lambda folder's handler the way the runtime does (folder on sys.path), for tests."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"


@dataclass
class FakeContext:
    """The attributes of a Lambda context that Powertools reads."""

    function_name: str = "test-function"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"


def load_handler(name: str, monkeypatch):
    """Import lambdas/<name>/handler.py fresh (its configuration is read at import)."""
    folder = LAMBDAS / name
    monkeypatch.syspath_prepend(str(folder))
    for module in [m for m in sys.modules if m.startswith(f"{name}_")]:
        monkeypatch.delitem(sys.modules, module)
    spec = importlib.util.spec_from_file_location(f"{name}_handler", folder / "handler.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
