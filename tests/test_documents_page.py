"""The documents page (issue 10, item 7): one status line per piece, one control per
piece that works as a plain form too, and thumbnails drawn small by the server."""

from __future__ import annotations

import io
import re

from PIL import Image

from server.domain import catalogue

from . import samples


def photo_jpeg(side: int = 2000) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((side, side * 3 // 4), 50).convert("RGB").save(out, format="JPEG", quality=90)
    return out.getvalue()


def takes(media_type: str, but: str = "") -> str:
    cat = catalogue.load()
    return next(
        i.piece.id
        for i in cat.checklist("change_of_situation", [])
        if media_type in cat.media_types(i.piece.id) and i.piece.id != but
    )


def test_every_piece_is_one_closed_line_with_one_control(make_person) -> None:
    alice = make_person()
    alice.signup()
    file_id = alice.start_file("change_of_situation")
    page = alice.client.get(f"/files/{file_id}/checklist").text
    pieces = re.findall(r'<li class="piece piece--(\w+)" id="piece-([\w-]+)"', page)
    assert pieces and all(kind in ("missing", "optional") for kind, _ in pieces)
    assert "<details open>" not in page  # nothing open
    for _, piece in pieces:
        form = re.search(rf'<form [^>]*action="/files/{file_id}/pieces/{piece}".*?</form>', page, re.S)
        assert form, piece
        # One file input named by the one label, and one submit button (for pages without JavaScript).
        assert form.group(0).count('type="file"') == 1
        assert form.group(0).count("<button") == 1
        assert "Ajouter une photo ou un fichier" in form.group(0)


def test_a_thumbnail_is_small_and_only_for_its_owner(make_person) -> None:
    alice, bob = make_person(), make_person()
    alice.signup()
    bob.signup(name="Bob")
    file_id = alice.start_file("change_of_situation")
    big = photo_jpeg()
    assert alice.upload(file_id, takes("image/jpeg"), ("recto.jpg", big, "image/jpeg")).status_code == 303
    assert (
        alice.upload(
            file_id,
            takes("application/pdf", but=takes("image/jpeg")),
            ("scan.pdf", samples.pdf(), "application/pdf"),
        ).status_code
        == 303
    )
    page = alice.client.get(f"/files/{file_id}/checklist").text
    [thumb] = re.findall(r'<img class="thumb" src="([^"]+/thumb)"', page)
    small = alice.client.get(thumb)
    assert small.status_code == 200 and small.headers["content-type"] == "image/jpeg"
    assert len(small.content) < len(big) / 20
    with Image.open(io.BytesIO(small.content)) as image:
        assert max(image.size) <= 96
    assert "private" in small.headers["cache-control"]
    assert bob.client.get(thumb).status_code == 404
    [pdf] = re.findall(r'/files/[^/]+/attachments/([0-9a-f-]{36})"><bdi>scan.pdf', page)
    assert alice.client.get(f"/files/{file_id}/attachments/{pdf}/thumb").status_code == 404
    assert 'class="thumb thumb--mark" aria-hidden="true">PDF<' in page


def test_a_refused_upload_opens_its_piece_with_the_reason(make_person) -> None:
    alice = make_person()
    alice.signup()
    file_id = alice.start_file("change_of_situation")
    piece = takes("application/pdf")
    refused = alice.upload(file_id, piece, ("virus.pdf", samples.exe(), "application/pdf"))
    assert refused.status_code == 400
    assert re.search(rf'id="piece-{piece}"[^>]*>\s*<details open>', refused.text)
    assert "<bdi>virus.pdf</bdi>" in refused.text
