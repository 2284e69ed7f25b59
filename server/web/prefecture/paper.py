"""Paper files: an agent records a file handed in at the counter or by post for
a person with no account, scans its pieces (several files per piece, through
the same checks as applicants' uploads), and prints a one-time claim code.

The file itself is one command (`paper.record`, audited); the claim code is a
secret, issued next to it in the same transaction but never in the command log
(`server/auth/claims.py`). The code is shown once, on the page answering the
post and in the PDF printed from it; a lost code is replaced by a new one.
"""

from __future__ import annotations

import io
import sys
import uuid
from typing import Any

import segno
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from server import clock, translation
from server import commands as command_registry
from server.auth import claims
from server.domain import accounts, audit, files, geography, letters, uploads
from server.domain import catalogue as catalogue_module
from server.domain.files import File
from server.domain.letters import Block, Letter, Section
from server.templating import date as format_date
from server.translation import gettext
from sync.protocol import Command, Result

from .. import date_fields
from ..common import actor, db, form, not_found, settings
from ..errors import render_error
from ..messages import message
from ..pieces import blobs, discard, receive, upload_refusal, uploaded_files
from .common import render, reviewed_file

PERSON_FIELDS = ("display_name", "language", "channel", "received_on")


def catalogue() -> catalogue_module.Catalogue:
    return catalogue_module.load()


def _choice(request: Request, values: dict[str, Any]) -> tuple[str, list[str]]:
    cat = catalogue()
    procedure = str(values.get("procedure") or "")
    if procedure not in cat.procedures:
        return "", []
    grounds = [
        g for g in values.get("grounds", []) if g in cat.grounds and procedure in cat.grounds[g].procedures
    ]
    return procedure, grounds


