"""Write one S3 object as it is produced: multipart parts of PART_BYTES, one put if small.

Memory holds at most one part and nothing goes to /tmp, so an output of any size (batch results,
rejected rows) keeps the function flat: a 32 MiB batch of short bad rows writes a rejected-rows
CSV many times its size, more than the function's 512 MB of /tmp.
"""

from __future__ import annotations

import io

PART_BYTES = 8 * 1024 * 1024  # S3's minimum part is 5 MiB (all but the last)


class ObjectWriter:
    """A write-only object under ``bucket/key``: ``write`` bytes, then ``close`` (or ``abort``)."""

    def __init__(self, s3, bucket: str, key: str, content_type: str, part_bytes: int = PART_BYTES):
        self.s3, self.bucket, self.key, self.content_type = s3, bucket, key, content_type
        self.part_bytes, self.buffer = part_bytes, io.BytesIO()
        self.upload_id: str | None = None
        self.parts: list[dict] = []
        self.size = 0

    def write(self, data: bytes) -> None:
        """Append bytes; a full part is uploaded at once."""
        self.buffer.write(data)
        self.size += len(data)
        if self.buffer.tell() >= self.part_bytes:
            self._upload_part()

    def close(self) -> None:
        """Finish the object: one put when it never filled a part, else the last part."""
        if self.upload_id is None:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=self.key,
                Body=self.buffer.getvalue(),
                ContentType=self.content_type,
            )
            return
        if self.buffer.tell():
            self._upload_part()
        self.s3.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": self.parts},
        )

    def abort(self) -> None:
        """Drop the parts uploaded so far (best effort: a lifecycle rule cleans up the rest)."""
        if self.upload_id is not None:
            try:
                self.s3.abort_multipart_upload(
                    Bucket=self.bucket, Key=self.key, UploadId=self.upload_id
                )
            except Exception:  # noqa: BLE001 (the original error matters, not this one)
                pass

    def __enter__(self) -> "ObjectWriter":
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()

    def _upload_part(self) -> None:
        if self.upload_id is None:
            self.upload_id = self.s3.create_multipart_upload(
                Bucket=self.bucket, Key=self.key, ContentType=self.content_type
            )["UploadId"]
        number = len(self.parts) + 1
        response = self.s3.upload_part(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            PartNumber=number,
            Body=self.buffer.getvalue(),
        )
        self.parts.append({"ETag": response["ETag"], "PartNumber": number})
        self.buffer = io.BytesIO()
