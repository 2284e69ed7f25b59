"""Blobs in an S3-compatible bucket (AWS S3, Scaleway, OVH, Garage, SeaweedFS,
MinIO): the same two steps as the file store (ADR 0019).

- `stage` streams the bytes to `<prefix>incoming/<uuid>`, hashing them on the
  way: one PUT for a small file, a multipart upload past PART bytes (at most one
  part in memory, never the whole file nor a local copy).
- `publish` (inside the write transaction that records the blob) copies them
  server-side to `<prefix>blobs/ab/cd/<sha256>` and deletes the staged object;
  identical bytes already there are kept as they are.
- `remove` deletes the final object, inside the transaction that forgets it.

A crash leaves at worst a staged object (swept by `sesame gc`) or a blob no row
names (an orphan, reported by `sesame backup verify`, swept by `sesame gc`
after its grace period): never a row naming missing bytes.

Every object is written with server-side encryption (`SSE_S3`: AES256 by
default, or aws:kms with a key). Errors from the store surface as
`Unavailable` (an OSError): callers treat them like a full disk.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .blobs import Staged, Stored, TooLarge, Unavailable, valid_sha256

# S3 parts are ≥ 5 MiB except the last; 8 MiB keeps the request count low and
# the memory bounded (one part at a time).
PART = 8 * 1024 * 1024
READ = 1024 * 1024
MISSING = {"404", "NoSuchKey", "NotFound"}


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str = ""
    endpoint: str = ""  # empty: AWS itself; otherwise path-style addressing
    region: str = "us-east-1"
    access_key: str = ""  # empty: boto3's own chain (instance role, ~/.aws, …)
    secret_key: str = ""
    sse: str = "AES256"  # AES256 | aws:kms | "" (left to the bucket's default)
    kms_key_id: str = ""


def client(location: S3Location) -> Any:
    options: dict[str, Any] = {
        "region_name": location.region or "us-east-1",
        "config": Config(
            s3={"addressing_style": "path" if location.endpoint else "auto"},
            retries={"max_attempts": 4, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
        ),
    }
    if location.endpoint:
        options["endpoint_url"] = location.endpoint
    if location.access_key:
        options["aws_access_key_id"] = location.access_key
        options["aws_secret_access_key"] = location.secret_key
    return boto3.session.Session().client("s3", **options)


def _missing(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code", "")) in MISSING


class _Hashing:
    """Reads a stream in parts, hashing and counting, refusing past `limit`."""

    def __init__(self, stream: BinaryIO, limit: int) -> None:
        self.stream = stream
        self.limit = limit
        self.digest = hashlib.sha256()
        self.size = 0

    def part(self) -> bytes:
        chunks: list[bytes] = []
        filled = 0
        while filled < PART:
            chunk = self.stream.read(min(READ, PART - filled))
            if not chunk:
                break
            self.size += len(chunk)
            if self.size > self.limit:
                raise TooLarge(self.size)
            self.digest.update(chunk)
            chunks.append(chunk)
            filled += len(chunk)
        return b"".join(chunks)


class S3BlobStore:
    def __init__(self, location: S3Location) -> None:
        self.location = location
        self.bucket = location.bucket
        self.prefix = location.prefix
        self.s3 = client(location)

    # Names -----------------------------------------------------------------

    def key(self, sha256: str) -> str:
        if not valid_sha256(sha256):
            raise ValueError("not a SHA-256")
        return f"{self.prefix}blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def _incoming(self, name: str) -> str:
        return f"{self.prefix}incoming/{name}"

    def _encryption(self) -> dict[str, str]:
        if not self.location.sse:
            return {}
        found = {"ServerSideEncryption": self.location.sse}
        if self.location.sse == "aws:kms" and self.location.kms_key_id:
            found["SSEKMSKeyId"] = self.location.kms_key_id
        return found

    # Writing ---------------------------------------------------------------

    def stage(self, stream: BinaryIO, limit: int) -> Staged:
        """Stream to a temporary object; TooLarge past `limit` bytes, Unavailable
        when the store fails. Nothing is left behind on failure."""
        key = self._incoming(str(uuid.uuid4()))
        reader = _Hashing(stream, limit)
        try:
            first = reader.part()
            if len(first) < PART:
                self.s3.put_object(Bucket=self.bucket, Key=key, Body=first, **self._encryption())
            else:
                self._multipart(key, first, reader)
        except (BotoCoreError, ClientError) as error:
            self._forget(key)
            raise Unavailable(f"S3: {error}") from error
        except BaseException:
            self._forget(key)
            raise
        return Staged(reader.digest.hexdigest(), reader.size, key)

    def _multipart(self, key: str, first: bytes, reader: _Hashing) -> None:
        upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key=key, **self._encryption())
        upload_id = upload["UploadId"]
        parts = []
        try:
            data = first
            number = 1
            while data:
                answer = self.s3.upload_part(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
                )
                parts.append({"PartNumber": number, "ETag": answer["ETag"]})
                number += 1
                data = reader.part()
            self.s3.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            try:
                self.s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            except (BotoCoreError, ClientError):
                pass  # the bucket's lifecycle rule on incomplete uploads sweeps it (README)
            raise

    def _forget(self, key: str) -> None:
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError):
            pass  # `sesame gc` sweeps staged objects older than its grace period

    def publish(self, staged: Staged) -> None:
        """Give staged bytes their final name (identical bytes may already be there)."""
        final = self.key(staged.sha256)
        try:
            if not self.exists(staged.sha256):
                # Server-side copy: the bytes do not travel through this machine again.
                self.s3.copy_object(
                    Bucket=self.bucket,
                    Key=final,
                    CopySource={"Bucket": self.bucket, "Key": staged.ref},
                    **self._encryption(),
                )
        except (BotoCoreError, ClientError) as error:
            raise Unavailable(f"S3: {error}") from error
        self._forget(staged.ref)

    def discard(self, staged: Staged) -> None:
        self._forget(staged.ref)

    def put(self, stream: BinaryIO, limit: int) -> tuple[str, int]:
        staged = self.stage(stream, limit)
        self.publish(staged)
        return staged.sha256, staged.size

    def remove(self, sha256: str) -> None:
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=self.key(sha256))
        except (BotoCoreError, ClientError) as error:
            raise Unavailable(f"S3: {error}") from error

    # Reading ---------------------------------------------------------------

    def open(self, sha256: str) -> BinaryIO:
        """A stream of the blob's bytes (read as they come, never held whole)."""
        try:
            answer = self.s3.get_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as error:
            if _missing(error):
                raise FileNotFoundError(sha256) from None
            raise Unavailable(f"S3: {error}") from error
        except BotoCoreError as error:
            raise Unavailable(f"S3: {error}") from error
        return answer["Body"]  # type: ignore[no-any-return]

    def size(self, sha256: str) -> int | None:
        try:
            answer = self.s3.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except ValueError:
            return None
        except ClientError as error:
            if _missing(error):
                return None
            raise Unavailable(f"S3: {error}") from error
        except BotoCoreError as error:
            raise Unavailable(f"S3: {error}") from error
        return int(answer["ContentLength"])

    def exists(self, sha256: str) -> bool:
        return self.size(sha256) is not None

    def _list(self, prefix: str) -> Iterator[dict[str, Any]]:
        try:
            pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
            for page in pages:
                yield from page.get("Contents", [])
        except (BotoCoreError, ClientError) as error:
            raise Unavailable(f"S3: {error}") from error

    def blobs(self) -> Iterator[Stored]:
        for item in self._list(f"{self.prefix}blobs/"):
            name = item["Key"].rsplit("/", 1)[-1]
            if valid_sha256(name):
                yield Stored(name, int(item["Size"]), item["LastModified"])

    def staged(self) -> Iterator[Stored]:
        start = len(self._incoming(""))
        for item in self._list(self._incoming("")):
            yield Stored(item["Key"][start:], int(item["Size"]), item["LastModified"])

    def discard_name(self, name: str) -> None:
        uuid.UUID(name)  # staged names are UUIDs: nothing else is ever deleted this way
        self._forget(self._incoming(name))

    def check(self) -> None:
        """Raise Unavailable unless the bucket answers (for /readyz)."""
        try:
            self.s3.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as error:
            raise Unavailable(f"S3: {error}") from error
