"""The printable sheet: every badge at true size (85.6 x 54 mm), on A4 or Letter with cut marks, or one card a
page for a direct-to-card printer.

Cards are drawn as vectors (text in the embedded fonts, QR modules as filled rectangles), not as placed
images: the print is as sharp as the printer, the file stays small, and it is several times faster to make
than embedding 300 dpi bitmaps.  A person's photo is the one placed image (grey, 300 dpi, the size of its box).
The paper is turned to landscape when that fits more cards (Letter: 9, not 8).
A card printer (Zebra, Evolis, Magicard...) takes one card per page from its driver: with ``cr80`` paper each
page is exactly the card, 85.6 x 54 mm landscape, edge to edge, with no cut marks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import RenderStyle

from kiosk.badges.layout import CARD_MM, DPI, MM_PER_PX, MODULE, PHOTO, RULE, CardLayout
from kiosk.fonts import Face

CARD_PAPER = "cr80"  # a direct-to-card printer: the page is the card
PAPERS = {"a4": (210.0, 297.0), "letter": (215.9, 279.4), CARD_PAPER: CARD_MM[::-1]}  # millimetres, portrait
GAP = 3.0  # between cards, room for the cut marks
MIN_MARGIN = 6.0  # most printers cannot print closer to the paper's edge
MARK_OFFSET = 0.5  # cut marks start this far from the corner, so they never touch a card
OUTER_MARK = 4.0  # length of the marks in the page margin (the ones between cards fill the gap)
MARK_WIDTH = 0.1


@dataclass(frozen=True)
class Grid:
    """How cards sit on a page: page size, columns and rows, and the top-left of the first card (mm)."""

    page: tuple[float, float]
    columns: int
    rows: int
    left: float
    top: float
    cut_marks: bool = True

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def origin(self, column: int, row: int) -> tuple[float, float]:
        return self.left + column * (CARD_MM[0] + GAP), self.top + row * (CARD_MM[1] + GAP)


def _fitting(length: float, card: float) -> int:
    return int((length - 2 * MIN_MARGIN + GAP) // (card + GAP))


def grid(paper: str) -> Grid:
    """The page orientation that holds most cards (portrait on a tie), the grid centred on the page; for a card
    printer, the card itself as the page."""
    if paper == CARD_PAPER:
        return Grid(CARD_MM, 1, 1, 0.0, 0.0, cut_marks=False)
    portrait = PAPERS[paper]
    layouts = []
    for width, height in (portrait, portrait[::-1]):
        columns, rows = _fitting(width, CARD_MM[0]), _fitting(height, CARD_MM[1])
        used_w, used_h = columns * (CARD_MM[0] + GAP) - GAP, rows * (CARD_MM[1] + GAP) - GAP
        layouts.append(Grid((width, height), columns, rows, (width - used_w) / 2, (height - used_h) / 2))
    return max(layouts, key=lambda option: option.per_page)


def cut_marks(grid: Grid, column: int, row: int) -> list[tuple[float, float, float, float]]:
    """Short lines continuing the card's edges out from each corner, into the gap or the page margin."""
    x, y = grid.origin(column, row)
    width, height = CARD_MM
    inner = GAP - 2 * MARK_OFFSET
    marks = []
    for corner_x, dx, outer_x in ((x, -1, column == 0), (x + width, 1, column == grid.columns - 1)):
        for corner_y, dy, outer_y in ((y, -1, row == 0), (y + height, 1, row == grid.rows - 1)):
            across = OUTER_MARK if outer_x else inner
            down = OUTER_MARK if outer_y else inner
            marks.append((corner_x + dx * MARK_OFFSET, corner_y, corner_x + dx * (MARK_OFFSET + across), corner_y))
            marks.append((corner_x, corner_y + dy * MARK_OFFSET, corner_x, corner_y + dy * (MARK_OFFSET + down)))
    return marks


class _Sheet(FPDF):
    def __init__(self, grid: Grid):
        super().__init__(unit="mm", format=grid.page)
        self.set_auto_page_break(False)
        self.set_line_width(MARK_WIDTH)
        self._families: dict[Face, str] = {}

    def use_font(self, face: Face, size_px: int) -> None:
        family = self._families.get(face)
        if family is None:
            family = self._families[face] = f"face{len(self._families)}"
            self.add_font(family, fname=face.path, collection_font_number=face.index)
        self.set_font(family, size=size_px * 72 / DPI)

    def card(self, layout: CardLayout, x: float, y: float) -> None:
        mm = MM_PER_PX
        self.rect(x + RULE.x * mm, y + RULE.y * mm, RULE.width * mm, RULE.height * mm, style=RenderStyle.F)
        for line in layout.lines:
            self.use_font(line.face, line.size)
            self.text(x + line.x * mm, y + line.baseline * mm, line.text)
        if layout.photo is not None:  # the grey photo at 300 dpi; the printer makes its halftone
            self.image(layout.photo, x + PHOTO.x * mm, y + PHOTO.y * mm, PHOTO.width * mm, PHOTO.height * mm)
        qr_x, qr_y, module = x + layout.qr_x * mm, y + layout.qr_y * mm, MODULE * mm
        for left, top, width, height in layout.qr_runs():
            self.rect(qr_x + left * module, qr_y + top * module, width * module, height * module, style=RenderStyle.F)


def write_sheet(layouts: list[CardLayout], path: Path, paper: str, title: str = "Badges") -> None:
    """Every card once, in order, as many to a page as fit; cut marks at each card's corners (none on cards)."""
    page_grid = grid(paper)
    sheet = _Sheet(page_grid)
    sheet.set_title(title)
    sheet.set_creator("closed-set-kiosk")
    for start in range(0, len(layouts), page_grid.per_page):
        sheet.add_page()
        marks: set[tuple[float, float, float, float]] = set()  # neighbours share the marks between them
        for index, layout in enumerate(layouts[start : start + page_grid.per_page]):
            column, row = index % page_grid.columns, index // page_grid.columns
            sheet.card(layout, *page_grid.origin(column, row))
            if page_grid.cut_marks:
                marks.update(
                    (round(x1, 3), round(y1, 3), round(x2, 3), round(y2, 3))
                    for x1, y1, x2, y2 in cut_marks(page_grid, column, row)
                )
        for mark in sorted(marks):
            sheet.line(*mark)
    sheet.output(str(path))
