"""Prediction ids that prove themselves: the issue day and an HMAC tag inside a UUID.

``POST /feedback`` must refuse labels for ids that were never issued (they feed training and
the alarms), without a per-request lookup: the prediction log may become a Firehose stream
with no object per request, and a HEAD per feedback or a marker object per prediction costs a
request each. So an id carries its own proof. It is a version-8 UUID (RFC 9562, custom layout;
still a UUID to every client and to the API's schema) whose 122 free bits are:

    issue day (16 bits, days since 2020-01-01) | nonce (58 bits) | tag (48 bits)

The nonce's first 5 bits are the issue hour (UTC, 0-23) since issue 14: training finds a
labelled prediction in the log's hour partitions without a lookup (:func:`issue_hint`). Ids
issued before carry 5 random bits there, so the hour is a hint to try first, never proof.

``tag = BLAKE2b-MAC(key, day || nonce)`` (keyed BLAKE2b, RFC 7693, 6 bytes: a MAC like HMAC,
at a third of its cost, ~1.6 us; 1,000 ids per request), with a secret key only the predict
function reads. A guessed id passes with probability 2^-48; 53 random bits keep ids of one
hour apart (a collision among the 180 k ids of an hour at the usage plan's limit: ~2e-6). The
issue day lets feedback that comes too late be told apart from an id never issued. Standard
library, and numpy for batch rows.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Sequence

import numpy as np

EPOCH = date(2020, 1, 1)
DAY_BITS, NONCE_BITS, TAG_BITS = 16, 58, 48
HOUR_BITS = 5  # the nonce's first bits: the issue hour
RANDOM_BITS = NONCE_BITS - HOUR_BITS
TAG_BYTES = TAG_BITS // 8
VERSION = 8
COLUMN_WISE_FROM = 16  # ids laid out with numpy from this many on (below, numpy's overhead wins)
TEXT_COLUMN_WISE_FROM = 64  # and written out with numpy from this many on
PERSON = b"mushroom-pred-id"  # BLAKE2 personalisation: these tags apart from any other use


class UnknownPrediction(ValueError):
    """An id this service did not issue (or issued under another key)."""


@dataclass(frozen=True)
class IssuedId:
    """What a verified id says about itself."""

    prediction_id: str
    issued_on: date


class PredictionIds:
    """Issues and verifies prediction ids under one secret key."""

    def __init__(self, key: bytes):
        if not 16 <= len(key) <= 64:
            raise ValueError("the prediction-id key must have 16 to 64 bytes")
        self.mac = hashlib.blake2b(key=key, digest_size=TAG_BYTES, person=PERSON)

    def new(self, today: date, count: int = 1, hour: int = 0) -> list[str]:
        """``count`` fresh random ids issued ``today`` at ``hour`` (UTC)."""
        noise, top, shift = os.urandom(8 * count), _hour_bits(hour), 64 - RANDOM_BITS
        nonces = [
            top | int.from_bytes(noise[i : i + 8], "big") >> shift for i in range(0, 8 * count, 8)
        ]
        return self._issue(_day(today), nonces)

    def derived(self, name: str, today: date, hour: int = 0) -> str:
        """A deterministic id for ``name`` (batch rows: a repeated notification rewrites the
        same ids instead of adding new ones)."""
        return self._id(_day(today), _hour_bits(hour) | _nonce(name))

    def rows(self, source: str, indices: Sequence[int], today: date, hour: int = 0) -> list[str]:
        """Deterministic ids of an upload's rows (by index among its data rows): nonces
        counted on from a hash of ``source`` (a repeated notification rewrites the same ids)."""
        start, top = np.uint64(_nonce(source)), np.uint64(_hour_bits(hour))
        counted = (np.asarray(indices, dtype=np.uint64) + start) % np.uint64(1 << RANDOM_BITS)
        return self._issue(_day(today), (counted | top).tolist())

    def _issue(self, day: int, nonces: list[int]) -> list[str]:
        """The ids of ``nonces``: one MAC each; a few laid out one at a time, more column-wise
        with numpy (an id at a time costs ~5 us: 5 ms of a 1,000-specimen request, seconds of
        a batch block's millions of rows)."""
        if len(nonces) < COLUMN_WISE_FROM:
            return [self._id(day, nonce) for nonce in nonces]
        tags = b"".join(b"\0\0" + self._tag(day, nonce) for nonce in nonces)
        nonce, tag = np.array(nonces, dtype=np.uint64), np.frombuffer(tags, ">u8").astype(np.uint64)
        high = (
            np.uint64(day << 48)
            | ((nonce >> np.uint64(26)) << np.uint64(16))
            | np.uint64(VERSION << 12)
            | ((nonce >> np.uint64(14)) & np.uint64(0xFFF))
        )
        low = np.uint64(0b10 << 62) | ((nonce & np.uint64(0x3FFF)) << np.uint64(48)) | tag
        words = np.stack([high, low], axis=1)
        if len(nonces) >= TEXT_COLUMN_WISE_FROM:
            return _dashed_column(words)
        text = words.astype(">u8").tobytes().hex()
        return [_dashed(text[i : i + 32]) for i in range(0, len(text), 32)]

    def verify(self, prediction_id: str) -> IssuedId:
        """The id's issue day; raises :class:`UnknownPrediction` for an id not issued here."""
        try:
            value = uuid.UUID(prediction_id)
        except ValueError as error:
            raise UnknownPrediction("not a UUID") from error
        if value.version != VERSION or value.variant != uuid.RFC_4122:
            raise UnknownPrediction("not an id of this service")
        payload = _payload(value.int)
        day, nonce = payload >> (NONCE_BITS + TAG_BITS), (payload >> TAG_BITS) % (1 << NONCE_BITS)
        tag = (payload % (1 << TAG_BITS)).to_bytes(TAG_BYTES, "big")
        if not hmac.compare_digest(tag, self._tag(day, nonce)):
            raise UnknownPrediction("the id's tag does not match")
        return IssuedId(str(value), EPOCH + timedelta(days=day))

    def _id(self, day: int, nonce: int) -> str:
        tag = int.from_bytes(self._tag(day, nonce), "big")
        payload = (day << (NONCE_BITS + TAG_BITS)) | (nonce << TAG_BITS) | tag
        return _dashed(f"{_uuid_bits(payload):032x}")  # as str(uuid.UUID(...)), no object

    def _tag(self, day: int, nonce: int) -> bytes:
        mac = self.mac.copy()
        mac.update(day.to_bytes(2, "big") + nonce.to_bytes(8, "big"))
        return mac.digest()


def _nonce(name: str) -> int:
    """The random part of a name's nonce (below the hour bits)."""
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") >> (64 - RANDOM_BITS)


def _dashed_column(words: np.ndarray) -> list[str]:
    """Each row's two 64-bit words as :func:`_dashed` writes their 32 hex digits (laid out
    with numpy: a string slice and format per id cost more than its MAC)."""
    raw = np.frombuffer(words.astype(">u8").tobytes(), np.uint8).reshape(-1, 16)
    text = np.full((len(raw), 37), ord("-"), dtype=np.uint8)
    text[:, _DIGIT_PLACES] = _HEX_DIGITS[np.stack([raw >> 4, raw & 15], axis=2).reshape(-1, 32)]
    text[:, -1] = ord("\n")
    return text.tobytes().decode("ascii").split("\n")[:-1]


_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_DIGIT_PLACES = [i for i in range(36) if i not in (8, 13, 18, 23)]  # the rest are dashes


def _dashed(text: str) -> str:
    """32 hex digits in a UUID's usual text form."""
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def issue_hint(prediction_id: str) -> tuple[date, int | None] | None:
    """The issue day and hour an id of this layout names (None: not such an id; hour None:
    not a valid hour, so an id from before the hour was kept). Needs no key: a hint to find
    a prediction that feedback names, not a check of it."""
    try:
        value = uuid.UUID(prediction_id)
    except ValueError:
        return None
    if value.version != VERSION or value.variant != uuid.RFC_4122:
        return None
    payload = _payload(value.int)
    hour = (payload >> (TAG_BITS + RANDOM_BITS)) % (1 << HOUR_BITS)
    return EPOCH + timedelta(days=payload >> (NONCE_BITS + TAG_BITS)), hour if hour < 24 else None


def _hour_bits(hour: int) -> int:
    if not 0 <= hour < 24:
        raise ValueError(f"hour {hour} is not an hour of the day")
    return hour << RANDOM_BITS


def _day(today: date) -> int:
    day = (today - EPOCH).days
    if not 0 <= day < 1 << DAY_BITS:
        raise ValueError(f"{today} is outside the ids' calendar (2020 to 2199)")
    return day


# UUIDv8: custom_a (48 bits) | version (4) | custom_b (12) | variant 0b10 (2) | custom_c (62)
def _uuid_bits(payload: int) -> int:
    a, b, c = payload >> 74, (payload >> 62) % (1 << 12), payload % (1 << 62)
    return (a << 80) | (VERSION << 76) | (b << 64) | (0b10 << 62) | c


def _payload(bits: int) -> int:
    a, b, c = bits >> 80, (bits >> 64) % (1 << 12), bits % (1 << 62)
    return (a << 74) | (b << 62) | c
