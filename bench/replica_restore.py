"""Restore time from an S3 replica, for a given database: ship it once with
Litestream to a local SeaweedFS (`weed mini`, as in the tests), then time
`litestream restore` into a new file — the RTO of a lost disk, for that size.

    python -m bench.replica_restore PATH/TO/sesame.db

A real service adds its network (at 1 Gbit/s, ~8 s per GB compressed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from server.cli import litestream_binary
from tests.seaweed import running


def measure(db_path: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
    with running() as s3, tempfile.TemporaryDirectory(prefix="sesame-restore-", dir=db_path.parent) as tmp:
        env.update({k: v for k, v in s3.environ().items() if k.startswith("AWS_")})
        config = Path(tmp) / "litestream.yml"
        config.write_text(
            "dbs:\n"
            f"  - path: {db_path}\n"
            "    replica:\n"
            f"      url: s3://{s3.bucket}/bench-{uuid.uuid4().hex[:8]}\n"
            f"      endpoint: {s3.endpoint}\n"
            "      force-path-style: true\n"
        )
        began = time.monotonic()
        subprocess.run(
            [litestream_binary(), "replicate", "-config", str(config), "-once"],
            env=env,
            check=True,
            capture_output=True,
        )
        shipped = time.monotonic() - began
        out = Path(tmp) / "restored.db"
        began = time.monotonic()
        subprocess.run(
            [litestream_binary(), "restore", "-config", str(config), "-o", str(out), str(db_path)],
            env=env,
            check=True,
            capture_output=True,
        )
        restored = time.monotonic() - began
        stored = sum(f.stat().st_size for f in s3.folder.rglob("*") if f.is_file())
        result = {
            "db_gb": round(db_path.stat().st_size / 1e9, 2),
            "replica_gb_on_store": round(stored / 1e9, 2),
            "first_snapshot_s": round(shipped, 1),
            "restore_s": round(restored, 1),
            "restored_gb": round(out.stat().st_size / 1e9, 2),
        }
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    measure(Path(sys.argv[1]).resolve())
