"""A prefecture's information blocks: written by its administrators, read by anyone."""

from __future__ import annotations

import uuid

from server import commands
from server.auth.policy import Actor
from server.domain import prefecture_info
from sync.protocol import Command

ADMIN93 = Actor(role="admin", account_id="adm-93", prefecture="93")


def write(app, actor: Actor, block: str, lang: str, body: str) -> object:
    command = Command(
        id=str(uuid.uuid4()),
        client="t",
        seq=0,
        op="prefecture.info_update",
        args={"block": block, "lang": lang, "body": body},
    )
    return app.state.db.write_sync(lambda c: commands.apply(c, command, actor))


def test_only_a_prefectures_administrators_write_its_blocks(app) -> None:
    assert (
        write(app, Actor(role="agent", account_id="a", prefecture="93"), "hours", "fr", "x").code
        == "forbidden"
    )
    assert write(app, Actor(role="admin", account_id="n"), "hours", "fr", "x").code == "forbidden"
    assert write(app, ADMIN93, "weather", "fr", "x").code == "block_unknown"
    assert write(app, ADMIN93, "hours", "de", "x").code == "lang_unknown"
    assert write(app, ADMIN93, "hours", "fr", "x" * 4001).code == "info_too_long"
    assert write(app, ADMIN93, "hours", "en", "Open").code == "french_first"
    assert write(app, ADMIN93, "hours", "fr", "Ouvert du lundi au vendredi").applied
    assert write(app, ADMIN93, "hours", "en", "Open Monday to Friday").applied
    assert write(app, ADMIN93, "hours", "fr", "").code == "french_needed"


def test_substitution_channel_falls_back_to_french_and_is_none_when_unwritten(app) -> None:
    read = app.state.db.read_sync
    assert read(prefecture_info.substitution_channel, "93", "ar") is None
    assert read(prefecture_info.substitution_channel, None, "fr") is None
    assert write(
        app, ADMIN93, "substitution", "fr", "Déposez votre dossier au guichet 3, ou par courrier."
    ).applied
    assert read(prefecture_info.substitution_channel, "93", "ar") == (
        "Déposez votre dossier au guichet 3, ou par courrier."
    )
    assert write(app, ADMIN93, "substitution", "ar", "قدّم ملفك في الشباك 3 أو بالبريد.").applied
    assert read(prefecture_info.substitution_channel, "93", "ar") == "قدّم ملفك في الشباك 3 أو بالبريد."
    assert read(prefecture_info.substitution_channel, "75", "fr") is None
    blocks = {b.name: b for b in read(prefecture_info.blocks, "93", "en")}
    assert blocks["substitution"].fallback and blocks["substitution"].lang == "fr"
    assert blocks["hours"].body == "" and blocks["hours"].updated_at is None


def test_the_page_is_public_dated_and_falls_back_to_french(app, client, settings) -> None:
    from .test_prefecture_review import staff

    page = client.get("/prefectures/93")
    assert page.status_code == 200 and "pas encore rempli cette rubrique" in page.text
    assert page.headers["cache-control"] == "private, no-cache"  # kept by the service worker, revalidated
    assert client.get("/prefectures/00").status_code == 404
    admin = staff(app, settings, role="admin")
    form = admin.get("/prefecture/information")
    assert form.status_code == 200
    command_id = __import__("re").search(r'name="command_id" value="([^"]+)"', form.text).group(1)
    data = {"command_id": command_id, "hours_fr": "Du lundi au vendredi, 9 h – 16 h.", "hours_en": "Mon–Fri."}
    assert admin.post("/prefecture/information", data=data).status_code == 303
    # The same form sent twice applies once (ids derived from the form's).
    assert admin.post("/prefecture/information", data=data).status_code == 303
    audit = app.state.db.read_sync(
        lambda c: c.execute("SELECT count(*) FROM audit WHERE action = 'prefecture.info_update'").fetchone()[
            0
        ]
    )
    assert audit == 2
    refused = admin.post("/prefecture/information", data={"command_id": command_id, "booking_ar": "مرحبا"})
    assert refused.status_code == 400 and "d’abord le texte en français" in refused.text
    french = client.get("/prefectures/93").text
    assert "Du lundi au vendredi" in french and "Mis à jour le" in french
    client.post("/language", data={"lang": "ar", "next": "/prefectures/93"})
    arabic = client.get("/prefectures/93").text
    assert "Mon–Fri." not in arabic and "Du lundi au vendredi" in arabic and "data-fallback" in arabic
    client.post("/language", data={"lang": "en", "next": "/prefectures/93"})
    assert "Mon–Fri." in client.get("/prefectures/93").text
    listing = client.get("/prefectures").text
    assert 'href="/prefectures/93"' in listing and 'href="/prefectures/2A"' in listing
    assert "/prefectures" in client.get("/").text
    assert staff(app, settings).get("/prefecture/information").status_code == 403  # agents read, admins write
