"""The authentication journal: sign-ins, failures, passkeys added or removed, recoveries."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from server import clock


def record(
    conn: sqlite3.Connection,
    kind: str,
    *,
    account_id: str | None = None,
    ip: str | None = None,
    now: datetime | None = None,
    **detail: Any,
) -> None:
    conn.execute(
        "INSERT INTO auth_events (at, account_id, kind, ip, detail) VALUES (?, ?, ?, ?, ?)",
        (
            clock.iso(now or clock.now()),
            account_id,
            kind,
            ip,
            json.dumps(detail, ensure_ascii=False) if detail else None,
        ),
    )


def for_account(conn: sqlite3.Connection, account_id: str, kind: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT * FROM auth_events WHERE account_id = ?"
    params: list[Any] = [account_id]
    if kind:
        sql += " AND kind = ?"
        params.append(kind)
    return [dict(row) for row in conn.execute(sql + " ORDER BY id", params)]
