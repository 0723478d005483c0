"""The registry side of a challenger verdict: the monitor already wrote the pointer (serving
follows); here the aliases move and both versions say what was decided and why."""

from __future__ import annotations

from adapters.observability import log
from mushroom.records.challenger import ChallengerVerdict
from training.notes import note
from training.register import CHALLENGER, CHAMPION, MODEL_NAME, PREVIOUS, alias_version

SHADOW_DECISION = "shadow_decision"  # version tag: on the challenger and on its champion


def record_verdict(client, verdict: ChallengerVerdict, model_name: str = MODEL_NAME) -> str:
    """Move the aliases as ``verdict`` says and note both versions. A newer challenger trained
    meanwhile keeps its alias (only this version's is removed); a promotion is not recorded
    when the champion alias has moved on since the verdict (another promotion, a rollback)."""
    challenger, champion = verdict.challenger_version, verdict.champion_version
    if verdict.promotes and alias_version(client, model_name, CHAMPION) not in (champion, None):
        log("verdict not recorded: the registry moved on", level="warning", **verdict.to_dict())
        return "registry moved on"
    if alias_version(client, model_name, CHALLENGER) == challenger:
        client.delete_registered_model_alias(model_name, CHALLENGER)
    if verdict.promotes:
        client.set_registered_model_alias(model_name, CHAMPION, challenger)
        client.set_registered_model_alias(model_name, PREVIOUS, champion)
        client.set_model_version_tag(model_name, challenger, "promotion_decision", "promoted")
        note(client, model_name, champion, SHADOW_DECISION, f"replaced: {verdict.reason}")
    else:
        client.set_model_version_tag(model_name, challenger, "promotion_decision", "retired")
    note(client, model_name, challenger, SHADOW_DECISION, verdict.reason)
    log("challenger verdict recorded in the registry", **verdict.to_dict())
    return "promoted" if verdict.promotes else "retired"
