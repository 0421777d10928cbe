"""Where everything on a badge goes, computed once and drawn twice: into the PNG and onto the PDF sheet.

A CR80 card (85.6 x 54 mm) at 300 dpi is 1011 x 638 pixels; every position here is in those pixels and the
sheet converts them to millimetres, so the PNG and the printed sheet are the same design.  Text sizes are
fitted with the real font metrics: a long name or role shrinks, then wraps, and only past the smallest
readable size is cut short with an ellipsis, so nothing ever runs off the card.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import qrcode
from PIL import Image, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from kiosk.badges.photo import photo_for_box
from kiosk.core.badge import BadgeCard
from kiosk.fonts import MONO, Face, drawable, face_for

DPI = 300
CARD_MM = (85.6, 54.0)
WIDTH, HEIGHT = (round(mm / 25.4 * DPI) for mm in CARD_MM)  # 1011 x 638
MM_PER_PX = 25.4 / DPI

MODULE = 12  # pixels per QR module: about 1 mm, easy for any hand-held scanner
QUIET = 4  # modules of white the QR standard asks for around the symbol
ELLIPSIS = "\u2026"


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Style:
    """How one text of the badge is set: its box, its face, the size range and how many lines it may take."""

    box: Box
    bold: bool
    largest: int
    smallest: int
    lines: int
    mono: bool = False


MARGIN = 42  # 3.5 mm of white at the card's edges
COLUMN = 600  # left of the QR's quiet zone
PRODUCTION = Style(Box(MARGIN, 30, WIDTH - 2 * MARGIN, 46), bold=True, largest=36, smallest=22, lines=1)
RULE = Box(MARGIN, 86, WIDTH - 2 * MARGIN, 4)
NAME = Style(Box(MARGIN, 104, WIDTH - 2 * MARGIN, 172), bold=True, largest=88, smallest=36, lines=2)
DEPARTMENT = Style(Box(MARGIN, 294, COLUMN, 50), bold=True, largest=40, smallest=24, lines=1)
ROLE = Style(Box(MARGIN, 348, COLUMN, 100), bold=False, largest=40, smallest=24, lines=2)
CODE = Style(Box(MARGIN, 536, COLUMN, 62), bold=False, largest=50, smallest=30, lines=1, mono=True)

# With a photo: the photo (3:4, 19.3 x 25.7 mm) takes the left under the rule, and the name, department and
# role move right of it, each keeping its sizes (they shrink or wrap only when the text is long).  The code
# line below the photo and the QR stay where they are on every card.
PHOTO = Box(MARGIN, 104, 228, 304)
BESIDE = PHOTO.x + PHOTO.width + 24  # left of the texts beside the photo
NAME_BESIDE = Style(Box(BESIDE, 104, WIDTH - MARGIN - BESIDE, 172), bold=True, largest=88, smallest=36, lines=2)
DEPARTMENT_BESIDE = Style(Box(BESIDE, 294, MARGIN + COLUMN - BESIDE, 50), bold=True, largest=40, smallest=24, lines=1)
ROLE_BESIDE = Style(Box(BESIDE, 348, MARGIN + COLUMN - BESIDE, 100), bold=False, largest=40, smallest=24, lines=2)


@dataclass(frozen=True)
class Line:
    """One line of text: left end of its baseline, size in pixels (the em), face, and the text to draw."""

    x: int
    baseline: int
    size: int
    face: Face
    text: str


@dataclass(frozen=True)
class CardLayout:
    """A badge ready to draw: each text as fitted lines, and the QR's modules with their place."""

    ref: str
    production: tuple[Line, ...]
    name: tuple[Line, ...]
    department: tuple[Line, ...]
    role: tuple[Line, ...]
    code: tuple[Line, ...]
    matrix: tuple[tuple[bool, ...], ...]  # QR modules without the quiet zone, True for dark
    qr_x: int  # top-left of the first module
    qr_y: int
    photo: Image.Image | None = None  # grey, exactly the size of ``PHOTO``; None: a card without a photo

    @property
    def lines(self) -> tuple[Line, ...]:
        return self.production + self.name + self.department + self.role + self.code

    def qr_runs(self) -> list[tuple[int, int, int, int]]:
        """The dark modules as few rectangles (x, y, width, height in modules): the dark runs of each row,
        stacked while the rows below repeat them."""
        rectangles = []
        open_runs: dict[tuple[int, int], int] = {}  # (start, end) -> first row
        for y, row in enumerate((*self.matrix, ())):
            runs = {match.span() for match in _DARK_RUN.finditer(bytes(row))}
            for run in [run for run in open_runs if run not in runs]:
                first = open_runs.pop(run)
                rectangles.append((run[0], first, run[1] - run[0], y - first))
            for run in runs:
                open_runs.setdefault(run, y)
        return rectangles


