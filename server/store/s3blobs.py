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

import base64
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
        if not staged.kept:
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

    # Resumable uploads assembled in the store (server/store/s3uploads.py) ----
    # A tus upload's parts go to a multipart upload whose key is the staged name
    # `<prefix>incoming/<upload id>`: once completed it is staged bytes like any
    # other, published by the same server-side copy.

    def staged_key(self, name: str) -> str:
        return self._incoming(str(uuid.UUID(name)))

    def multipart(self, name: str, *, create: bool) -> str | None:
        """The S3 id of the multipart upload assembling `name` (None if there is
        none and `create` is false). S3 itself is the record: nothing to keep here."""
        key = self.staged_key(name)
        try:
            answer = self.s3.list_multipart_uploads(Bucket=self.bucket, Prefix=key)
            found = sorted(
                (u for u in answer.get("Uploads", []) if u["Key"] == key), key=lambda u: u["Initiated"]
            )
            if found:
                return str(found[0]["UploadId"])
            if not create:
                return None
            made = self.s3.create_multipart_upload(Bucket=self.bucket, Key=key, **self._encryption())
            return str(made["UploadId"])
        except (BotoCoreError, ClientError) as error:
            raise Unavailable(f"S3: {error}") from error

    def put_part(self, name: str, multipart: str, number: int, stream: BinaryIO, size: int, md5: bytes) -> None:
        """One part, streamed from `stream`; the store checks it against its MD5."""
        try:
            self.s3.upload_part(
                Bucket=self.bucket,
                Key=self.staged_key(name),
                UploadId=multipart,
                PartNumber=number,
                Body=stream,
                ContentLength=size,
                ContentMD5=base64.b64encode(md5).decode(),
            )
        except (BotoCoreError, ClientError) as error:
            raise Unavailable(f"S3: {error}") from error

    def parts(self, name: str, multipart: str) -> list[tuple[int, int, str]]:
        """(number, size, ETag) of the parts stored so far, in order."""
        found: list[tuple[int, int, str]] = []
        try:
            pages = self.s3.get_paginator("list_parts").paginate(
                Bucket=self.bucket, Key=self.staged_key(name), UploadId=multipart
            )
            for page in pages:
                found += [(int(p["PartNumber"]), int(p["Size"]), str(p["ETag"])) for p in page.get("Parts", [])]
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code", "")) == "NoSuchUpload":
                return []
            raise Unavailable(f"S3: {error}") from error
        except BotoCoreError as error:
            raise Unavailable(f"S3: {error}") from error
        return sorted(found)

    def complete_parts(self, name: str, multipart: str, parts: list[tuple[int, int, str]]) -> None:
        try:
            self.s3.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.staged_key(name),
                UploadId=multipart,
                MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etag} for n, _, etag in parts]},
            )
        except (BotoCoreError, ClientError) as error:
            raise Unavailable(f"S3: {error}") from error

    def abort_parts(self, name: str) -> None:
        """Abort every multipart upload assembling `name` (its parts are freed)."""
        while (multipart := self.multipart(name, create=False)) is not None:
            try:
                self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.staged_key(name), UploadId=multipart)
            except (BotoCoreError, ClientError) as error:
                raise Unavailable(f"S3: {error}") from error

    def unfinished(self) -> Iterator[Stored]:
        """Multipart uploads never completed nor aborted (for `sesame gc`)."""
        start = len(self._incoming(""))
        try:
            pages = self.s3.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=self._incoming("")
            )
            for page in pages:
                for item in page.get("Uploads", []):
                    yield Stored(item["Key"][start:], 0, item["Initiated"])
        except (BotoCoreError, ClientError) as error:
            raise Unavailable(f"S3: {error}") from error

    def staged_size(self, name: str) -> int | None:
        try:
            answer = self.s3.head_object(Bucket=self.bucket, Key=self.staged_key(name))
        except ClientError as error:
            if _missing(error):
                return None
            raise Unavailable(f"S3: {error}") from error
        except BotoCoreError as error:
            raise Unavailable(f"S3: {error}") from error
        return int(answer["ContentLength"])

    def read_staged(self, name: str, start: int = 0, end: int | None = None) -> BinaryIO:
        """A stream of staged bytes [start, end) (all of them by default)."""
        extra = {} if end is None and not start else {"Range": f"bytes={start}-{'' if end is None else end - 1}"}
        try:
            answer = self.s3.get_object(Bucket=self.bucket, Key=self.staged_key(name), **extra)
        except (BotoCoreError, ClientError) as error:
            raise Unavailable(f"S3: {error}") from error
        return answer["Body"]  # type: ignore[no-any-return]

    def check(self) -> None:
        """Raise Unavailable unless the bucket answers (for /readyz)."""
        try:
            self.s3.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as error:
            raise Unavailable(f"S3: {error}") from error
