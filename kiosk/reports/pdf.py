"""The report and the roll-call as PDF (fpdf2): real, selectable text in the DejaVu fonts we ship.

A character DejaVu lacks (山田 花子) is drawn with a system font that has it, registered with fpdf2 as a
fallback the first time it is needed; with no such font it becomes a visible substitute (``fonts.SUBSTITUTE``).
Either way the row is there.  Times are local, to the second; the page head says which offset.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from kiosk import fonts
from kiosk.core.report import Report, RollCall, SceneReport, bucket_max

FAMILY = "dejavu"
SIZE, ROW = 8, 4.6  # body font size (pt) and table row height (mm)
CHART_HEIGHT, CHART_BUCKETS = 42, 400
GREY, DARK, RED = (235, 235, 235), (60, 60, 60), (170, 20, 20)
Column = tuple[str, float, str]  # header, share of the page width, alignment
HOW = {"scan": "badge", "sweep": "swept out at the lift"}  # how someone came in or went out; else the words
FLAGS = {"admitted_after_revocation": "Admitted after a revocation", "entered_twice": "Two entries, no exit",
         "exit_without_entry": "Exit with no entry", "conflict": "Conflict settled", "clock_skew": "Clock off"}


def offset(at: datetime) -> str:
    """The UTC offset as +01:00."""
    text = at.strftime("%z")
    return f"{text[:3]}:{text[3:]}" if text else ""


def stamp(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S} {offset(at)}" if at else ""


def clock_for(times: Iterable[datetime]) -> Callable[[datetime | None], str]:
    """The shortest unambiguous time format for a document: the clock alone when every time shares one
    local date and one offset, the date too when they span days, and the offset on each when it changes."""
    days, offsets = set(), set()
    for at in times:
        days.add(at.date())
        offsets.add(at.utcoffset())
    if len(offsets) > 1:
        return lambda at: stamp(at)
    if len(days) > 1:
        return lambda at: f"{at:%d %b %H:%M:%S}" if at else ""
    return lambda at: f"{at:%H:%M:%S}" if at else ""


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
            (face for face in fonts.system_fallbacks() if fonts.covers(face, char)), None)
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
            fits = all(len(text) <= sure or self.get_string_width(text) <= width - 2 * self.c_margin
                       for text, sure, width in zip(texts, surely_fits, widths))
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

    def chart(self, series: Sequence[tuple[datetime, int]], start: datetime, end: datetime,
              clock: Callable[[datetime], str]) -> None:
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


def _scene(doc: Document, scene: SceneReport, report: Report, clock: Callable[[datetime | None], str]) -> None:
    doc.heading(f"Scene {scene.ref} - {scene.title}", 13)
    doc.pairs([(label, value) for label, value in scene.details() if value])
    doc.section("Summary")
    doc.pairs([(label, f"{count} at {clock(scene.peak_at)}" if label == "Peak headcount" and scene.peak_at
                else count) for label, count in scene.summary()])
    doc.section("Headcount over time")
    times = [event.at for event in scene.events]
    start = report.start or (times[0] if times else report.generated_at)
    end = report.end or max(times[-1] if times else start, start + timedelta(minutes=1))
    doc.chart(scene.headcount, start, end, clock)
    doc.section("Rolling and hold periods")
    doc.rows_table([("State", 0.2, "L"), ("From", 0.25, "L"), ("Until", 0.25, "L"), ("Minutes", 0.15, "R")],
              ([period.state, clock(period.start), clock(period.end) if period.end else "still in force",
                f"{(period.end - period.start).total_seconds() / 60:.1f}" if period.end else ""]
               for period in scene.restricted_periods()), empty="The set was never rolling or on hold.")
    for zone in ("set", "monitors"):
        doc.section(f"Approved for the {zone} (the list as it stands)")
        doc.rows_table([("Name", 0.27, "L"), ("Ref", 0.08, "L"), ("Department, role", 0.23, "L"),
                   ("Approved by", 0.25, "L"), ("At", 0.17, "L")],
                  ([a.name + (" (temporary)" if a.temporary else ""), a.person_ref,
                    ", ".join(filter(None, (a.department, a.role))), a.by, clock(a.at)]
                   for a in scene.approved_in(zone)), empty="Nobody.")
    doc.section("Changes to the approved list")
    doc.rows_table([("At", 0.17, "L"), ("Name", 0.28, "L"), ("Change", 0.55, "L")],
              ([clock(e.at), e.name, e.words] for e in scene.approval_changes))
    doc.section("Swept out when the closed set was lifted")
    doc.rows_table([("At", 0.17, "L"), ("Name", 0.35, "L"), ("Ref", 0.1, "L"), ("Zone", 0.15, "L")],
              ([clock(e.at), e.name, e.person_ref, e.zone] for e in scene.swept), empty="Nobody was inside.")
    doc.section("Flagged across doors")
    doc.rows_table([("At", 0.15, "L"), ("Door", 0.13, "L"), ("What", 0.22, "L"), ("Who", 0.18, "L"),
               ("In plain words", 0.32, "L")],
              ([clock(f.at), f.kiosk, FLAGS.get(f.kind, f.kind), f.name or f.person_ref or "", f.words]
               for f in scene.flags), empty="Nothing: every door's record agrees.")
    doc.section("Refused attempts")
    doc.rows_table([("At", 0.15, "L"), ("Door", 0.13, "L"), ("Zone", 0.09, "L"),
                    ("Who (or what was scanned)", 0.26, "L"), ("Reason", 0.37, "L")],
              ([clock(e.at), e.kiosk, e.zone, e.name or e.raw, e.words] for e in scene.refused))
    doc.section("Every entry and exit")
    doc.rows_table([("At", 0.15, "L"), ("Door", 0.13, "L"), ("Zone", 0.09, "L"), ("In/out", 0.07, "L"),
               ("Name", 0.26, "L"), ("Ref", 0.08, "L"), ("How", 0.22, "L")],
              ([clock(e.at), e.kiosk, e.zone, "in" if e.decision == "admit" else "out", e.name, e.person_ref,
                HOW.get(e.kind) or e.words] for e in scene.movements))


def report_pdf(report: Report, paper: str = "a4") -> bytes:
    """The whole report as PDF bytes."""
    clock = clock_for([*(event.at for scene in report.scenes for event in scene.events),
                       *(approval.at for scene in report.scenes for approval in scene.approved)])
    doc = Document(paper, f"{report.production} - {report.title}",
                   f"{report.production} - closed-set report - {report.title} - printed {stamp(report.generated_at)}")
    doc.heading(f"Closed-set report: {report.title}")
    audit = report.audit
    head = [("Production", report.production), ("Printed", stamp(report.generated_at)),
            ("Times", f"local time, {report.timezone} (UTC{offset(report.generated_at)} when printed)")]
    if report.start and report.end:
        head.append(("Day", f"{stamp(report.start)} to {stamp(report.end)}"))
    doc.pairs(head)
    doc.pairs([("Audit of the log", audit.words)], red=not audit.ok)
    if report.doors:
        doc.pairs([("Doors on this report", ", ".join(report.doors))])
    if report.clocks:
        doc.section("Door clocks found off at a sync")
        doc.rows_table([("At (that door's clock)", 0.2, "L"), ("Door", 0.15, "L"), ("In plain words", 0.65, "L")],
                  ([clock(f.at), f.kiosk, f.words] for f in report.clocks))
    doc.note("Door records only: who was approved, who came and went, refusals, and the set's states. "
             "No wellbeing content.")
    if not report.scenes:
        doc.section("No closed-set activity on this day.")
    for index, scene in enumerate(report.scenes):
        if index:
            doc.add_page()
        else:
            doc.ln(3)
        _scene(doc, scene, report, clock)
    return bytes(doc.output())


def rollcall_pdf(rollcall: RollCall, paper: str = "a4") -> bytes:
    """The evacuation roll-call: everyone inside now, a box to tick for each, on as few pages as it takes."""
    clock = clock_for(present.since for present in rollcall.people)
    doc = Document(paper, f"{rollcall.production} - roll-call",
                   f"{rollcall.production} - roll-call printed {stamp(rollcall.printed_at)}")
    doc.heading(f"ROLL-CALL: {len(rollcall.people)} inside")
    doc.pairs([("Production", rollcall.production), ("Printed", stamp(rollcall.printed_at)),
               ("Times", f"local time, {rollcall.timezone}")])
    doc.ln(2)
    doc.rows_table([("Safe", 0.06, "C"), ("Name", 0.3, "L"), ("Ref", 0.08, "L"), ("Department", 0.2, "L"),
               ("Scene", 0.1, "L"), ("Zone", 0.11, "L"), ("In since", 0.15, "L")],
              (["[  ]", p.name, p.person_ref, p.department, p.scene, p.zone, clock(p.since)]
               for p in rollcall.people), empty="Nobody is inside any open scene.")
    return bytes(doc.output())
