"""Attestation PDFs (ADR 0015): bytes and render time of the A4 PDF, for a
proof of submission in French and a provisional attestation with the holder's
photo in French and Arabic; and that the QR code drawn in it reads back
(zxing-cpp on the page rendered at 150 dpi) and verifies (`seal.open`).

Standalone: a throw-away key folder, no server (rendering is what costs).
"""

from __future__ import annotations

import io
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import pypdfium2
import zxingcpp
from PIL import Image

from server.domain import attestation_pdf, attestations, keys, seal
from server.domain.attestations import Attestation
from server.web import attestation_content

RUNS = 15
ORIGIN = "https://sesame.example.gouv.fr"


def photo() -> bytes:
    """A 360 × 460 px JPEG, like the card's (a gradient: photos do not compress to nothing)."""
    image = Image.linear_gradient("L").resize((360, 460)).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def attestation(kind: str) -> Attestation:
    issued = date(2026, 12, 2)
    until = attestations.add_months(issued, 6)
    claims: dict[int, Any] = {
        1: "7K3QZ9M2XD",
        2: attestations.KIND_CODES[kind],
        3: "93",
        4: "2026-004217",
        5: "Benali-Haddad",
        6: "Fatima Zahra Aïcha",
        7: "1988-11-23",
        8: "renewal",
        9: ["parent_of_french_child"],
        10: kind == "provisional",
        11: attestations.days(issued),
        12: attestations.days(until),
    }
    return Attestation(
        id="7K3QZ9M2XD",
        file_id="f",
        person_id="p",
        departement="93",
        kind=kind,
        basis="automatic",
        issued_at=f"{issued.isoformat()}T09:00:00+00:00",
        valid_until=until.isoformat(),
        status="valid",
        until_card=False,
        ended_at=None,
        end_reason=None,
        replaces=None,
        photo_id="photo" if kind == "provisional" else None,
        claims=claims,
        version=1,
    )


def measure() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sesame-bench-attest-") as folder:
        ring = keys.KeyRing(folder=Path(folder), generate=True)
        results: dict[str, Any] = {}
        for label, kind, reader in (
            ("proof_fr", "submission", "fr"),
            ("provisional_fr", "provisional", "fr"),
            ("provisional_fr_ar", "provisional", "ar"),
        ):
            att = attestation(kind)
            qr = seal.sign(att.claims, "93", ring)
            picture = photo() if att.photo_id else None
            doc = attestation_content.document(att, reader, ORIGIN, date(2026, 12, 3), qr, picture)
            times = []
            body = b""
            for _ in range(RUNS):
                start = time.perf_counter()
                body = attestation_pdf.render(doc)
                times.append((time.perf_counter() - start) * 1000)
            page = pypdfium2.PdfDocument(io.BytesIO(body))[0].render(scale=150 / 72).to_pil()
            read = [r.text for r in zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.QRCode)]
            verified = bool(read) and seal.open(read[0], ring).claims[1] == att.id
            results[label] = {
                "pdf_bytes": len(body),
                "render_ms_median": round(statistics.median(times), 1),
                "render_ms_max": round(max(times), 1),
                "qr_chars": len(qr),
                "qr_reads_back_and_verifies": verified,
            }
        return results


if __name__ == "__main__":
    import json

    print(json.dumps(measure(), indent=1))
