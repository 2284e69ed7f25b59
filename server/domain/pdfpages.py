"""How many pages a PDF has, read from its bytes when its upload completes (ADR 0026).

The person sees "2 fichiers, 3 pages" on the documents page: the count is a
property of the bytes, kept with the blob. pypdf reads what phones and
scanners make (cross-reference streams, object streams, incremental updates);
a file it cannot open (a broken cross-reference table, no `startxref`, as some
tools write) is read again plainly: the largest `/Count` of a `/Type /Pages`
object. Anything unreadable gives None ("pages unknown"), never an error: the
file itself was already accepted by `content.inspect`.
"""

from __future__ import annotations

import logging
import re
import warnings
from typing import BinaryIO

from pypdf import PdfReader

# A page count past this is a lie told by a crafted file, not a document.
MOST_PAGES = 10_000
# How far around a /Count the plain reading looks for its object's /Type, and
# how many /Count it reads: a real file has a few (page tree nodes, outlines);
# a crafted one with millions must not cost more than a few milliseconds.
_WINDOW = 16 * 1024
_MOST_COUNTS = 512

_COUNT = re.compile(rb"/Count\s+(\d{1,9})(?!\d)")
_PAGES = re.compile(rb"/Type\s*/Pages(?![A-Za-z0-9])")

# pypdf tells what it repairs in broken files on its logger: not our news.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def count(stream: BinaryIO) -> int | None:
    """The number of pages, or None when the file does not say it readably."""
    stream.seek(0)
    try:
        pages = _structured(stream)
        if pages is None:
            stream.seek(0)
            pages = plain(stream.read())
    finally:
        stream.seek(0)
    return pages if pages is not None and 0 < pages <= MOST_PAGES else None


def _structured(stream: BinaryIO) -> int | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return len(PdfReader(stream, strict=False).pages)
    except Exception:  # malformed input raises many kinds in pypdf: unknown, not a failure
        return None


def plain(data: bytes) -> int | None:
    """The largest /Count of a /Type /Pages object (the root of the page tree)."""
    best: int | None = None
    for seen, match in enumerate(_COUNT.finditer(data)):
        if seen == _MOST_COUNTS:
            break
        # The object holding this /Count: from the previous "obj" (its own
        # header, or the end of the object before it) to its "endobj".
        start = data.rfind(b"obj", max(0, match.start() - _WINDOW), match.start())
        end = data.find(b"endobj", match.end(), match.end() + _WINDOW)
        if start < 0 or end < 0 or not _PAGES.search(data, start, end):
            continue
        value = int(match.group(1))
        if best is None or value > best:
            best = value
    return best
