"""Pin the champion so that nothing replaces it (no promotion, no switch-back, no rollback),
or unpin it. The pin is a tag on the version (``pinned``: what training and rollback read)
and a field of the SSM pointer (what the retrain function reads).

python -m training.pin                (make pin: the current champion)
python -m training.pin --version 3    (make pin VERSION=3: restore 3, then pin it)
python -m training.pin --unpin        (make unpin)
"""

from __future__ import annotations

import argparse
import sys

from adapters.clients import aws_client
from adapters.config import WorkerSettings
from adapters.observability import log
from training.publish import ChampionPublisher
from training.register import MODEL_NAME, PINNED, champion_of
from training.rollback import missing_files, rollback


def set_pin(client, publisher: ChampionPublisher, pinned: bool, model_name: str = MODEL_NAME):
    """Pin or unpin the champion in the registry and in the SSM pointer; the pointer."""
    champion = champion_of(client, model_name)
    current = publisher.current()
    if champion is None or current is None:
        raise SystemExit("pin: no champion to pin yet")
    if current.version != str(champion.version):
        raise SystemExit(
            f"pin: the registry's champion is version {champion.version} but version "
            f"{current.version} serves (a switch-back the worker has not recorded yet?); "
            "wait for it, then pin again"
        )
    if pinned:
        client.set_model_version_tag(model_name, champion.version, PINNED, "true")
    else:
        client.delete_model_version_tag(model_name, champion.version, PINNED)
    publisher.write(current.with_pin(pinned))
    log("champion pinned" if pinned else "champion unpinned", version=champion.version)
    return current.with_pin(pinned)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=None, help="restore this version first, then pin")
    parser.add_argument("--unpin", action="store_true", help="remove the pin")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from mlflow import MlflowClient

    args = parse_args(argv)
    settings = WorkerSettings.from_env()
    client = MlflowClient(settings.tracking_uri)
    publisher = ChampionPublisher(aws_client("ssm", settings), settings.champion_parameter)
    if args.version and not args.unpin:
        s3 = aws_client("s3", settings)
        rollback(client, publisher, args.version, missing=lambda p: missing_files(s3, p))
    pointer = set_pin(client, publisher, not args.unpin)
    state = "pinned" if pointer.pinned else "unpinned"
    print(f"champion version {pointer.version} is {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
