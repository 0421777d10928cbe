"""The person's photo on a badge: read from its stored bytes, cropped to the card's photo box, in grey.

The PNG is black only, so it gets the photo dithered (Floyd-Steinberg, Pillow's ``convert("1")``); the PDF
sheet embeds the same grey picture and leaves the halftone to the printer.  A photo that cannot be read stops
the issue with the person's name, before any badge is drawn.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from kiosk.errors import RenderError

Image.MAX_IMAGE_PIXELS = 50_000_000  # a stored photo is small: anything past this is not a photo


def photo_for_box(data: bytes, size: tuple[int, int], who: str) -> Image.Image:
    """``data`` (JPEG or any image Pillow reads) as a grey picture of exactly ``size``, turned upright by its
    EXIF orientation and cropped to the box from its centre (a little above it: faces are high in a portrait)."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.draft("L", (size[0] * 2, size[1] * 2))  # a JPEG decodes at a reduced scale: much faster
            upright = ImageOps.exif_transpose(opened).convert("L")
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError, SyntaxError) as error:
        raise RenderError(
            f"The photo of {who} cannot be read ({error}); replace it or remove it, then issue "
            "again. Nothing was issued."
        ) from error
    return ImageOps.fit(upright, size, Image.Resampling.LANCZOS, centering=(0.5, 0.4))


def dithered(photo: Image.Image) -> Image.Image:
    """The grey photo in black dots only, as the badge's PNG prints it."""
    return photo.convert("1")
