"""Paper files: an agent records a file for a person with no account, with its
scanned pieces; it reaches the inbox like any other; the person claims it with
the printed code and a passkey and finds the whole history."""

from __future__ import annotations

import json
import re

import pypdfium2
import zxingcpp

from server.auth import claims
from server.domain import files

from . import samples
from .people import Person, ceremony
from .test_letters import squash, text_of
from .test_prefecture_review import staff


def read_qr(pdf: bytes) -> list[str]:
    """The QR codes a camera would read on the letter's first page."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=150 / 72).to_pil()
    finally:
        document.close()
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


CODE = re.compile(r"data-claim-code>([0-9A-Z-]{15,19})<")
IDENTITY = {
    "family_name": "Diallo",
    "given_names": "Aminata",
    "birth_date": "1990-05-31",
    "birth_place": "Bamako",
    "nationality": "malienne",
    "phone": "06 12 34 56 78",
}


def record(agent, procedure: str = "renewal", files_for=None, **values: str):
    data = {
        "procedure": procedure,
        "grounds": ["parent_of_french_child"],
        "display_name": "Aminata Diallo",
        "language": "ar",
        "channel": "post",
        "received_on": "2026-01-05",
        **IDENTITY,
        **values,
    }
    upload = (
        files_for
        if files_for is not None
        else [
            ("files:passport", ("passeport-p1.pdf", samples.pdf(), "application/pdf")),
            ("files:passport", ("passeport-p2.jpg", samples.jpeg(), "image/jpeg")),
        ]
    )
    return agent.post("/prefecture/paper", data=data, files=upload)


def test_an_agent_records_a_paper_file_and_prints_a_claim_code(app, settings) -> None:
    agent = staff(app, settings, prefecture="93")
    assert "renewal" in agent.get("/prefecture/paper/new").text
    grounds = agent.get("/prefecture/paper/new?procedure=renewal")
    assert 'value="parent_of_french_child"' in grounds.text
    form = agent.get("/prefecture/paper/new?procedure=renewal&grounds=parent_of_french_child")
    assert form.status_code == 200 and 'name="files:passport"' in form.text
    page = record(agent)
    assert page.status_code == 200, page.text
    code = CODE.search(page.text).group(1)
    file_id = re.search(r'/prefecture/files/([0-9a-f-]{36})"', page.text).group(1)
    file = app.state.db.read_sync(lambda c: files.get(c, file_id))
    assert (file.status, file.departement) == ("submitted", "93")
    # In the inbox like any other, with both pages of the passport.
    assert file.number in agent.get("/prefecture?status=all").text
    review = agent.get(f"/prefecture/files/{file_id}").text
    assert "passeport-p1.pdf" in review and "passeport-p2.jpg" in review
    # Nobody can sign into the held account: it has no passkey and no recovery code.
    held = app.state.db.read_sync(
        lambda c: c.execute(
            "SELECT (SELECT count(*) FROM passkeys WHERE account_id = a.id) AS keys,"
            " (SELECT count(*) FROM recovery_codes WHERE account_id = a.id) AS codes, a.held_since"
            " FROM accounts a WHERE a.id = ?",
            (file.owner_id,),
        ).fetchone()
    )
    assert (held["keys"], held["codes"]) == (0, 0) and held["held_since"]
    # The code is stored only as a keyed hash.
    stored = app.state.db.read_sync(lambda c: [r[0] for r in c.execute("SELECT code_hash FROM claim_codes")])
    assert code not in stored and code.replace("-", "") not in json.dumps(stored)
    # The printed letter: the code, in the person's language and in French.
    pdf = agent.post(f"/prefecture/paper/{file_id}/claim.pdf", data={"code": code})
    assert pdf.status_code == 200
    text = squash(text_of(pdf.content))
    assert code in text and file.number in text
    assert read_qr(pdf.content) == [f"{settings.origin}/claim?code={code}"]
    assert (
        agent.post(f"/prefecture/paper/{file_id}/claim.pdf", data={"code": "AAAA-BBBB-CCCC-DDDD"}).status_code
        == 404
    )
    # Issuing a code is audited.
    actions = app.state.db.read_sync(lambda c: [r[0] for r in c.execute("SELECT action FROM audit")])
    assert "paper.record" in actions and "claim_code.issue" in actions


def test_a_refused_scan_keeps_nothing_and_says_why(app, settings) -> None:
    agent = staff(app, settings, prefecture="93")
    page = record(
        agent, files_for=[("files:passport", ("virus.exe", samples.exe(), "application/octet-stream"))]
    )
    assert page.status_code == 400 and "virus.exe" in page.text
    assert 'value="Diallo"' in page.text  # what was typed stays on the form
    assert app.state.db.read_sync(lambda c: c.execute("SELECT count(*) FROM files").fetchone()[0]) == 0
    missing = record(agent, family_name="")
    assert missing.status_code == 400 and "Ce champ est obligatoire." in missing.text


def test_the_person_claims_the_file_with_the_code_and_a_passkey(app, settings) -> None:
    agent = staff(app, settings, prefecture="93")
    page = record(agent)
    code = CODE.search(page.text).group(1)
    file_id = re.search(r'/prefecture/files/([0-9a-f-]{36})"', page.text).group(1)
    with Person.new(app, settings) as person:
        assert person.client.post("/claim", data={"code": "AAAA-BBBB-CCCC-DDDD"}).status_code == 400
        step = person.client.post("/claim", data={"code": code.lower().replace("-", " ")})
        assert step.status_code == 200, step.text
        options = ceremony(step.text)
        answer = person.phone.create(options["publicKey"])
        done = person.client.post(
            "/claim/finish", data={"flow": options["flow"], "credential": json.dumps(answer), "code": code}
        )
        assert done.status_code == 200, done.text
        show = person.client.get(f"/files/{file_id}")
        assert show.status_code == 200
        history = person.client.get("/timeline").text
        number = app.state.db.read_sync(lambda c: files.get(c, file_id)).number
        assert number in show.text
        for words in ("passeport-p1.pdf", "passeport-p2.jpg"):
            assert words in history
        kinds = app.state.db.read_sync(lambda c: [r[0] for r in c.execute("SELECT kind FROM timeline")])
        assert {"created", "paper_recorded", "piece_added", "submitted", "claimed"} <= set(kinds)
        # The code served once.
    with Person.new(app, settings) as thief:
        assert thief.client.post("/claim", data={"code": code}).status_code == 400
    # Claimed: no new code can be printed for it.
    assert agent.post(f"/prefecture/paper/{file_id}/claim-code").status_code == 404


def test_codes_expire_and_a_new_code_replaces_the_old(app, settings) -> None:
    from datetime import timedelta

    from server import clock

    agent = staff(app, settings, prefecture="93")
    page = record(agent)
    first = CODE.search(page.text).group(1)
    file_id = re.search(r'/prefecture/files/([0-9a-f-]{36})"', page.text).group(1)
    assert file_id in agent.get("/prefecture/paper").text
    second = CODE.search(agent.post(f"/prefecture/paper/{file_id}/claim-code").text).group(1)
    secret = str(settings.secret_key)
    now = clock.now()
    assert app.state.db.read_sync(lambda c: claims.find(c, secret, first, now)) is None
    assert app.state.db.read_sync(lambda c: claims.find(c, secret, second, now)) is not None
    later = now + timedelta(days=claims.LIFETIME_DAYS + 1)
    assert app.state.db.read_sync(lambda c: claims.find(c, secret, second, later)) is None
    # Another prefecture cannot print one.
    paris = staff(app, settings, prefecture="75")
    assert paris.post(f"/prefecture/paper/{file_id}/claim-code").status_code == 404


def test_claims_are_rate_limited(app, settings) -> None:
    with Person.new(app, settings) as person:
        statuses = [
            person.client.post("/claim", data={"code": "AAAA-BBBB-CCCC-DDD" + str(n % 10)}).status_code
            for n in range(12)
        ]
    assert 429 in statuses and 500 not in statuses


def test_a_whole_paper_file_of_real_sized_scans_is_accepted(app, settings) -> None:
    """Bigger than a page's form: the route has the cap of several files."""
    agent = staff(app, settings, prefecture="93")
    scans = [("files:passport", (f"page-{n}.pdf", samples.pdf(400_000), "application/pdf")) for n in range(3)]
    page = record(agent, files_for=scans)
    assert page.status_code == 200, page.text
    assert CODE.search(page.text)
