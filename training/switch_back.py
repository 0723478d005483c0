"""The registry side of a switch-back: the retrain function already put the previous
champion's pointer back in SSM (serving follows); here the aliases move and both versions say
which alarm did it and why (training/rollback.py does the moving)."""

from __future__ import annotations

from adapters.observability import log
from mushroom.records.switch_back import SwitchBack
from training.notes import note
from training.register import MODEL_NAME, champion_of, is_pinned
from training.rollback import rollback

SWITCHED_BACK = "switched_back"  # version tag: on the replaced and on the restored version


def record_switch_back(client, record: SwitchBack, model_name: str = MODEL_NAME) -> str:
    """Move ``champion`` to the restored version unless the registry moved on meanwhile (a
    newer promotion, a pin); returns what was done."""
    current = champion_of(client, model_name)
    serving = None if current is None else str(current.version)
    if serving == record.restored_version:
        done = "already champion"
    elif serving != record.replaced_version or is_pinned(current):
        log("switch-back not recorded: the registry moved on", level="warning", **record.to_dict())
        return "registry moved on"
    else:
        # the SSM pointer is already the restored one: nothing to publish again
        rollback(client, lambda pointer: None, record.restored_version, model_name, record.reason)
        done = "aliases moved"
    line = f"switched back from: {record.reason}"
    note(client, model_name, record.replaced_version, SWITCHED_BACK, line)
    client.set_model_version_tag(model_name, record.restored_version, SWITCHED_BACK, record.reason)
    log("switch-back recorded in the registry", done=done, **record.to_dict())
    return done
