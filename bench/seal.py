"""Signed attestations (ADR 0014): QR payload and version for short, typical and
very long names (budget: version ≤ 10 at medium error correction), signatures
and verifications per second on the server, and the weight of /verify (HTML +
CSS + JS, gzip; budget JS < 30 KB, the QR decoder loaded only by browsers
without BarcodeDetector counted apart). Its own throw-away data folder and an
in-process app: no server needed."""

from __future__ import annotations

import gzip
import re
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import cbor2
import segno

from server.domain import keys, seal

BUDGET_VERSION = 10
BUDGET_JS = 30 * 1024

NAMES = {
    "short": ("Diallo", "Awa", "renewal", ["employee"]),
    "typical": ("Nguyen Thi", "Marie-Claire Fatima", "change_of_situation", ["personal_family_ties"]),
    "long": (
        "Ben Abdelkader El Idrissi Al-Hassani",
        "Mohamed Amine Abdelrahman Youssef",
        "change_of_situation",
        ["young_adult_child_welfare", "personal_family_ties"],
    ),
    "very long": (
        "Wolfeschlegelsteinhausenbergerdorff-Ramanathapuram",
        "Hubert Blaine Venkatanarasimharajuvaripeta Xavier",
        "first_application",
        ["parent_of_french_child", "spouse_of_french_national", "exceptional_admission"],
    ),
}


def _claims(family: str, given: str, procedure: str, grounds: list[str]) -> dict[int, Any]:
    issued = date(2026, 12, 2)
    return {
        seal.CODE: "7K3M9Q2XHD",
        seal.KIND: seal.KIND_PROVISIONAL,
        seal.FILE_NUMBER: "2026-000042",
        seal.FAMILY_NAME: family,
        seal.GIVEN_NAMES: given,
        seal.BIRTH_DATE: "1994-03-17",
        seal.PROCEDURE: procedure,
        seal.GROUNDS: grounds,
        seal.WORK_ALLOWED: True,
        seal.ISSUED: seal.days(issued),
        seal.VALID_UNTIL: seal.days(issued + timedelta(days=182)),
    }


def _rate(action: Any, seconds: float = 1.5) -> float:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        action()
        count += 1
    return count / (time.perf_counter() - start)


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, 6))


def _page_weight(data_dir: str) -> dict[str, int]:
    from starlette.testclient import TestClient

    from server.app import create_app
    from server.settings import load

    settings = load({"SESAME_DATA": data_dir})
    app = create_app(settings)
    keys.keyring(settings).signer("75")
    try:
        with TestClient(app, base_url=settings.origin) as client:
            html = client.get("/verify").content
            text = html.decode()
            css = sum(
                _gz(client.get(h).content) for h in re.findall(r'<link rel="stylesheet" href="([^"]+)"', text)
            )
            js = sum(_gz(client.get(s).content) for s in re.findall(r'<script src="([^"]+)"', text))
            decoder = re.search(r'"decoder": "([^"]+)"', text)
            lazy = _gz(client.get(decoder.group(1)).content) if decoder else 0
    finally:
        app.state.db.close()
    return {"html": _gz(html), "css": css, "js": js, "total": _gz(html) + css + js, "decoder_lazy": lazy}


def measure() -> dict[str, Any]:
    results: dict[str, Any] = {"qr": {}}
    with tempfile.TemporaryDirectory() as tmp:
        ring = keys.KeyRing(folder=Path(tmp) / "keys", generate=True)
        print(f"\nAttestation QR codes (budget: version ≤ {BUDGET_VERSION} at error correction M)")
        print(f"  {'names':10} {'claims B':>8} {'COSE B':>7} {'QR chars':>8} {'version':>7}  shortened to")
        for label, (family, given, procedure, grounds) in NAMES.items():
            text = seal.sign(_claims(family, given, procedure, grounds), "75", ring)
            opened = seal.open(text, ring)
            qr = segno.make(text, error="m", micro=False, boost_error=False)
            claims_bytes = len(cbor2.dumps(seal._wire_claims(opened.claims), canonical=True))
            cose_bytes = len(seal.base45.decode(text[len(seal.PREFIX) :]))
            names = (opened.claims[seal.FAMILY_NAME], opened.claims[seal.GIVEN_NAMES])
            shortened = names != (family, given)
            results["qr"][label] = {
                "claims_bytes": claims_bytes,
                "payload_bytes": cose_bytes,
                "qr_chars": len(text),
                "qr_version": qr.version,
                "shortened": shortened,
            }
            flag = "" if qr.version <= BUDGET_VERSION else "  OVER BUDGET"
            note = f"{names[0]} / {names[1]}" if shortened else "-"
            print(
                f"  {label:10} {claims_bytes:>8} {cose_bytes:>7} {len(text):>8} {qr.version:>7}  {note}{flag}"
            )
        typical = seal.sign(_claims(*NAMES["typical"]), "75", ring)
        results["sign_per_s"] = round(_rate(lambda: seal.sign(_claims(*NAMES["typical"]), "75", ring)))
        results["open_per_s"] = round(_rate(lambda: seal.open(typical, ring)))
        print(
            f"  server: {results['sign_per_s']} signatures/s, {results['open_per_s']} verifications/s (seal.open, one core)"
        )
        weight = _page_weight(tmp + "/app")
        results["verify_page"] = weight
        flag = "" if weight["js"] < BUDGET_JS else "  OVER BUDGET"
        print(
            f"  /verify, gzip: HTML {weight['html']}, CSS {weight['css']}, JS {weight['js']}"
            f" (total {weight['total']}){flag}; QR decoder loaded only without BarcodeDetector:"
            f" {weight['decoder_lazy']}"
        )
    return results
