"""The export ZIP streams: written piece by piece, never held whole in memory
(bench/memory.py measures the server's peak on a 95 MB account)."""

from __future__ import annotations

import io
import os
import zipfile

from server.store.blobs import FileBlobStore
from server.web import history

from .test_files_http import complete


def test_the_zip_comes_in_small_chunks_and_reads_back_whole(tmp_path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    documents = [os.urandom(3 * 1024 * 1024 + 17), os.urandom(1000)]
    stored = [store.put(io.BytesIO(d), 10**9) for d in documents]
    entries = [
        history._Entry(f"2026-1/pieces/p/{i}.pdf", blob=sha, size=size)
        for i, (sha, size) in enumerate(stored)
    ]
    entries.append(history._Entry("index.html", data="<p>é</p>".encode()))
    chunks = list(history.zip_stream(store, entries))
    # One read buffer at a time (plus a local header), never a whole document.
    assert max(len(c) for c in chunks) <= history.READ_CHUNK + 1024
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None  # every CRC checks
    assert archive.read("2026-1/pieces/p/0.pdf") == documents[0]
    assert archive.read("2026-1/pieces/p/1.pdf") == documents[1]
    assert archive.read("index.html").decode() == "<p>é</p>"


def test_the_export_is_streamed_over_http(make_person) -> None:
    p = make_person()
    p.signup("Export")
    file_id = p.start_file("change_of_situation")
    complete(p, file_id, "change_of_situation", [])
    with p.client.stream("GET", "/account/export") as response:
        assert response.status_code == 200
        # No length announced: the archive is written while it is sent.
        assert "content-length" not in response.headers
        body = b"".join(response.iter_bytes())
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    assert any("/pieces/" in n for n in archive.namelist())
