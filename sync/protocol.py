"""The protocol as pure data: no I/O, no translations.

A command is `{id, client, seq, op, args, at}`:

- `id`      a UUID made by whoever issued the command (a phone, a form, the server);
            applying the same id twice returns the first result and changes nothing.
- `client`  who issued it (a device id, or `web:<form>` for plain HTML posts).
- `seq`     the client's own counter, to keep a client's commands in order.
- `op`      the operation, e.g. `account.update`.
- `args`    a JSON object, validated by the handler of `op`.
- `at`      when the client says it happened (ISO 8601), kept for the timeline.

Results carry a `status`:

- `applied`    the command changed what it had to; `version` is the counter value
               given to every row it changed.
- `refused`    the command was checked and not applied; `code` (one of CODES) says
               why, `field` which argument, if one. A refusal is final for that id:
               sending it again returns the same refusal.

Error codes are stable strings; the server translates them for people.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

PROTOCOL_VERSION = 1

# Codes of refusals made by the engine itself. Handlers add their own codes
# (validation of their arguments) and document them beside the handler.
CODES = {
    "bad_command": "the command is not of the protocol's form",
    "unknown_op": "no handler for this op",
    "id_conflict": "this id was already used for a different command",
    "forbidden": "the actor may not do this",
    "not_found": "the thing the command refers to does not exist (or is not visible)",
    "invalid": "an argument is not valid",
    "conflict": "the state changed meanwhile; the command no longer applies",
}

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_OP = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")


class ProtocolError(ValueError):
    """A command that is not of the protocol's form."""


@dataclass(frozen=True)
class Command:
    id: str
    client: str
    seq: int
    op: str
    args: dict[str, Any] = dataclasses.field(default_factory=dict)
    at: str = ""

    @classmethod
    def from_json(cls, data: Any) -> Command:
        if not isinstance(data, dict):
            raise ProtocolError("a command is a JSON object")
        try:
            command = cls(
                id=str(data["id"]),
                client=str(data.get("client", "")),
                seq=int(data.get("seq", 0)),
                op=str(data["op"]),
                args=data.get("args") or {},
                at=str(data.get("at", "")),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ProtocolError(f"missing or malformed field: {e}") from e
        command.check()
        return command

    def check(self) -> None:
        if not _UUID.match(self.id):
            raise ProtocolError("id must be a UUID")
        if not _OP.match(self.op):
            raise ProtocolError("op must look like 'noun.verb'")
        if not isinstance(self.args, dict):
            raise ProtocolError("args must be an object")
        if len(self.client) > 200:
            raise ProtocolError("client is too long")

    def digest(self) -> str:
        """A hash of what the command asks, to tell a replay from a reused id."""
        body = json.dumps(
            {"op": self.op, "args": self.args, "client": self.client, "seq": self.seq},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(body.encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "client": self.client,
            "seq": self.seq,
            "op": self.op,
            "args": self.args,
            "at": self.at,
        }


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Result:
    id: str
    status: str  # "applied" | "refused"
    version: int | None = None
    code: str | None = None
    field: str | None = None
    data: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def applied(self) -> bool:
        return self.status == "applied"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "status": self.status}
        if self.version is not None:
            out["version"] = self.version
        if self.code is not None:
            out["code"] = self.code
        if self.field is not None:
            out["field"] = self.field
        if self.data:
            out["data"] = self.data
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Result:
        return cls(
            id=data["id"],
            status=data["status"],
            version=data.get("version"),
            code=data.get("code"),
            field=data.get("field"),
            data=data.get("data") or {},
        )
