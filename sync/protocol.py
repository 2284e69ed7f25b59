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
               sending it again returns the same refusal — except `bad_command`
               (never recorded: it was not a command) and `failed` (the server's
               own fault, not recorded, so sending it again tries again).

Ids are scoped by actor: the same id from another person is another command,
and never returns the first person's result.

Error codes are stable strings; the server translates them for people.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
    "failed": "the server failed applying it (its fault); nothing kept, it may be sent again",
}

MAX_SEQ = 2**63 - 1  # SQLite's INTEGER
MAX_ARGS_DEPTH = 8  # args → fields → value is 3; attachments → item → key is 4
MAX_ARGS_BYTES = 256 * 1024
# A date a person can have done something on: the service did not exist before
# 2000, and a phone dated past 2100 has a broken clock (see `effective_at`).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# How far ahead of the server's clock a phone's clock may be before its `at`
# is not believed (phones drift; a few minutes is ordinary).
CLOCK_SKEW = timedelta(minutes=5)

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
        """A command from a phone's JSON, every field checked for type and range:
        a wrong type is never coerced (a list where text is expected is refused,
        not stored as its repr)."""
        if not isinstance(data, dict):
            raise ProtocolError("a command is a JSON object")
        for name in ("id", "op"):
            if not isinstance(data.get(name), str):
                raise ProtocolError(f"{name} must be a string")
        client = data.get("client", "")
        if not isinstance(client, str):
            raise ProtocolError("client must be a string")
        seq = data.get("seq", 0)
        # bool is an int in Python; 1.0 and 1e999 are floats: none is a sequence number.
        if isinstance(seq, bool) or not isinstance(seq, int):
            raise ProtocolError("seq must be an integer")
        at = data.get("at", "")
        if at is None:
            at = ""
        if not isinstance(at, str):
            raise ProtocolError("at must be a string")
        args = data.get("args")
        if args is None:
            args = {}
        command = cls(id=data["id"], client=client, seq=seq, op=data["op"], args=args, at=at)
        command.check()
        return command

    def check(self) -> None:
        """Raise ProtocolError unless every field is of the protocol's form."""
        if not isinstance(self.id, str) or not _UUID.match(self.id):
            raise ProtocolError("id must be a UUID")
        if not isinstance(self.op, str) or len(self.op) > 100 or not _OP.match(self.op):
            raise ProtocolError("op must look like 'noun.verb'")
        if not isinstance(self.client, str) or len(self.client) > 200:
            raise ProtocolError("client is too long")
        if isinstance(self.seq, bool) or not isinstance(self.seq, int) or not 0 <= self.seq <= MAX_SEQ:
            raise ProtocolError("seq must be an integer in 0..2^63-1")
        if not isinstance(self.args, dict):
            raise ProtocolError("args must be an object")
        check_args(self.args)
        if not isinstance(self.at, str):
            raise ProtocolError("at must be a string")
        if self.at:
            parse_at(self.at)

    def digest(self) -> str:
        """A hash of what the command asks, to tell a replay from a reused id."""
        return self._digest

    @functools.cached_property
    def _digest(self) -> str:
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


def parse_at(at: str) -> datetime:
    """An ISO 8601 moment between 2000 and 2100 (UTC when no offset is given)."""
    if len(at) > 40:
        raise ProtocolError("at is not a date")
    try:
        moment = datetime.fromisoformat(at)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError) as e:
        raise ProtocolError("at is not a date") from e
    if not EARLIEST <= moment < LATEST:
        raise ProtocolError("at is out of range")
    return moment


def effective_at(at: str, received: datetime) -> datetime:
    """When the command counts as done: its own `at` (offline edits keep their
    time), unless missing or ahead of the server's clock by more than the skew,
    then when the server received it — so a phone dated 2999 cannot freeze a
    last-writer-wins field against every later edit."""
    if not at:
        return received
    try:
        moment = parse_at(at)
    except ProtocolError:
        return received
    return received if moment > received + CLOCK_SKEW else moment


def check_args(args: dict[str, Any]) -> None:
    """Args nest at most MAX_ARGS_DEPTH deep, hold only JSON values with string
    keys, and weigh about MAX_ARGS_BYTES at most (strings counted by length)."""
    size = 0

    def walk(value: Any, level: int) -> None:
        nonlocal size
        if level > MAX_ARGS_DEPTH:
            raise ProtocolError("args are nested too deep")
        size += 8
        if isinstance(value, str):
            size += len(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise ProtocolError("args keys must be strings")
                size += len(key)
                walk(item, level + 1)
        elif isinstance(value, list):
            for item in value:
                walk(item, level + 1)
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise ProtocolError("args hold a number out of range")
        elif isinstance(value, int) and not isinstance(value, bool):
            if not -MAX_SEQ - 1 <= value <= MAX_SEQ:
                raise ProtocolError("args hold a number out of range")
        elif value is not None and not isinstance(value, bool):
            raise ProtocolError("args hold a value that is not JSON")
        if size > MAX_ARGS_BYTES:
            raise ProtocolError("args are too large")

    walk(args, 1)


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