async def _form(
    request: Request,
    procedure: str,
    grounds: list[str],
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    report: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    cat = catalogue()
    chosen = cat.procedures.get(procedure)
    step = "procedure" if chosen is None else ("grounds" if chosen.needs_ground and not grounds else "file")
    return render(
        request,
        "prefecture/paper_new.html",
        {
            "step": step,
            "catalogue": cat,
            "procedure": chosen,
            "grounds": grounds,
            "ground_choices": cat.grounds_for(procedure) if chosen else [],
            "fields": [f for f in files.fields_for(procedure) if f.name != "prefecture"] if chosen else [],
            "checklist": cat.checklist(procedure, grounds) if chosen and step == "file" else [],
            "values": values
            or {"language": "fr", "channel": "counter", "received_on": clock.now().date().isoformat()},
            "errors": errors or {},
            "report": report or [],
            "today": clock.now().date().isoformat(),
        },
        status_code=status_code,
    )


async def new(request: Request) -> Response:
    query = request.query_params
    procedure, grounds = _choice(
        request, {"procedure": query.get("procedure"), "grounds": query.getlist("grounds")}
    )
    return await _form(request, procedure, grounds)


async def create(request: Request) -> Response:
    raw = await request.form(max_files=200, max_fields=400)
    try:
        return await _create(request, raw)
    finally:
        await raw.close()  # the spooled uploads: their bytes are kept as blobs by now


async def _create(request: Request, raw: Any) -> Response:
    who = actor(request)
    values = {k: v for k, v in raw.items() if isinstance(v, str)}
    # Dates come as three boxes (day, month, year): one text each, as the file keeps them.
    values = date_fields.compose(values, files.FIELDS.values())
    procedure, grounds = _choice(
        request, {"procedure": values.get("procedure"), "grounds": raw.getlist("grounds")}
    )
    if not procedure:
        return await _form(request, "", [], errors={"form": message("procedure_unknown")}, status_code=400)
    cat = catalogue()
    checklist = cat.checklist(procedure, grounds)
    received: list[uploads.Received] = []
    pieces: list[dict[str, str]] = []
    report: list[dict[str, str]] = []
    for item in checklist:
        for upload in uploaded_files(raw, f"files:{item.piece.id}"):
            name = upload.filename or "?"
            try:
                got = await receive(request, upload, cat.media_types(item.piece.id))
            except uploads.UploadRefused as refused:
                report.append({"filename": name, "text": upload_refusal(request, refused)})
                continue
            received.append(got)
            pieces.append(
                {
                    "piece": item.piece.id,
                    "attachment_id": str(uuid.uuid4()),
                    "blob": got.sha256,
                    "filename": name,
                }
            )
    kept = {k: values.get(k, "") for k in PERSON_FIELDS} | {
        f.name: values.get(f.name, "") for f in files.fields_for(procedure)
    }
    if report:
        return await _form(
            request, procedure, grounds, kept, {"form": message("files_refused_paper")}, report, 400
        )
    file_id = str(uuid.uuid4())
    args = {
        "file_id": file_id,
        "display_name": values.get("display_name", ""),
        "language": values.get("language", ""),
        "procedure": procedure,
        "grounds": grounds,
        "title": values.get("title") or None,
        "fields": {
            f.name: values.get(f.name, "") for f in files.fields_for(procedure) if f.name != "prefecture"
        },
        "pieces": pieces,
        "channel": values.get("channel", ""),
        "received_on": values.get("received_on", ""),
    }
    command = Command(
        id=str(uuid.uuid4()),
        client=f"web:{(who.session_id or '')[:12]}",
        seq=0,
        op="paper.record",
        args=args,
        at=clock.iso(clock.now()),
    )
    secret = str(settings(request).secret_key)

    store = blobs(request)

    def apply(conn: Any) -> tuple[Result, str, str]:
        account = who.account_id or ""
        # No storage cap here: the scans are the person's file, kept by the
        # prefecture for them, not the agent's own uploads.
        new = [item.sha256 for item in received if uploads.grant(conn, store, item, account, cap=sys.maxsize)]
        result = command_registry.apply(conn, command, who)
        if not result.applied:
            for sha in new:
                uploads.release(conn, store, sha, account)
            return result, "", ""
        code, expires = claims.issue(
            conn,
            secret,
            account_id=result.data["account_id"],
            purpose="paper",
            created_by=who.account_id or "",
            now=clock.now(),
        )
        _audit_code(conn, who, file_id)
        return result, code, expires

    try:
        result, code, expires = await db(request).write(apply)
    finally:
        discard(request, received)
    if not result.applied:
        field = result.field or "form"
        if field.startswith("pieces."):
            field = "form"
        return await _form(request, procedure, grounds, kept, {field: message(result.code)}, [], 400)
    return await _claim_page(request, file_id, code, expires)


def _audit_code(conn: Any, who: Any, file_id: str) -> None:
    # Issuing a code is no command (the code must not sit in the log): audited here.
    audit.record(
        conn,
        actor=who,
        action="claim_code.issue",
        outcome="applied",
        departement=who.prefecture,
        file_id=file_id,
    )


async def _held_file(request: Request) -> tuple[File, accounts.Account]:
    file = await reviewed_file(request)

    def load(conn: Any) -> tuple[accounts.Account | None, bool]:
        return accounts.get(conn, file.owner_id), claims.is_held(conn, file.owner_id)

    owner, held = await db(request).read(load)
    if owner is None or not held:
        raise not_found()  # claimed already (or never a paper file): no code to print
    return file, owner


async def _claim_page(request: Request, file_id: str, code: str, expires: str) -> Response:
    file = await db(request).read(files.get, file_id)
    assert file is not None
    owner = await db(request).read(accounts.get, file.owner_id)
    return render(
        request,
        "prefecture/paper_claim.html",
        {
            "file": file,
            "owner": owner,
            "code": code,
            "expires": expires,
            "claim_url": claim_url(request, code),
        },
    )


async def new_code(request: Request) -> Response:
    """A new claim code (the person lost theirs): the earlier one stops working."""
    file, owner = await _held_file(request)
    who = actor(request)
    secret = str(settings(request).secret_key)

    def issue(conn: Any) -> tuple[str, str]:
        code, expires = claims.issue(
            conn,
            secret,
            account_id=owner.id,
            purpose="paper",
            created_by=who.account_id or "",
            now=clock.now(),
        )
        _audit_code(conn, who, file.id)
        return code, expires

    code, expires = await db(request).write(issue)
    return await _claim_page(request, file.id, code, expires)


def claim_url(request: Request, code: str) -> str:
    return f"{settings(request).origin}/claim?code={code}"


async def claim_pdf(request: Request) -> Response:
    """The claim letter, printed for the person (the code comes with the request:
    it is kept nowhere readable)."""
    file, owner = await _held_file(request)
    values = await form(request)
    code = values.get("code", "")
    secret = str(settings(request).secret_key)
    valid = await db(request).read(lambda conn: claims.current_for(conn, secret, owner.id, code, clock.now()))
    if not valid:
        raise not_found()
    expires = await db(request).read(lambda conn: claims.find(conn, secret, code, clock.now()))
    words = claim_letter(file, owner, code, expires.expires_at if expires else "", claim_url(request, code))
    qr = _qr_png(claim_url(request, code))
    try:
        body = await run_in_threadpool(render_with_qr, words, qr)
    except letters.FontsMissing:
        return render_error(
            request,
            503,
            gettext(
                "Le PDF ne peut pas être créé pour l’instant sur ce serveur. Recopiez le code affiché à l’écran."
            ),
        )
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "content-disposition": f'attachment; filename="code-{file.number}.pdf"',
            "cache-control": "private, no-store",
        },
    )


