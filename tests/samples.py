"""Small, real files for upload tests (made in code, nothing binary committed)."""

from __future__ import annotations

import struct
import zlib


def pdf(size: int = 2000) -> bytes:
    """A minimal valid PDF, padded with a comment to `size` bytes."""
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    )
    trailer = b"trailer<</Root 1 0 R>>\n%%EOF\n"
    padding = max(0, size - len(body) - len(trailer) - 2)
    return body + b"%" + b"x" * padding + b"\n" + trailer


def png(width: int = 8, height: int = 8, seed: int | None = None) -> bytes:
    """A valid RGB PNG: plain grey, or with a seed a pattern of its own (other
    bytes, so another blob: content-addressed stores keep both)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    if seed is None:
        raw = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    else:
        raw = b"".join(
            b"\x00" + bytes(((x * 7 + y * 3 + seed * 31) % 256) for x in range(width) for _ in range(3))
            for y in range(height)
        )
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def jpeg(size: int = 4000) -> bytes:
    """Starts and ends like a JPEG (SOI … EOI); enough for content checks."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * max(0, size - 15) + b"\xff\xd9"


def exe() -> bytes:
    return b"MZ\x90\x00\x03" + b"\x00" * 200 + b"This program cannot be run in DOS mode."
