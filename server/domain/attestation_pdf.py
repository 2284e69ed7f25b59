"""An attestation as an A4 PDF: the QR code that holds the whole signed
payload, the short code to type, the holder's photo when one was given, and
the text in French then in the person's language (the fonts and the shaping
of `letters.py`, ADR 0012).

The sheet is given already worded (`Sheet`: the words come from the web
layer); this module only lays it out.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno
from fpdf import FPDF

from . import letters
from .letters import Block, Section

QR_MM = 62  # a version-10 QR code: 65 modules with its margin, about 1 mm each
PHOTO_W, PHOTO_H = 35, 45  # an identity photo's proportions, in mm


@dataclass(frozen=True)
class Sheet:
    lang: str
    blocks: tuple[Block, ...]  # title first, then the details
    code_label: str  # "Code de vérification"


@dataclass(frozen=True)
class Document:
    title: str
    code: str  # as printed: ABCDE-FGHIJ
    qr_text: str | None  # the signed payload (None: it could not be signed)
    photo: bytes | None
    sheets: tuple[Sheet, ...]
    footer: str
    language: str = "fr"


def qr_png(text: str) -> bytes:
    """The QR code (medium error correction) as a PNG, 8 pixels a module."""
    out = io.BytesIO()
    segno.make(text, error="m", boost_error=False).save(out, kind="png", scale=8, border=4)
    return out.getvalue()


def _head(pdf: FPDF, doc: Document, sheet: Sheet, qr: bytes | None) -> None:
    """Title, then the photo on the left and the QR code with its code on the right."""
    letters.write_section(pdf, Section(sheet.lang, sheet.blocks[:1]))
    top = pdf.get_y() + 2
    left = pdf.l_margin
    right = pdf.w - pdf.r_margin
    if doc.photo:
        pdf.image(io.BytesIO(doc.photo), x=left, y=top, w=PHOTO_W, h=PHOTO_H, keep_aspect_ratio=True)
    if qr:
        pdf.image(io.BytesIO(qr), x=right - QR_MM, y=top, w=QR_MM, h=QR_MM)
    pdf.set_xy(right - QR_MM - 20, top + QR_MM + 1)
    if sheet.lang in letters.RTL and letters.is_arabic(sheet.code_label):
        pdf.set_font("Naskh", "", 9.5)
        pdf.set_text_shaping(use_shaping_engine=True, script="arab", language="ar")
    else:
        pdf.set_font("Sans", "", 8.5)
        pdf.set_text_shaping(use_shaping_engine=True)
    pdf.cell(QR_MM + 20, 4.5, sheet.code_label, align="R", new_x="LEFT", new_y="NEXT")
    pdf.set_text_shaping(False)
    pdf.set_font("Sans", "B", 16)
    pdf.cell(QR_MM + 20, 8, doc.code, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(top + QR_MM + 15, top + (PHOTO_H if doc.photo else 0) + 4))


def render(doc: Document) -> bytes:
    """The attestation as PDF bytes. Raises letters.FontsMissing when the fonts are absent."""
    pdf = letters.start(doc.title, doc.language, doc.footer, ("attestation", doc.code))
    qr = qr_png(doc.qr_text) if doc.qr_text else None
    for n, sheet in enumerate(doc.sheets):
        if n:
            pdf.add_page()  # each language on its own page, each with the QR code
        _head(pdf, doc, sheet, qr)
        letters.write_section(pdf, Section(sheet.lang, sheet.blocks[1:]))
    return bytes(pdf.output())
