"""What a file really is: by its first bytes (magic numbers), never by its name.

`inspect(stream)` reads the head and the tail of a seekable stream and says the
media type and whether the file looks whole. A renamed executable, an empty file
or a photo cut off in the middle of its upload are refused before anything is kept.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import BinaryIO

HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


@dataclass(frozen=True)
class Inspection:
    media_type: str | None  # None: not a format we know
    size: int
    complete: bool  # False: truncated (an image or PDF without its end)

    @property
    def problem(self) -> str | None:
        """A refusal code, or None when the file may be kept."""
        if self.size == 0:
            return "file_empty"
        if self.media_type is None:
            return "file_type_unknown"
        if not self.complete:
            return "file_truncated"
        return None


def sniff(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "image/heic"
    return None


def _complete(media_type: str, head: bytes, tail: bytes, size: int) -> bool:
    if media_type == "application/pdf":
        return b"%%EOF" in tail
    if media_type == "image/jpeg":
        # The end-of-image marker, possibly followed by a few padding bytes.
        return b"\xff\xd9" in tail[-64:]
    if media_type == "image/png":
        return b"IEND\xaeB`\x82" in tail[-64:]
    if media_type == "image/webp":
        declared = int.from_bytes(head[4:8], "little") + 8
        return size >= declared
    return True  # HEIF: boxes are not checked further


def inspect(stream: BinaryIO) -> Inspection:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    head = stream.read(32)
    stream.seek(max(0, size - 2048))
    tail = stream.read(2048)
    stream.seek(0)
    media_type = sniff(head) if size else None
    complete = media_type is not None and _complete(media_type, head, tail, size)
    return Inspection(media_type=media_type, size=size, complete=complete)
