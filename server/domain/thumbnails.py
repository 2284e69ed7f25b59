"""A photo drawn small for the documents page's status lines.

A camera photo is ~400 KB even after the phone made it small: ten of them on
one page would cost a cheap data plan 4 MB. A 96 px JPEG is ~3 KB. JPEGs are
decoded at a reduced scale (libjpeg's DCT scaling, `Image.draft`), so a 12 MP
photo takes milliseconds. Anything that does not decode gives None.
"""

from __future__ import annotations

import io
import warnings
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

SIDE = 96


def draw(stream: BinaryIO, side: int = SIDE) -> bytes | None:
    try:
        with warnings.catch_warnings():
            # A huge image is refused below (DecompressionBombError), not warned about.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                image.draft("RGB", (side * 2, side * 2))
                small = ImageOps.exif_transpose(image)
                small.thumbnail((side, side))
                out = io.BytesIO()
                small.convert("RGB").save(out, format="JPEG", quality=70)
                return out.getvalue()
    except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError, SyntaxError):
        return None
