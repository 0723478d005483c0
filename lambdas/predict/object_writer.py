"""Write one S3 object as it is produced: multipart parts of PART_BYTES, one put if small; or
join other objects' bytes into it (copied by S3 where they make a part of their own).

Memory holds at most one part and nothing goes to /tmp, so an output of any size (batch results,
rejected rows) keeps the function flat: a 32 MiB batch of short bad rows writes a rejected-rows
CSV many times its size, more than the function's 512 MB of /tmp.
"""

from __future__ import annotations

import io

PART_BYTES = 8 * 1024 * 1024
MIN_PART_BYTES = 5 * 1024 * 1024  # S3's minimum part (all but the last)


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

    def append(self, key: str, start: int, end: int) -> None:
        """Append bytes ``start`` to ``end`` (excluded) of another object of the bucket: copied
        by S3 (UploadPartCopy, nothing read here) as a part of its own when they make one, else
        read through the buffer, at most one part at a time (a part but the last is >= 5 MiB)."""
        if self.buffer.tell():
            fill = min(end - start, max(0, MIN_PART_BYTES - self.buffer.tell()))
            self.write(self._read(key, start, start + fill))
            start += fill
            if start < end and self.buffer.tell():
                self._upload_part()
        if end - start >= MIN_PART_BYTES:
            self._copy_part(key, start, end)
        elif end > start:
            self.write(self._read(key, start, end))

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
        response = self.s3.upload_part(**self._next_part(), Body=self.buffer.getvalue())
        self.parts[-1]["ETag"] = response["ETag"]
        self.buffer = io.BytesIO()

    def _copy_part(self, key: str, start: int, end: int) -> None:
        response = self.s3.upload_part_copy(
            **self._next_part(),
            CopySource={"Bucket": self.bucket, "Key": key},
            CopySourceRange=f"bytes={start}-{end - 1}",
        )
        self.parts[-1]["ETag"] = response["CopyPartResult"]["ETag"]
        self.size += end - start

    def _next_part(self) -> dict:
        """The arguments naming the next part (the upload is created with the first)."""
        if self.upload_id is None:
            self.upload_id = self.s3.create_multipart_upload(
                Bucket=self.bucket, Key=self.key, ContentType=self.content_type
            )["UploadId"]
        self.parts.append({"PartNumber": len(self.parts) + 1})
        return {
            "Bucket": self.bucket,
            "Key": self.key,
            "UploadId": self.upload_id,
            "PartNumber": len(self.parts),
        }

    def _read(self, key: str, start: int, end: int) -> bytes:
        if end <= start:
            return b""
        found = self.s3.get_object(Bucket=self.bucket, Key=key, Range=f"bytes={start}-{end - 1}")
        return found["Body"].read()
