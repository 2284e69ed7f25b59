"""A person's whole history across their files, and "download all my data"."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from server import clock
from server.domain import (
    accounts,
    blockages,
    complements,
    decisions,
    files,
    letters,
    messages,
    pieces,
    timeline,
)
from server.domain import catalogue as catalogue_module
from server.store.blobs import BlobStore

from . import letter_content
from .common import actor, db, templates
from .pieces import blobs

READ_CHUNK = 256 * 1024
EXPORT_CSS = Path(__file__).parent.parent / "templates" / "files" / "export.css"


def _readable(entry: dict[str, Any], lang: str) -> dict[str, Any]:
    """A file as its index shows it: the answers in the form's order, each piece
    by its name in the checklist's order with its files in the order they were added."""
    cat = catalogue_module.load()
    file = entry["file"]
    values = entry["values"]
    fields = [(name, files.FIELDS[name].kind, values[name]) for name in files.FIELDS if name in values]
    fields += [(name, "text", values[name]) for name in sorted(values) if name not in files.FIELDS]
    by_piece: dict[str, list[pieces.Attachment]] = {}
    for attachment in entry["attachments"]:
        by_piece.setdefault(attachment.piece, []).append(attachment)
    order = [item.piece.id for item in cat.checklist(file.procedure, file.grounds)]
    order += sorted(p for p in by_piece if p not in order)
    return {
        "fields": fields,
        "pieces": [(cat.pieces[p].label(lang) if p in cat.pieces else p, by_piece.get(p, [])) for p in order],
    }


async def person_timeline(request: Request) -> Response:
    who = actor(request)

    def load(conn: Any) -> dict[str, Any]:
        owned = {f.id: f for f in files.owned_by(conn, who.owner)}
        return {"events": list(reversed(timeline.for_person(conn, who.owner))), "files_by_id": owned}

    data = await db(request).read(load)
    return templates(request).render(request, "files/timeline.html", data)


def _collect(conn: Any, owner_id: str) -> dict[str, Any]:
    owned = files.owned_by(conn, owner_id)
    return {
        "account": accounts.get(conn, owner_id),
        "files": [
            {
                "file": f,
                "values": files.field_values(conn, f.id),
                "attachments": [
                    a
                    for a in (
                        pieces.Attachment.from_row(r)
                        for r in conn.execute(
                            "SELECT a.*, b.pages FROM attachments a LEFT JOIN blobs b ON b.sha256 = a.blob"
                            " WHERE a.file_id = ? ORDER BY a.added_at, a.rowid",
                            (f.id,),
                        )
                    )
                ],
                "thread": messages.thread(conn, f.id),
                "events": timeline.for_file(conn, f.id),
                "complements": complements.for_file(conn, f.id),
                "decisions": decisions.for_file(conn, f.id),
            }
            for f in owned
        ],
        "blockages": blockages.for_account(conn, owner_id),
    }


