"""No overbooking: many people book the same slot at the same moment, over real
HTTP against a real server (`sesame serve`: Litestream and uvicorn in a
subprocess), and the slot never holds more bookings than its capacity."""

from __future__ import annotations

import http.client
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

from e2e.helpers import SesameServer
from server import clock
from server.auth import sessions
from server.domain import accounts, appointments
from server.store.db import Database
from server.store.migrations import migrate

from .test_appointments import ADMIN93, EVERY_DAY, run

PEOPLE = 24
CAPACITY = 3


class _App:
    """What `run` needs of an app: its database."""

    def __init__(self, database: Database) -> None:
        self.state = type("State", (), {"db": database})()


def _people(database: Database, desk_id: str) -> list[tuple[str, str]]:
    """Applicants, each with a granted file whose card is ready, and a session."""
    now = clock.iso(clock.now())

    def make(conn) -> list[tuple[str, str]]:
        made = []
        for n in range(PEOPLE):
            account = accounts.create(
                conn,
                display_name=f"P{n}",
                language="fr",
                user_handle=uuid.uuid4().bytes * 2,
                version=1,
                role="applicant",
            )
            file_id = str(uuid.uuid4())
            conn.execute(
                "INSERT INTO files (id, number, owner_id, procedure, grounds, status, departement, created_at,"
                " updated_at, submitted_at, decided_at, version) VALUES (?, ?, ?, 'renewal', '[]', 'decided',"
                " '93', ?, ?, ?, ?, 1)",
                (file_id, f"2026-9{n:05d}", account.id, now, now, now, now),
            )
            conn.execute(
                "INSERT INTO cards (file_id, departement, status, ready_at, version) VALUES (?, '93', 'ready', ?, 1)",
                (file_id, now),
            )
            token, _ = sessions.create(
                conn, account.id, lifetime=3600, sliding=False, user_agent="", ip="", now=clock.now()
            )
            made.append((file_id, token))
        return made

    return database.write_sync(make)


def test_concurrent_bookings_never_overbook_a_slot() -> None:
    server = SesameServer("overbooking")
    server.data_dir.mkdir(parents=True)
    database = Database(server.db_path)
    migrate(database)
    desk_id = str(uuid.uuid4())
    args = {
        "desk_id": desk_id,
        "name": "Guichet",
        "address": "Bobigny",
        "kinds": ["card_pickup"],
        "slot_minutes": 30,
        "capacity": CAPACITY,
        "horizon_days": 7,
        "hours": EVERY_DAY,
        "closures": [],
    }
    assert run(_App(database), ADMIN93, "desk.save", args).applied
    people = _people(database, desk_id)
    slot = database.read_sync(appointments.slots, "93", "card_pickup")[0]
    database.close()
    server.start()
    try:
        start = threading.Barrier(PEOPLE)

        def attempt(person: tuple[str, str]) -> int:
            file_id, token = person
            body = urlencode({"slot": f"{desk_id}|{slot.starts_at}", "appointment_id": str(uuid.uuid4())})
            connection = http.client.HTTPConnection("localhost", server.port, timeout=60)
            try:
                connection.connect()
                start.wait()  # everyone at once
                connection.request(
                    "POST",
                    f"/files/{file_id}/appointment",
                    body=body,
                    headers={
                        "origin": server.base_url,
                        "cookie": f"{sessions.COOKIE}={token}",
                        "content-type": "application/x-www-form-urlencoded",
                    },
                )
                return connection.getresponse().status
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
            codes = list(pool.map(attempt, people))
        assert sorted(set(codes)) == [303, 409], codes
        assert codes.count(303) == CAPACITY
        check = Database(server.db_path)
        booked = check.read_sync(appointments.booked_count, desk_id, slot.starts_at)
        seats = check.read_sync(
            lambda c: [
                r[0] for r in c.execute("SELECT seat FROM appointments WHERE status = 'booked' ORDER BY seat")
            ]
        )
        check.close()
        assert booked == CAPACITY and seats == list(range(CAPACITY))
    finally:
        server.cleanup()
