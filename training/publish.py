"""Telling the serving side about a new champion (SSM pointer + SNS): wired by the plumbing.

The training job calls :func:`publish_champion` once a version has become champion. The
default implementation only prints the pointer; the deployment replaces it (e.g. an SSM
``put_parameter`` of the JSON pointer and an SNS ``publish``) by passing its own callable to
:func:`training.pipeline.run`.
"""

from __future__ import annotations

import json
from typing import Callable

Publisher = Callable[[dict], None]


def publish_champion(pointer: dict) -> None:
    """Announce the champion pointer (model name, version, run id, model folder URI, files)."""
    print("champion pointer: " + json.dumps(pointer, sort_keys=True))
