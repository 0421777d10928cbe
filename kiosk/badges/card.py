"""One badge as a two-colour PNG at 300 dpi.

Two colours because a badge is printed in black only: text edges and QR modules come out as sharp as the
printer allows.  The image is a 1-bit palette image with white as 0, so the blank rows that make up most of
a card are zero bytes that the PNG encoder passes over without trying its filters; the same card in "1" mode
(white is 1) saves about a third slower.  Speed matters when a whole crew is issued at once, so what repeats
from card to card is drawn once: the production's heading, each department and role, and the code's symbols.
"""

from __future__ import annotations

import functools
import zlib
from pathlib import Path

from PIL import Image, ImageDraw

from kiosk.badges.layout import DPI, HEIGHT, MODULE, RULE, WIDTH, CardLayout, Line, font
from kiosk.files import owner_only
from kiosk.fonts import Face

WHITE, BLACK = 0, 1  # palette indexes
PALETTE = [255, 255, 255, 0, 0, 0]


def _write(draw: ImageDraw.ImageDraw, line: Line, ink: int) -> None:
    draw.text((line.x, line.baseline), line.text, fill=ink, font=font(line.face, line.size), anchor="ls")


@functools.lru_cache(maxsize=4)
def _heading(production: tuple[Line, ...]) -> Image.Image:
    """A blank card with the production's name and the rule under it."""
    card = Image.new("P", (WIDTH, HEIGHT), WHITE)
    card.putpalette(PALETTE)
    draw = ImageDraw.Draw(card)
    draw.rectangle((RULE.x, RULE.y, RULE.x + RULE.width - 1, RULE.y + RULE.height - 1), BLACK)
    for line in production:
        _write(draw, line, BLACK)
    return card


@functools.lru_cache(maxsize=1024)
def _stamp(face: Face, size: int, text: str) -> tuple[Image.Image, int, int]:
    """``text`` as a mask the size of its ink, and the ink's offset from the left end of the baseline."""
    left, top, right, bottom = (int(edge) for edge in font(face, size).getbbox(text, anchor="ls"))
    mask = Image.new("1", (max(1, right - left), max(1, bottom - top)), 0)
    _write(ImageDraw.Draw(mask), Line(-left, -top, size, face, text), 1)
    return mask, left, top


def _press(card: Image.Image, line: Line, text: str, x: int) -> None:
    mask, left, top = _stamp(line.face, line.size, text)
    card.paste(BLACK, (x + left, line.baseline + top), mask)


def qr_image(matrix: tuple[tuple[bool, ...], ...], module: int) -> Image.Image:
    """The symbol drawn from its matrix in one go: one pixel per module, scaled up without smoothing."""
    side = len(matrix)
    small = Image.frombytes("P", (side, side), b"".join(bytes(row) for row in matrix))  # True is 1, BLACK
    return small.resize((side * module, side * module), Image.Resampling.NEAREST)


def draw_card(layout: CardLayout) -> Image.Image:
    card = _heading(layout.production).copy()
    draw = ImageDraw.Draw(card)
    for line in layout.name:  # different on every card
        _write(draw, line, BLACK)
    for line in layout.department + layout.role:  # shared by many
        _press(card, line, line.text, line.x)
    for line in layout.code:  # a monospaced font: set symbol by symbol from cached ones
        advance = font(line.face, line.size).getlength("0")
        for index, symbol in enumerate(line.text):
            _press(card, line, symbol, line.x + round(index * advance))
    card.paste(qr_image(layout.matrix, MODULE), (layout.qr_x, layout.qr_y))
    return card


def save_card(image: Image.Image, path: Path) -> None:
    """Write the PNG to a new file readable by its owner only (a badge is a name and a working code)."""
    with open(path, "xb", opener=owner_only) as file:
        # Long runs of white: run-length deflate at level 1 is both the fastest and the smallest here.
        image.save(file, "PNG", bits=1, compress_level=1, compress_type=zlib.Z_RLE, dpi=(DPI, DPI))