def _safe(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_. " else "_" for ch in name).strip() or "file"
    return cleaned[:100]


class _Sink(io.RawIOBase):
    """Where the ZIP is written: what arrives is handed to the response at
    once. It cannot seek, so `zipfile` writes each entry's sizes after its
    bytes (data descriptors) and never goes back: the archive streams."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


@dataclass(frozen=True)
class _Entry:
    path: str
    blob: str = ""  # a stored document, read piece by piece
    size: int = 0
    data: bytes = b""  # or a small generated file (the index, data.json)


def zip_stream(store: BlobStore, entries: list[_Entry]) -> Iterator[bytes]:
    """The ZIP, chunk by chunk: memory stays at one read buffer whatever the
    size of the account (documents are stored as they are: already compressed)."""
    sink = _Sink()
    stamp = clock.now().timetuple()[:6]
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in entries:
            if not entry.blob:
                archive.writestr(entry.path, entry.data)
                yield sink.take()
                continue
            info = zipfile.ZipInfo(entry.path, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = entry.size  # lets zipfile choose ZIP64 up front for a huge one
            with store.open(entry.blob) as source, archive.open(info, "w") as target:
                while chunk := source.read(READ_CHUNK):
                    target.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


async def export(request: Request) -> Response:
    """Every file, piece and message of the person, as a ZIP with a readable index,
    streamed as it is written."""
    who = actor(request)
    data = await db(request).read(_collect, who.owner)
    store = blobs(request)
    entries: list[_Entry] = []
    paths: dict[str, str] = {}
    for entry in data["files"]:
        number = entry["file"].number
        for attachment in entry["attachments"]:
            path = f"{number}/pieces/{attachment.piece}/{attachment.id[:8]}-{_safe(attachment.filename)}"
            paths[attachment.id] = path
            if store.exists(attachment.blob):
                entries.append(_Entry(path, blob=attachment.blob, size=attachment.size))
        for m in entry["thread"]:
            for i, item in enumerate(m.attachments):
                path = f"{number}/messages/{m.id[:8]}-{i}-{_safe(item['filename'])}"
                paths[f"{m.id}/{i}"] = path
                if store.exists(item["blob"]):
                    entries.append(_Entry(path, blob=item["blob"], size=int(item.get("size") or 0)))
        for decision in entry["decisions"]:
            corrected = next((d for d in entry["decisions"] if d.id == decision.corrects), None)
            try:
                letter = letters.render(letter_content.letter(decision, request.state.lang, corrected))
            except letters.FontsMissing:
                continue  # the decision is in index.html and data.json all the same
            path = f"{number}/decisions/{letter_content.filename(decision)}"
            paths[decision.id] = path
            entries.append(_Entry(path, data=letter))
    lang = request.state.lang
    html = (
        templates(request)
        .env.get_template("files/export.html")
        .render(
            {
                **data,
                "paths": paths,
                "generated_at": clock.iso(clock.now()),
                "lang": lang,
                "readable": [_readable(entry, lang) for entry in data["files"]],
            }
        )
    )
    entries.append(_Entry("index.html", data=html.encode()))
    # Its styles beside it: the index is opened from the archive, away from the site.
    entries.append(_Entry("style.css", data=EXPORT_CSS.read_bytes()))
    as_json = json.dumps(_as_json(data), ensure_ascii=False, indent=1, default=str)
    entries.append(_Entry("data.json", data=as_json.encode()))
    stamp = clock.now().strftime("%Y-%m-%d")
    return StreamingResponse(
        zip_stream(store, entries),
        media_type="application/zip",
        headers={
            "content-disposition": f'attachment; filename="sesame-{stamp}.zip"',
            "cache-control": "no-store",
        },
    )


def _as_json(data: dict[str, Any]) -> dict[str, Any]:
    account = data["account"]
    return {
        "account": {
            k: getattr(account, k)
            for k in ("display_name", "language", "foreign_number", "email", "phone", "created_at")
        },
        "files": [
            {
                "number": e["file"].number,
                "procedure": e["file"].procedure,
                "grounds": list(e["file"].grounds),
                "title": e["file"].title,
                "status": e["file"].status,
                "created_at": e["file"].created_at,
                "submitted_at": e["file"].submitted_at,
                "fields": e["values"],
                "pieces": [
                    {
                        "piece": a.piece,
                        "filename": a.filename,
                        "added_at": a.added_at,
                        "removed_at": a.removed_at,
                    }
                    for a in e["attachments"]
                ],
                "messages": [
                    {"from": m.author_role, "sent_at": m.sent_at, "body": m.body} for m in e["thread"]
                ],
                "timeline": [{"at": ev.at, "kind": ev.kind, "data": ev.data} for ev in e["events"]],
                "complements": [
                    {
                        "kind": i.kind,
                        "target": i.target,
                        "reason": i.reason,
                        "due": i.due,
                        "status": i.status,
                        "asked_at": i.asked_at,
                        "answered_at": i.answered_at,
                    }
                    for i in e["complements"]
                ],
                "decisions": [
                    {
                        "decided_at": d.decided_at,
                        "outcome": d.outcome,
                        "in_force": d.in_force,
                        "corrects": d.corrects,
                        "motivation": d.motivation,
                    }
                    for d in e["decisions"]
                ],
            }
            for e in data["files"]
        ],
        # "I'm blocked" reports and the prefecture's answers.
        "blockage_reports": [
            {
                "number": r.number,
                "kind": r.kind,
                "details": r.details,
                "departement": r.departement,
                "created_at": r.created_at,
                "due": r.due,
                "answers": [{"kind": a.kind, "body": a.body, "at": a.at} for a in r.answers],
            }
            for r in data.get("blockages", [])
        ],
    }
