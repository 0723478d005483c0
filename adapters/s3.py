"""The data bucket's S3 reads and writes (keys and identities: :mod:`mushroom.storage`)."""

from __future__ import annotations

import json
from typing import Any, BinaryIO, Iterator

from botocore.exceptions import ClientError

from mushroom.errors import SourceChangedError
from mushroom.storage import JSON_TYPE, Source, dumps


def list_objects(client: Any, bucket: str, prefix: str, start_after: str = "") -> Iterator[dict]:
    """The objects (``Key``, ``Size``, …) under ``prefix`` (after ``start_after`` when given),
    page by page."""
    after = {"StartAfter": start_after} if start_after else {}
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, **after)
    for page in pages:
        yield from page.get("Contents", [])


def list_keys(client: Any, bucket: str, prefix: str, start_after: str = "") -> Iterator[str]:
    """The keys under ``prefix`` (after ``start_after`` when given), page by page."""
    return (item["Key"] for item in list_objects(client, bucket, prefix, start_after))


MISSING = frozenset({"NoSuchKey", "NoSuchVersion", "404"})  # "404": HEAD's answer has no body


def error_code(error: Exception) -> str:
    """The AWS error code of a botocore error ("" for any other exception)."""
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


def is_missing(error: Exception, *alike: str) -> bool:
    """Whether an S3 error says the object is not there; ``alike``: codes the caller treats the
    same (S3 answers a missing key with AccessDenied to a role without s3:ListBucket)."""
    code = error_code(error)
    return code in MISSING or code in alike


class DataStore:
    """Reads uploads and writes derived objects of one bucket through an S3 client."""

    def __init__(self, client: Any, bucket: str):
        self.client, self.bucket = client, bucket

    def describe(self, source: Source) -> Source:
        """The source with size, ETag and version filled in from the object itself."""
        head = self.client.head_object(**self._address(source))
        return Source(
            source.bucket,
            source.key,
            head.get("VersionId") or source.version_id,
            head["ETag"].strip('"'),
            head["ContentLength"],
        )

    def read(self, source: Source) -> bytes:
        """The bytes of exactly this version (or ETag) of the upload."""
        try:
            return self.client.get_object(**self._address(source))["Body"].read()
        except ClientError as error:
            if is_missing(error, "PreconditionFailed"):
                raise SourceChangedError(
                    f"{source.identity} is gone or changed: {error_code(error)}"
                ) from error
            raise

    def _address(self, source: Source) -> dict[str, str]:
        address = {"Bucket": source.bucket, "Key": source.key}
        if source.version_id:
            address["VersionId"] = source.version_id
        elif source.etag:
            address["IfMatch"] = f'"{source.etag}"'
        return address

    def get_json(self, key: str) -> dict | None:
        """A JSON document, or ``None`` when the key does not exist."""
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as error:
            if is_missing(error, "AccessDenied"):
                return None
            raise
        return json.loads(body)

    def put_bytes(self, key: str, body: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)

    def put_file(self, key: str, fileobj: BinaryIO, content_type: str) -> None:
        """Stream a (possibly spooled-to-disk) file, multipart when large."""
        fileobj.seek(0)
        self.client.upload_fileobj(
            fileobj, self.bucket, key, ExtraArgs={"ContentType": content_type}
        )

    def put_json(self, key: str, document: dict) -> None:
        self.put_bytes(key, dumps(document), JSON_TYPE)

    def create_json(self, key: str, document: dict) -> bool:
        """Write only if the key does not exist yet (S3 conditional write); False if it did."""
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=dumps(document),
                ContentType=JSON_TYPE,
                IfNoneMatch="*",
            )
        except ClientError as error:
            if error_code(error) in {"PreconditionFailed", "ConditionalRequestConflict"}:
                return False
            if error_code(error) not in {"NotImplemented", "InvalidArgument"}:
                raise
            return self._check_then_write(key, document)
        return True

    def _check_then_write(self, key: str, document: dict) -> bool:
        """Fallback without conditional writes: a small race window (see the ingest README)."""
        if self.get_json(key) is not None:
            return False
        self.put_json(key, document)
        return True
