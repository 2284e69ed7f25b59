"""Connections: one writer, read-only readers.

Every write goes through the single writer connection, under a lock, inside
`BEGIN IMMEDIATE` (so a transaction never has to upgrade a read lock and fail
with SQLITE_BUSY). Reads use per-thread read-only connections. WAL mode lets
readers and the writer work at once and lets Litestream copy the WAL; we never
checkpoint by hand (Litestream manages checkpoints).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000


def _configure(conn: sqlite3.Connection) -> None:
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")


def connect_writer(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: we issue BEGIN/COMMIT ourselves.
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    _configure(conn)
    conn.execute("PRAGMA journal_mode = WAL")
    # NORMAL is durable across application crashes in WAL mode; Litestream
    # recommends it.
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


class Database:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._writer: sqlite3.Connection | None = None
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []

    # -- writing -----------------------------------------------------------
    def writer(self) -> sqlite3.Connection:
        if self._writer is None:
            self._writer = connect_writer(self.path)
        return self._writer

    @contextmanager
    def exclusive(self) -> Iterator[sqlite3.Connection]:
        """The writer connection, under the lock, with no transaction opened."""
        with self._lock:
            yield self.writer()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The writer connection inside BEGIN IMMEDIATE … COMMIT (rollback on error)."""
        with self._lock:
            conn = self.writer()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")

    def write_sync(self, fn: Callable[..., T], *args: Any) -> T:
        with self.transaction() as conn:
            return fn(conn, *args)

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(conn, *args)` in one write transaction, off the event loop."""
        return await anyio.to_thread.run_sync(self.write_sync, fn, *args)

    # -- reading -----------------------------------------------------------
    def reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            self.writer()  # make sure the file and its WAL exist
            conn = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
            )
            _configure(conn)
            self._local.conn = conn
            with self._lock:
                self._readers.append(conn)
        return conn

    def read_sync(self, fn: Callable[..., T], *args: Any) -> T:
        conn = self.reader()
        # One read transaction: the function sees one consistent snapshot.
        conn.execute("BEGIN")
        try:
            return fn(conn, *args)
        finally:
            conn.execute("ROLLBACK")

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(self.read_sync, fn, *args)

    def close(self) -> None:
        with self._lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        self._local = threading.local()