_DARK_RUN = re.compile(b"\x01+")  # a row of modules as bytes: True is 1


@functools.cache
def font(face: Face, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(face.path), size, index=face.index, layout_engine=ImageFont.Layout.BASIC)


def qr_symbol(code: str, border: int = 0) -> qrcode.QRCode:
    """The code's QR symbol: error correction M, the smallest version that holds it (1 for an 18-symbol code)."""
    symbol = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=border)
    symbol.add_data(code)
    symbol.make(fit=True)
    return symbol


def qr_matrix(code: str) -> tuple[tuple[bool, ...], ...]:
    return tuple(tuple(row) for row in qr_symbol(code).get_matrix())


def _wrap(words: list[str], measure, width: int, most: int) -> list[str] | None:
    """Greedy word wrap into at most ``most`` lines no wider than ``width``; None when that is impossible."""
    lines: list[str] = []
    for word in words:
        if measure(word) > width:
            return None
        if lines and measure(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
            if len(lines) > most:
                return None
    return lines


def _cut(text: str, measure, width: int, most: int) -> list[str]:
    """Character by character into ``most`` lines, the last one ending in an ellipsis: the last resort."""
    lines = [""]
    for char in text:
        if measure(lines[-1] + char) <= width:
            lines[-1] += char
        elif len(lines) < most:
            lines.append(char.strip())
        else:
            while lines[-1] and measure(lines[-1] + ELLIPSIS) > width:
                lines[-1] = lines[-1][:-1]
            lines[-1] = lines[-1].rstrip() + ELLIPSIS
            break
    return lines


@functools.lru_cache(maxsize=4096)
def fit(text: str, style: Style) -> tuple[Line, ...]:
    """``text`` set in ``style``'s box at the largest size that fits (cached: departments and roles repeat)."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if not text:
        return ()
    face = Face(MONO) if style.mono else face_for(text, style.bold)
    text = drawable(text, face)
    box = style.box
    for size in range(style.largest, style.smallest - 1, -2):
        typeface = font(face, size)
        ascent, descent = typeface.getmetrics()
        most = max(1, min(style.lines, box.height // (ascent + descent)))
        lines = _wrap(text.split(" "), typeface.getlength, box.width, most)
        if lines is not None:
            return _place(lines, box, size, face, ascent, ascent + descent)
    typeface = font(face, style.smallest)
    ascent, descent = typeface.getmetrics()
    most = max(1, min(style.lines, box.height // (ascent + descent)))
    return _place(_cut(text, typeface.getlength, box.width, most), box, style.smallest, face, ascent, ascent + descent)


def _place(lines: list[str], box: Box, size: int, face: Face, ascent: int, leading: int) -> tuple[Line, ...]:
    return tuple(Line(box.x, box.y + ascent + i * leading, size, face, line) for i, line in enumerate(lines))


def card_layout(card: BadgeCard) -> CardLayout:
    matrix = qr_matrix(card.code)
    side = len(matrix) * MODULE
    # The symbol sits bottom-right; its quiet zone may reach the card's edge, which is white too.
    qr_x = WIDTH - 6 - QUIET * MODULE - side
    qr_y = HEIGHT - 6 - QUIET * MODULE - side
    if card.photo is None:
        name, department, role, photo = NAME, DEPARTMENT, ROLE, None
    else:
        name, department, role = NAME_BESIDE, DEPARTMENT_BESIDE, ROLE_BESIDE
        photo = photo_for_box(card.photo, (PHOTO.width, PHOTO.height), f"{card.name} ({card.ref})")
    return CardLayout(
        card.ref,
        fit(card.production, PRODUCTION),
        fit(card.name, name),
        fit(card.department, department),
        fit(card.role, role),
        fit(card.code_text, CODE),
        matrix,
        qr_x,
        qr_y,
        photo,
    )
