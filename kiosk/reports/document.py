"""The PDF document every printed paper of the kiosk is drawn on (fpdf2): our fonts, a running footer, and fast
tables that never lose a row.

A character DejaVu lacks (山田 花子) is drawn with a system font that has it, registered with fpdf2 as a
fallback the first time it is needed; with no such font it becomes a visible substitute (``fonts.SUBSTITUTE``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from kiosk import fonts
from kiosk.core.report import bucket_max

FAMILY = "dejavu"
SIZE, ROW = 8, 4.6  # body font size (pt) and table row height (mm)
CHART_HEIGHT, CHART_BUCKETS = 42, 400
GREY, DARK, RED = (235, 235, 235), (60, 60, 60), (170, 20, 20)
Column = tuple[str, float, str]  # header, share of the page width, alignment


class Document(FPDF):
    """An fpdf2 document with our fonts, a running footer and fast tables that never lose a row."""

    def __init__(self, paper: str, title: str, footer_text: str):
        super().__init__(format="A4" if paper == "a4" else "Letter")
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(True, 14)
        self.add_font(FAMILY, "", fonts.REGULAR)
        self.add_font(FAMILY, "B", fonts.BOLD)
        self.set_title(title)
        self.set_creator("closed-set-kiosk")
        self.footer_text = footer_text
        self._shipped = fonts.Face(fonts.REGULAR)
        self._fallbacks: list[fonts.Face] = []
        self._drawn: dict[str, str] = {}  # character -> itself, or the substitute
        self._foreign: set[str] = set()  # characters drawn with a system fallback font
        self.add_page()

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FAMILY, "", 7)
        self.set_text_color(*DARK)
        self.cell(0, 4, self.safe(f"{self.footer_text}  -  page {self.page_no()} of {{nb}}"), align="C")
        self.set_text_color(0)

    def safe(self, value: object) -> str:
        """``value`` as text this document can draw: a system font is registered for a character DejaVu
        lacks, or, with none installed, the character is substituted."""
        text = "" if value is None else str(value)
        if text.isascii():
            return text
        return "".join(self._drawn.get(char) or self._draw(char) for char in text)

    def _draw(self, char: str) -> str:
        if char.isspace() or fonts.covers(self._shipped, char):
            self._drawn[char] = char
            return char
        face = next((face for face in self._fallbacks if fonts.covers(face, char)), None) or next(
            (face for face in fonts.system_fallbacks() if fonts.covers(face, char)), None
        )
        if face is None:
            self._drawn[char] = fonts.SUBSTITUTE
            return fonts.SUBSTITUTE
        if face not in self._fallbacks:
            self.add_font(f"fallback{len(self._fallbacks)}", "", face.path, collection_font_number=face.index)
            self._fallbacks.append(face)
            self.set_fallback_fonts([f"fallback{i}" for i in range(len(self._fallbacks))], exact_match=False)
        self._drawn[char] = char
        self._foreign.add(char)
        return char

    def _shipped_only(self, text: str) -> bool:
        """Whether DejaVu alone draws ``text`` (so the fast ``FPDF.text`` may place it)."""
        return text.isascii() or not self._foreign or not any(char in self._foreign for char in text)

    def heading(self, text: str, size: int = 15) -> None:
        self.set_font(FAMILY, "B", size)
        self.multi_cell(0, size * 0.5, self.safe(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def section(self, text: str) -> None:
        if self.will_page_break(ROW * 4):
            self.add_page()
        self.ln(2)
        self.set_font(FAMILY, "B", 10.5)
        self.cell(0, 6, self.safe(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def pairs(self, items: Sequence[tuple[str, object]], red: bool = False) -> None:
        """Label: value lines."""
        for label, value in items:
            self.set_font(FAMILY, "B", SIZE + 1)
            self.cell(48, ROW + 0.4, self.safe(label))
            self.set_font(FAMILY, "", SIZE + 1)
            if red:
                self.set_text_color(*RED)
            self.multi_cell(0, ROW + 0.4, self.safe(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(0)

    def note(self, text: str) -> None:
        self.set_font(FAMILY, "", SIZE)
        self.set_text_color(*DARK)
        self.multi_cell(0, ROW, self.safe(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)

    def lines_of(self, text: str, width: float) -> int:
        """How many lines ``text`` takes in a cell ``width`` wide."""
        lines: list[str] = self.multi_cell(width, ROW, text, dry_run=True, output="LINES")  # type: ignore[assignment]
        return len(lines)

    def rows_table(self, columns: Sequence[Column], rows: Iterable[Sequence[object]], empty: str = "None.") -> None:
        """Rows under a bold header repeated on each page; a cell too long for its column wraps."""
        widths = [share * self.epw for _, share, _ in columns]
        aligns = [align for _, _, align in columns]

        def header() -> None:
            self.set_font(FAMILY, "B", SIZE)
            self.set_fill_color(*GREY)
            for (title, _, align), width in zip(columns, widths):
                self.cell(width, ROW + 0.6, title, align=align, fill=True)
            self.ln(ROW + 0.6)
            self.set_font(FAMILY, "", SIZE)

        surely_fits = [int(width / (SIZE * 0.3528)) for width in widths]  # one em per character fits always
        header()
        count = 0
        for row in rows:
            count += 1
            texts = [self.safe(value) for value in row]
            fits = all(
                len(text) <= sure or self.get_string_width(text) <= width - 2 * self.c_margin
                for text, sure, width in zip(texts, surely_fits, widths)
            )
            lines = 1 if fits else max(self.lines_of(text, width) for text, width in zip(texts, widths))
            if self.will_page_break(ROW * lines):
                self.add_page()
                header()
            top = self.get_y()
            if fits and all(self._shipped_only(text) for text in texts):
                # FPDF.text is several times faster than cell(); it places the text exactly as cell() would.
                left, baseline = self.l_margin, top + 0.5 * ROW + 0.3 * self.font_size
                for text, width, align in zip(texts, widths, aligns):
                    x = left + self.c_margin
                    if align != "L":
                        spare = width - 2 * self.c_margin - self.get_string_width(text)
                        x += spare if align == "R" else spare / 2
                    self.text(x, baseline, text)
                    left += width
                self.set_xy(self.l_margin, top + ROW)
            else:
                for text, width, align in zip(texts, widths, aligns):
                    self.multi_cell(width, ROW, text, align=align, new_x=XPos.RIGHT, new_y=YPos.TOP)
                self.set_xy(self.l_margin, top + ROW * lines)
        if not count:
            self.note(empty)

    def chart(
        self, series: Sequence[tuple[datetime, int]], start: datetime, end: datetime, clock: Callable[[datetime], str]
    ) -> None:
        """Headcount over time as a step line, thinned to the page's resolution with every peak kept."""
        if self.will_page_break(CHART_HEIGHT + 12):
            self.add_page()
        span = max((end - start).total_seconds(), 60.0)
        points = bucket_max([((at - start).total_seconds(), count) for at, count in series], 0, span, CHART_BUCKETS)
        top = max([count for _, count in points] + [1])
        step = max(1, math.ceil(top / 5))
        top = step * math.ceil(top / step)
        left, width = self.l_margin + 8, self.epw - 8
        y0 = self.get_y() + 2
        bottom = y0 + CHART_HEIGHT

        def x_of(seconds: float) -> float:
            return left + width * min(max(seconds, 0), span) / span

        def y_of(count: int) -> float:
            return bottom - CHART_HEIGHT * count / top

        self.set_font(FAMILY, "", 6.5)
        self.set_xy(left, y0 - 3)
        self.cell(0, 3, "people inside")
        self.set_draw_color(200)
        self.set_line_width(0.15)
        for value in range(0, top + 1, step):
            self.line(left, y_of(value), left + width, y_of(value))
            self.set_xy(self.l_margin, y_of(value) - 1.5)
            self.cell(7, 3, str(value), align="R")
        for tick in range(5):
            seconds = span * tick / 4
            self.set_xy(x_of(seconds) - 12, bottom + 0.5)
            self.cell(24, 3, clock(start + timedelta(seconds=seconds)), align="C")
        line, current = [(x_of(0), y_of(0))], 0
        for seconds, count in points:
            line += [(x_of(seconds), y_of(current)), (x_of(seconds), y_of(count))]
            current = count
        line.append((x_of(span), y_of(current)))
        self.set_draw_color(20, 60, 140)
        self.set_line_width(0.45)
        self.polyline(line)
        self.set_draw_color(0)
        self.set_line_width(0.2)
        self.set_xy(self.l_margin, bottom + 4)
