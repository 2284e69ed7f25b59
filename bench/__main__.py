"""Benchmarks: `python -m bench` (or `make bench`) prints figures against the budgets.

It starts the real server (`sesame serve`: Litestream wrapping uvicorn) on a
free port with a throw-away data folder, and measures over real HTTP:

  pages     compressed bytes of HTML, CSS and JS of each key page; the documents page
            with 10 pieces (3 with files): its weight and its height at 360 px
  loads     cold and warm load times in Debian's chromium under a low-end phone
            profile (4x CPU slowdown, 1.6 Mbps, 150 ms RTT) and a 2G-like one
            (250 kbps, 800 ms RTT); cold loads block the service worker (CDP
            throttling does not reach what a worker answers), warm loads come
            from the worker's cache, offline
  sync      bytes of an idle pull (request and answer, on the wire)
  upload    bytes sent again when a 20 MB upload is cut in the middle of a chunk
  drops     bytes re-sent per dropped connection through a cutting proxy (bench/drops.py),
            at 256 KiB chunks and at the uploader's chunk size
  push      commands applied per second through POST /sync/push
  photos    12-megapixel photos (smooth, textured and noisy, dark and noisy) through the
            phone's preparation
  memory    peak memory of the server under a chunked 200 MB push and the export
            of a 95 MB account (bench/memory.py)
  tus       peak memory and local disk of the server while a 200 MB file arrives
            over tus, on the file store and on S3 (SeaweedFS; bench/tus_memory.py)
  attestations  bytes and render time of the attestation PDF (fr, fr + ar, with a
            photo), and its QR code read back from the page and verified
  figures   service figures on the inbox data (200,000 files), domain and HTTP
  inbox     the prefecture's inbox on 200,000 files and 2,000,000 events (its own
            throw-away database; domain queries and in-process HTTP)
  seal      signed attestations: QR payload bytes and version for short, typical
            and very long names, signatures and verifications per second, and the
            weight of /verify (bench/seal.py)
  notify    reminders per second by e-mail (a real SMTP server) and SMS (an HTTP
            provider) on the loopback, and the time from an agent's act to the
            message leaving (bench/notify.py)
  shelter   shelter mode's encryption under the low-end phone profile (4x CPU): time
            to unlock (PIN, passkey PRF), to switch person, to save a field, to
            queue a 500 KB photo (bench/shelter.py)
  webpush   encrypted Web Push messages per second to a local RFC 8030 push service
            (encryption alone, one thread, four threads), and each one's time (bench/webpush.py)

Figures, not assertions: budgets are printed beside them (DESIGN.md).
Results are also written to bench/results/latest.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from . import attestations, drops, figures, inbox, loads, memory, pages, photos, server, syncing, tus_memory
from . import notify as notify_bench
from . import seal as seal_bench
from . import shelter as shelter_bench
from . import webpush as webpush_bench

# Measures that start what they need themselves (their own server or database).
STANDALONE = {
    "inbox": inbox.measure,
    "figures": figures.measure,
    "memory": memory.measure,
    "tus": tus_memory.measure,
    "seal": seal_bench.measure,
    "attestations": attestations.measure,
    "notify": notify_bench.measure,
    "webpush": webpush_bench.measure_all,
}


def main() -> int:
    only = set(sys.argv[1:])
    results: dict[str, object] = {}
    for name, measure in STANDALONE.items():
        if not only or name in only:
            results[name] = measure()
            print(f"{name}:", json.dumps(results[name]))
    if only and only <= set(STANDALONE):
        return _write(results)
    with server.running() as app:
        if not only or "pages" in only:
            results["pages"] = pages.measure(app)
        if not only or "sync" in only:
            results["sync"] = syncing.idle_pull(app)
        if not only or "upload" in only:
            results["upload"] = syncing.dropped_upload(app)
        if not only or "drops" in only:
            results["drops"] = drops.measure(app)
        if not only or "push" in only:
            results["push"] = syncing.push_throughput(app)
        if not only or "photos" in only:
            results["photos"] = photos.measure(app)
        if not only or "loads" in only:
            results["loads"] = loads.measure(app)
        if not only or "shelter" in only:
            results["shelter"] = shelter_bench.measure(app)
    return _write(results)


def _write(results: dict[str, object]) -> int:
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=1))
    print(f"\nwritten to {out / 'latest.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
