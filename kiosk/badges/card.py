"""One badge as a 1-bit PNG at 300 dpi.

1-bit because a badge is printed in black only: text edges and QR modules come out as sharp as the printer
allows, and the file saves faster than a greyscale one.  Speed matters when a whole crew is issued at once,
so what repeats from card to card is drawn once: the production's heading, and each department and role.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PIL import Image, ImageDraw

from kiosk.badges.layout import DPI, HEIGHT, MODULE, RULE, WIDTH, CardLayout, Line, font

WHITE, BLACK = 1, 0


def _write(draw: ImageDraw.ImageDraw, line: Line, ink: int) -> None:
    draw.text((line.x, line.baseline), line.text, fill=ink, font=font(line.face, line.size), anchor="ls")


@functools.lru_cache(maxsize=4)
def _heading(production: tuple[Line, ...]) -> Image.Image:
    """A blank card with the production's name and the rule under it."""
    card = Image.new("1", (WIDTH, HEIGHT), WHITE)
    draw = ImageDraw.Draw(card)
    draw.rectangle((RULE.x, RULE.y, RULE.x + RULE.width - 1, RULE.y + RULE.height - 1), BLACK)
    for line in production:
        _write(draw, line, BLACK)
    return card


@functools.lru_cache(maxsize=512)
def _stamp(line: Line) -> tuple[Image.Image, tuple[int, int]]:
    """A line of text as a mask the size of its ink, and where that goes relative to the line's baseline."""
    left, top, right, bottom = font(line.face, line.size).getbbox(line.text, anchor="ls")
    mask = Image.new("1", (max(1, right - left), max(1, bottom - top)), 0)
    _write(ImageDraw.Draw(mask), Line(-left, -top, line.size, line.face, line.text), 1)
    return mask, (left, top)


def qr_image(matrix: tuple[tuple[bool, ...], ...], module: int) -> Image.Image:
    """The symbol drawn from its matrix in one go: one pixel per module, scaled up without smoothing."""
    side = len(matrix)
    pixels = bytes(0 if dark else 255 for row in matrix for dark in row)
    small = Image.frombytes("L", (side, side), pixels).convert("1", dither=Image.Dither.NONE)
    return small.resize((side * module, side * module), Image.Resampling.NEAREST)


def draw_card(layout: CardLayout) -> Image.Image:
    card = _heading(layout.production).copy()
    draw = ImageDraw.Draw(card)
    for line in layout.name + layout.code:  # different on every card
        _write(draw, line, BLACK)
    for line in layout.department + layout.role:  # shared by many
        mask, (left, top) = _stamp(line)
        card.paste(BLACK, (line.x + left, line.baseline + top), mask)
    card.paste(qr_image(layout.matrix, MODULE), (layout.qr_x, layout.qr_y))
    return card


def save_card(image: Image.Image, path: Path) -> None:
    # Level 1: the card is mostly white, so the file is barely larger and saving is much faster.
    image.save(path, "PNG", compress_level=1, dpi=(DPI, DPI))
