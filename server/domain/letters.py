"""Decision letters as PDF: fpdf2 lays out the text, HarfBuzz (uharfbuzz) shapes
it, Noto fonts draw French, English and Arabic (see ADR 0012).

The letter is given already worded (`Letter`: the words come from the web
layer, in each language); this module only lays it out: the French text first
(it is the decision), then the person's language beside it when it is not
French, right to left for Arabic. Legal references stay on their own
left-to-right lines, so an article number is never reordered inside Arabic,
and a text with no Arabic in it (the agent's own words, in French) is laid out
left to right even in the Arabic part.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF

# Debian's fonts-noto-core (installed by the Makefile); another folder may hold the same files.
FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/noto"))
FONTS = {
    ("Sans", ""): "NotoSans-Regular.ttf",
    ("Sans", "B"): "NotoSans-Bold.ttf",
    ("Naskh", ""): "NotoNaskhArabic-Regular.ttf",
    ("Naskh", "B"): "NotoNaskhArabic-Bold.ttf",
}
RTL = ("ar",)


class FontsMissing(RuntimeError):
    """The Noto fonts are not installed: no letter can be drawn."""


@dataclass(frozen=True)
class Block:
    kind: str  # title | heading | text | strong | reference | small
    text: str


@dataclass(frozen=True)
class Section:
    lang: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Letter:
    title: str  # document title (metadata)
    sections: tuple[Section, ...]
    footer: str = ""
    language: str = "fr"
    keywords: tuple[str, ...] = field(default=())


@functools.cache
def font_dir() -> Path:
    for folder in FONT_DIRS:
        if all((folder / name).exists() for name in FONTS.values()):
            return folder
    raise FontsMissing(f"Noto fonts not found in {', '.join(str(d) for d in FONT_DIRS)}")


def available() -> bool:
    try:
        font_dir()
    except FontsMissing:
        return False
    return True


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("Sans", "", 8)
        self.set_text_shaping(False)
        self.cell(0, 5, f"{self.footer_text}  ·  {self.page_no()}/{{nb}}", align="C")


SIZES = {"title": 15, "heading": 12, "text": 10.5, "strong": 10.5, "reference": 9.5, "small": 8.5}


def start(title: str, language: str, footer: str, keywords: tuple[str, ...] = ()) -> FPDF:
    """An A4 document with the fonts loaded and the first page open (letters,
    attestations). Raises FontsMissing when the fonts are absent."""
    folder = font_dir()
    pdf = _Pdf(format="A4")
    pdf.footer_text = footer
    pdf.set_title(title)
    pdf.set_lang(language)
    pdf.set_creator("Sésame")
    if keywords:
        pdf.set_keywords(" ".join(keywords))
    for (family, style), name in FONTS.items():
        pdf.add_font(family, style, str(folder / name))
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=20)
    pdf.alias_nb_pages()
    pdf.add_page()
    return pdf


def render(letter: Letter) -> bytes:
    """The letter as PDF bytes. Raises FontsMissing when the fonts are absent."""
    pdf = start(letter.title, letter.language, letter.footer, letter.keywords)
    for n, section in enumerate(letter.sections):
        if n:
            pdf.add_page()  # each language starts its own page
        write_section(pdf, section)
    return bytes(pdf.output())


# Numbers joined by hyphens or dots (2026-000042, L.423-7) inside Arabic: each one
# is isolated left to right (U+2066 … U+2069), which fpdf2's bidi honours.
_LTR_RUN = re.compile(r"(?<![\w.])([A-Z]?\.?\d[\w.\-/]*\d)")


def _isolate(text: str) -> str:
    return _LTR_RUN.sub("\u2066\\1\u2069", text)


def is_arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" for ch in text)


def write_section(pdf: FPDF, section: Section) -> None:
    """Lay out one language's blocks, right to left for Arabic."""
    rtl = section.lang in RTL
    for block in section.blocks:
        style = "B" if block.kind in ("title", "heading", "strong") else ""
        size = SIZES[block.kind]
        if rtl and block.kind != "reference" and is_arabic(block.text):
            # Right to left, the bidi algorithm orders the Latin words inside;
            # no optional ligatures: "fi" must not be reversed in French words.
            pdf.set_font("Naskh", style, size + 1)
            pdf.set_fallback_fonts(["Sans"])
            pdf.set_text_shaping(
                use_shaping_engine=True, features={"liga": False, "clig": False}, script="arab", language="ar"
            )
            align = "R"
        else:
            pdf.set_font("Sans", style, size)
            pdf.set_fallback_fonts(["Naskh"])
            pdf.set_text_shaping(use_shaping_engine=True)
            align = "L"
        if block.kind == "heading":
            pdf.ln(2)
        height = size * 0.55
        text = _isolate(block.text) if align == "R" else block.text
        pdf.multi_cell(0, height, text, align=align, new_x="LMARGIN", new_y="NEXT")
        if block.kind == "title":
            pdf.ln(2)
