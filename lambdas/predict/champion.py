"""The serving champion: read the SSM pointer, load its artifacts from S3, keep it warm.

The pointer is re-read at most every ``refresh_seconds``; a new version is loaded and swapped
in without a redeploy. When SSM or S3 fail on a warm container the loaded champion keeps
serving (with a warning); with nothing loaded the API answers 503.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

from adapters.observability import logger, metrics
from api_errors import ChampionUnavailable
from aws_lambda_powertools.metrics import MetricUnit

from mushroom.records.champion import ChampionPointer, read_pointer
from mushroom.storage import split_s3_uri


@dataclass(frozen=True)
class Champion:
    """A loaded model bundle and the pointer it came from, with the challenger in shadow
    beside it when the pointer names one (loaded the same way)."""

    pointer: ChampionPointer
    bundle: Any
    challenger: "Champion | None" = None

    @property
    def version(self) -> str:
        """The registered model version that serves."""
        return self.pointer.version

    @property
    def versions(self) -> tuple[str, str | None]:
        """(champion, challenger) versions loaded: a pointer naming others is loaded. A
        challenger that failed to load is absent here, so the next refresh tries it again."""
        return self.version, self.challenger and self.challenger.version


def versions_of(pointer: ChampionPointer) -> tuple[str, str | None]:
    """(champion, challenger) versions a pointer names (compared with ``Champion.versions``)."""
    return pointer.version, pointer.challenger and pointer.challenger.version


def read_artifacts(s3, pointer: ChampionPointer) -> dict[str, bytes]:
    """The bundle's files by role (model, vocabulary, safety), fetched in parallel: a cold
    start waits for them."""
    uris = pointer.bundle_uris()

    def read(uri: str) -> bytes:
        bucket, key = split_s3_uri(uri)
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    with ThreadPoolExecutor(max_workers=len(uris)) as pool:
        return dict(zip(uris, pool.map(read, uris.values())))


class ChampionCache:
    """The champion of this container, re-checked against SSM at most every N seconds."""

    def __init__(
        self,
        read_pointer: Callable[[], str],
        s3,
        load_bundle: Callable,
        refresh_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._read_pointer, self._s3, self._load = read_pointer, s3, load_bundle
        self.refresh_seconds, self._clock = refresh_seconds, clock
        self.champion: Champion | None = None
        self._checked_at: float | None = None

    def current(self) -> Champion:
        """The champion to serve now; raises :class:`ChampionUnavailable` if there is none."""
        if self._due():
            self._refresh()
        if self.champion is None:
            raise ChampionUnavailable(self._unavailable)
        return self.champion

    def _due(self) -> bool:
        checked = self._checked_at
        return checked is None or self._clock() - checked >= self.refresh_seconds

    def _refresh(self) -> None:
        self._checked_at = self._clock()  # also after a failure: no retry storm in an outage
        try:
            pointer = read_pointer(self._read_pointer())
            if pointer is None:
                self._unavailable = "no champion model has been promoted yet; try again later"
                self._keep_or_clear("the champion pointer names no model")
            elif self.champion is None or versions_of(pointer) != self.champion.versions:
                self._swap(pointer)
        except Exception as error:  # noqa: BLE001 (any SSM/S3/parse failure: keep serving)
            self._on_failure(error)

    def _swap(self, pointer: ChampionPointer) -> None:
        started, loaded = self._clock(), self._loaded()
        bundle = loaded.get(pointer.version) or self._load(read_artifacts(self._s3, pointer))
        previous = self.champion.version if self.champion else None
        self.champion = Champion(pointer, bundle, self._challenger(pointer.challenger, loaded))
        logger.info(
            "champion loaded",
            extra={
                "model_version": pointer.version,
                "challenger_version": self.champion.versions[1],
                "previous_version": previous,
                "seconds": round(self._clock() - started, 3),
            },
        )

    def _loaded(self) -> dict[str, Any]:
        """Bundles in memory by version (a promoted challenger is not loaded again)."""
        held = [self.champion, self.champion and self.champion.challenger]
        return {c.version: c.bundle for c in held if c is not None}

    def _challenger(self, pointer: ChampionPointer | None, loaded: dict) -> Champion | None:
        """The challenger loaded, or None: one that fails to load is not scored (counted,
        logged, tried again at the next refresh), and never stops the champion serving."""
        if pointer is None:
            return None
        try:
            bundle = loaded.get(pointer.version) or self._load(read_artifacts(self._s3, pointer))
        except Exception as error:  # noqa: BLE001 (any S3/parse failure: serve without it)
            metrics.add_metric(name="ChallengerLoadFailed", unit=MetricUnit.Count, value=1)
            logger.warning(
                "challenger could not be loaded; serving without it",
                extra={"challenger_version": pointer.version, "error": repr(error)},
            )
            return None
        return Champion(pointer, bundle)

    def _keep_or_clear(self, why: str) -> None:
        if self.champion is not None:
            logger.warning(f"{why}; keeping version {self.champion.version}")

    def _on_failure(self, error: Exception) -> None:
        metrics.add_metric(name="ChampionRefreshFailed", unit=MetricUnit.Count, value=1)
        if self.champion is not None:
            logger.warning(
                "champion refresh failed; serving the cached model",
                extra={"model_version": self.champion.version, "error": repr(error)},
            )
            return
        logger.exception("champion could not be loaded")
        self._unavailable = "the champion model cannot be loaded right now; try again later"

    _unavailable = "no champion model has been promoted yet; try again later"
