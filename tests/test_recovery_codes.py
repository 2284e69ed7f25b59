from __future__ import annotations

import math
import re

from server import clock
from server.auth import recovery
from server.domain import accounts
from server.store.db import Database

KEY = "k" * 64


def account(db: Database, n: int = 1) -> str:
    return db.write_sync(
        lambda c: (
            accounts.create(c, display_name=f"P{n}", language="fr", user_handle=bytes([n]) * 32, version=1).id
        )
    )


def test_eight_distinct_codes_of_at_least_64_bits_stored_hashed(db: Database) -> None:
    who = account(db)
    codes = db.write_sync(recovery.generate, KEY, who, clock.now())
    assert len(codes) == recovery.COUNT == 8 == len(set(codes))
    assert all(len(recovery.normalise(c)) == 13 for c in codes)
    assert math.log2(len(recovery.ALPHABET)) * recovery.LENGTH >= 64
    assert all(re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}", c) for c in codes)
    stored = db.read_sync(lambda c: [r[0] for r in c.execute("SELECT code_hash FROM recovery_codes")])
    assert not set(codes) & set(stored)
    assert not any(recovery.normalise(c) in stored for c in codes)


def test_codes_are_typed_loosely() -> None:
    assert recovery.normalise("7kq2 m9xd-4rtb 0zph") == "7KQ2M9XD4RTB0ZPH"
    assert recovery.normalise("OIL") == "011"  # O→0, I and L→1: what people misread


def test_a_code_is_spent_once(db: Database) -> None:
    who = account(db)
    codes = db.write_sync(recovery.generate, KEY, who, clock.now())
    found = db.read_sync(recovery.find, KEY, codes[3])
    assert found and found.account_id == who
    assert db.write_sync(recovery.spend, found.code_hash, clock.now()) == who
    assert db.write_sync(recovery.spend, found.code_hash, clock.now()) is None
    assert db.read_sync(recovery.find, KEY, codes[3]) is None
    assert db.read_sync(recovery.remaining, who) == recovery.COUNT - 1


def test_a_new_set_voids_the_old(db: Database) -> None:
    who = account(db)
    old = db.write_sync(recovery.generate, KEY, who, clock.now())
    new = db.write_sync(recovery.generate, KEY, who, clock.now())
    assert db.read_sync(recovery.find, KEY, old[0]) is None
    assert db.read_sync(recovery.find, KEY, new[0]) is not None
    assert db.read_sync(recovery.remaining, who) == recovery.COUNT


def test_codes_depend_on_the_secret_key(db: Database) -> None:
    who = account(db)
    codes = db.write_sync(recovery.generate, KEY, who, clock.now())
    assert db.read_sync(recovery.find, "another key", codes[0]) is None
    assert db.read_sync(recovery.find, KEY, "short") is None


def test_codes_of_an_older_set_still_work(db: Database) -> None:
    """Sets made before held 16-character codes: they are still found until spent."""
    who = account(db)
    old = "7KQ2-M9XD-4RTB-0ZPH"
    db.write_sync(
        lambda c: c.execute(
            "INSERT INTO recovery_codes (account_id, code_hash, set_id, created_at) VALUES (?, ?, 's', ?)",
            (who, recovery.code_hash(KEY, old), clock.iso(clock.now())),
        )
    )
    found = db.read_sync(recovery.find, KEY, old.lower())
    assert found and found.account_id == who
