"""Base45 (RFC 9285): bytes as text in the QR alphanumeric alphabet.

A QR code stores that alphabet at 5.5 bits a character against 8 in byte
mode, which is why the EU digital certificates (and our attestations,
ADR 0014) use it. Twenty lines are simpler than a dependency.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


class Base45Error(ValueError):
    """The text is not base45."""


def encode(data: bytes) -> str:
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        c, n = n % 45, n // 45
        d, e = n % 45, n // 45
        out += [ALPHABET[c], ALPHABET[d], ALPHABET[e]]
    if len(data) % 2:
        n = data[-1]
        out += [ALPHABET[n % 45], ALPHABET[n // 45]]
    return "".join(out)


def decode(text: str) -> bytes:
    try:
        values = [_VALUE[c] for c in text]
    except KeyError as error:
        raise Base45Error(f"not a base45 character: {error.args[0]!r}") from None
    if len(values) % 3 == 1:
        raise Base45Error("base45 text of a length that no bytes encode")
    out = bytearray()
    for i in range(0, len(values), 3):
        chunk = values[i : i + 3]
        n = sum(v * 45**k for k, v in enumerate(chunk))
        if len(chunk) == 3:
            if n > 0xFFFF:
                raise Base45Error("base45 triple out of range")
            out += n.to_bytes(2, "big")
        else:
            if n > 0xFF:
                raise Base45Error("base45 pair out of range")
            out.append(n)
    return bytes(out)
