"""SMS encoding and splitting (3GPP TS 23.038 / 23.040).

A text that the GSM 7-bit alphabet can carry goes as GSM-7: 160 septets in one
SMS, 153 per part when concatenated (the user data header takes 7); the
characters of the extension table (€ [ ] { } ^ ~ | \\ and form feed) take two
septets, an escape and the character, which never go to different parts.
Anything else (Arabic) goes as UCS-2: 70 UTF-16 code units in one SMS, 67 per
part, never splitting a surrogate pair.

Typographic punctuation with a plain equivalent (’ « » … –, no-break spaces)
is replaced first, so a French sentence is not tripled in price for an
apostrophe.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "\f^{}\\[~]|€"
_BASIC = frozenset(GSM7_BASIC)
_EXTENSION = frozenset(GSM7_EXTENSION)

SINGLE = {"GSM-7": 160, "UCS-2": 70}
PART = {"GSM-7": 153, "UCS-2": 67}

PLAIN = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "«": '"',
        "»": '"',
        "“": '"',
        "”": '"',
        "…": "...",
        "–": "-",
        "—": "-",
        "\u00a0": " ",
        "\u202f": " ",
    }
)


@dataclass(frozen=True)
class Sms:
    encoding: str  # GSM-7 | UCS-2
    parts: tuple[str, ...]

    @property
    def text(self) -> str:
        return "".join(self.parts)


def plain(text: str) -> str:
    return text.translate(PLAIN)


def is_gsm7(text: str) -> bool:
    return all(c in _BASIC or c in _EXTENSION for c in text)


def _size(char: str, encoding: str) -> int:
    if encoding == "GSM-7":
        return 2 if char in _EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1  # a surrogate pair in UTF-16


def length(text: str, encoding: str) -> int:
    """Septets (GSM-7) or UTF-16 code units (UCS-2)."""
    return sum(_size(c, encoding) for c in text)


def split(text: str) -> Sms:
    """The text, made plain, in the encoding it needs and cut into parts."""
    text = plain(text)
    encoding = "GSM-7" if is_gsm7(text) else "UCS-2"
    if length(text, encoding) <= SINGLE[encoding]:
        return Sms(encoding, (text,))
    limit = PART[encoding]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        size = _size(char, encoding)
        if used + size > limit:
            parts.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += size
    parts.append("".join(current))
    return Sms(encoding, tuple(parts))
