"""The predict function stays lean: no pandas, scikit-learn or MLflow on its import path, and
not the lightgbm Python package either (scipy, narwhals): it serves through lib_lightgbm."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.unit.predict_support import PREDICT_DIR, bundle_files, features

BLOCKED = ("pandas", "sklearn", "mlflow", "matplotlib", "pyarrow", "scipy", "narwhals")
PROBE = """
import importlib.abc, json, sys
BLOCKED, FOLDER, BUNDLE, SPECIMEN = json.loads(sys.stdin.read())
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(name + " is blocked: the predict function must not import it")
sys.meta_path.insert(0, Block())
sys.path.insert(0, FOLDER)
import handler, specimens
from mushroom.model import ModelBundle
bundle = ModelBundle.from_bytes(BUNDLE["model.lgb"], BUNDLE["vocabulary.json"],
                                BUNDLE["safety.json"])
record, problems = specimens.check(0, SPECIMEN)
print(bundle.predict([record])[0]["decision"])
"""


def test_handler_imports_and_predicts_with_heavy_packages_blocked():
    # Given pandas, scikit-learn, MLflow cannot be imported
    bundle = {name: body.decode() for name, body in bundle_files().items()}
    stdin = json.dumps([BLOCKED, str(PREDICT_DIR), bundle, features()])
    env = {**os.environ, "DATA_BUCKET": "unused", "AWS_DEFAULT_REGION": "us-east-1"}
    # When the handler is imported and a bundle loaded and used
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    # Then it works
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] in {"edible", "poisonous", "unsure: do not eat"}