def _qr_png(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


def claim_letter(file: File, owner: accounts.Account, code: str, expires: str, url: str) -> Letter:
    def section(lang: str) -> Section:
        with translation.language(lang):
            b = [
                Block("small", gettext("Sésame — votre dossier déposé sur papier")),
                Block(
                    "title", gettext("Votre dossier n° %(number)s est enregistré") % {"number": file.number}
                ),
                Block("text", gettext("Pour : %(name)s") % {"name": owner.display_name}),
            ]
            found = geography.get(file.departement)
            if found:
                b.append(
                    Block(
                        "text",
                        gettext("Préfecture : %(name)s (%(code)s)")
                        % {"name": found.name, "code": found.code},
                    )
                )
            b += [
                Block(
                    "text",
                    gettext(
                        "Vous pouvez suivre ce dossier sur votre téléphone : ses pièces, les demandes de la"
                        " préfecture, la décision. Ouvrez l’adresse ci-dessous (ou scannez le QR code), tapez"
                        " ce code, puis créez votre clé d’accès."
                    ),
                ),
                Block("reference", url.split("?")[0]),
                Block("strong", gettext("Votre code : %(code)s") % {"code": code}),
                Block(
                    "text",
                    gettext(
                        "Ce code ne sert qu’une fois. Il est valable jusqu’au %(date)s. Ne le donnez à personne."
                    )
                    % {"date": format_date(expires)},
                ),
                Block(
                    "text",
                    gettext(
                        "Vous n’êtes pas obligé·e de le faire : votre dossier continue sur papier et au guichet"
                        " si vous le préférez."
                    ),
                ),
            ]
            return Section(lang=lang, blocks=tuple(b))

    langs = ("fr",) if owner.language == "fr" else (owner.language, "fr")
    with translation.language("fr"):
        title = gettext("Votre dossier n° %(number)s est enregistré") % {"number": file.number}
    return Letter(
        title=title,
        sections=tuple(section(lang) for lang in langs),
        footer=f"Sésame · {file.number}",
        keywords=(file.number,),
    )


def render_with_qr(letter: Letter, png: bytes) -> bytes:
    """`letters.render`, with the QR code of the claim address on each page of text."""
    folder = letters.font_dir()
    pdf = letters._Pdf(format="A4")
    pdf.footer_text = letter.footer
    pdf.set_title(letter.title)
    pdf.set_lang(letter.language)
    pdf.set_creator("Sésame")
    pdf.set_keywords(" ".join(letter.keywords))
    for (family, style), name in letters.FONTS.items():
        pdf.add_font(family, style, str(folder / name))
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=20)
    pdf.alias_nb_pages()
    for section in letter.sections:
        pdf.add_page()
        letters.write_section(pdf, section)
        pdf.ln(4)
        pdf.image(io.BytesIO(png), w=45)
    return bytes(pdf.output())


async def index(request: Request) -> Response:
    """The prefecture's paper files whose person has not claimed them yet (to print a new code)."""
    who = actor(request)

    def load(conn: Any) -> list[Any]:
        return conn.execute(
            "SELECT f.id, f.number, f.submitted_at, a.display_name FROM files f JOIN accounts a ON a.id = f.owner_id"
            " WHERE f.departement = ? AND a.held_since IS NOT NULL AND a.claimed_at IS NULL"
            " ORDER BY f.created_at DESC LIMIT 200",
            (who.prefecture or "",),
        ).fetchall()

    return render(request, "prefecture/paper_index.html", {"rows": await db(request).read(load)})
