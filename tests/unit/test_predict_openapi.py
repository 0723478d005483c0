"""The committed OpenAPI document is the one the code generates."""

from __future__ import annotations

import json

from scripts.export_openapi import TARGET, document


def test_committed_openapi_document_is_up_to_date():
    # Regenerate with: .venv/bin/python scripts/export_openapi.py
    assert TARGET.exists(), "docs/openapi.json is missing"
    assert json.loads(TARGET.read_text()) == json.loads(document())


def test_document_lists_every_route_and_its_error_codes():
    paths = json.loads(document())["paths"]
    assert set(paths) == {"/predict", "/feedback", "/model", "/health"}
    assert {"200", "400", "413", "422", "503"} <= set(paths["/predict"]["post"]["responses"])
