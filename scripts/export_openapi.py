"""Write the prediction API's OpenAPI document, generated from the code, to docs/openapi.json."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = REPO / "docs" / "openapi.json"


def document() -> str:
    """The OpenAPI document as committed (sorted keys, two-space indent, final newline)."""
    sys.path.insert(0, str(REPO / "lambdas" / "predict"))
    os.environ.setdefault("DATA_BUCKET", "unused")
    import handler

    return json.dumps(handler.openapi_document(), indent=2, sort_keys=True) + "\n"


def main() -> int:
    """Write the document; prints where."""
    TARGET.write_text(document())
    print(f"wrote {TARGET.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
