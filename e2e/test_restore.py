"""The issue's acceptance: the database file is lost, `sesame serve` brings it back from
its Litestream replica, and people sign in as before."""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import expect

from .helpers import continue_after_codes, sign_in, sign_out, signup


def newest_replica_change(replica: Path) -> float:
    files = [p.stat().st_mtime for p in replica.rglob("*") if p.is_file()]
    return max(files, default=0.0)


def test_lost_database_is_restored_from_the_replica(fresh_server, new_device_factory, name):
    server = fresh_server
    _, page, _ = new_device_factory(server)
    codes = signup(page, name)
    continue_after_codes(page)
    expect(page.locator("h1")).to_have_text(f"Bonjour, {name}")
    signed_up = time.time()

    # Litestream ships changes about every second: wait until it has (2 s at most, as a
    # person would before pulling the plug), then stop the server the usual way.
    deadline = time.monotonic() + 2
    while newest_replica_change(server.data_dir / "replica") < signed_up and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.2)
    assert server.stop() == 0, server.log()

    # `rm data/*.db`: the database is gone (its -wal and -shm are left behind).
    server.db_path.unlink()
    assert not server.db_path.exists()
    server.start()
    assert server.db_path.exists()
    assert "Database restored from its replica" in server.log(), server.log()
    assert server.enrol_link is not None  # no administrator was ever enrolled

    # The account and its passkey are back.
    page.goto("/dashboard")
    expect(page.locator("h1")).to_have_text(f"Bonjour, {name}")
    sign_out(page)
    sign_in(page)
    expect(page.locator("h1")).to_have_text(f"Bonjour, {name}")

    # So are its recovery codes (their pepper, data/secret.key, was never lost).
    _, new_phone, _ = new_device_factory(server)
    new_phone.goto("/recover")
    new_phone.locator("#f-code").fill(codes[0])
    new_phone.locator("form[action='/recover'] button[type=submit]").click()
    new_phone.locator("[data-passkey-start]").click()
    expect(new_phone).to_have_url(re.compile(r"/account\?done=recovered_signed_out$"))
    expect(new_phone.locator("#f-display_name")).to_have_value(name)
