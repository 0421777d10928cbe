"""The report and the roll-call as PDF (fpdf2): real, selectable text in the DejaVu fonts we ship.

A character DejaVu lacks (山田 花子) is drawn with a system font that has it, registered with fpdf2 as a
fallback the first time it is needed; with no such font it becomes a visible substitute (``fonts.SUBSTITUTE``).
Either way the row is there.  Times are local, to the second; the page head says which offset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from kiosk.core.report import Report, RollCall, SceneReport
from kiosk.reports.document import Document
from kiosk.reports.pdf_protocol import protocol_pages

# how someone came in or went out; else the words
HOW = {"scan": "badge", "sweep": "swept out at the lift", "objected": "a performer objected"}
FLAGS = {
    "admitted_after_revocation": "Admitted after a revocation",
    "entered_twice": "Two entries, no exit",
    "exit_without_entry": "Exit with no entry",
    "conflict": "Conflict settled",
    "clock_skew": "Clock off",
}


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


def _scene(doc: Document, scene: SceneReport, report: Report, clock: Callable[[datetime | None], str]) -> None:
    doc.heading(f"Scene {scene.ref} - {scene.title}", 13)
    doc.pairs([(label, value) for label, value in scene.details() if value])
    doc.section("Summary")
    doc.pairs(
        [
            (label, f"{count} at {clock(scene.peak_at)}" if label == "Peak headcount" and scene.peak_at else count)
            for label, count in scene.summary()
        ]
    )
    doc.section("Headcount over time")
    times = [event.at for event in scene.events]
    start = report.start or (times[0] if times else report.generated_at)
    end = report.end or max(times[-1] if times else start, start + timedelta(minutes=1))
    doc.chart(scene.headcount, start, end, clock)
    doc.section("Rolling and hold periods")
    doc.rows_table(
        [("State", 0.2, "L"), ("From", 0.25, "L"), ("Until", 0.25, "L"), ("Minutes", 0.15, "R")],
        (
            [
                period.state,
                clock(period.start),
                clock(period.end) if period.end else "still in force",
                f"{(period.end - period.start).total_seconds() / 60:.1f}" if period.end else "",
            ]
            for period in scene.restricted_periods()
        ),
        empty="The set was never rolling or on hold.",
    )
    for zone in ("set", "monitors"):
        doc.section(f"Approved for the {zone} (the list as it stands)")
        doc.rows_table(
            [
                ("Name", 0.27, "L"),
                ("Ref", 0.08, "L"),
                ("Department, role", 0.23, "L"),
                ("Approved by", 0.25, "L"),
                ("At", 0.17, "L"),
            ],
            (
                [
                    a.name + (" (temporary)" if a.temporary else ""),
                    a.person_ref,
                    ", ".join(filter(None, (a.department, a.role))),
                    a.by,
                    clock(a.at),
                ]
                for a in scene.approved_in(zone)
            ),
            empty="Nobody.",
        )
    protocol_pages(doc, scene.protocol, clock)
    doc.section("Changes to the approved list")
    doc.rows_table(
        [("At", 0.17, "L"), ("Name", 0.28, "L"), ("Change", 0.55, "L")],
        ([clock(e.at), e.name, e.words] for e in scene.approval_changes),
    )
    doc.section("Swept out when the closed set was lifted")
    doc.rows_table(
        [("At", 0.17, "L"), ("Name", 0.35, "L"), ("Ref", 0.1, "L"), ("Zone", 0.15, "L")],
        ([clock(e.at), e.name, e.person_ref, e.zone] for e in scene.swept),
        empty="Nobody was inside.",
    )
    doc.section("Flagged across doors")
    doc.rows_table(
        [
            ("At", 0.15, "L"),
            ("Door", 0.13, "L"),
            ("What", 0.22, "L"),
            ("Who", 0.18, "L"),
            ("In plain words", 0.32, "L"),
        ],
        ([clock(f.at), f.kiosk, FLAGS.get(f.kind, f.kind), f.name or f.person_ref or "", f.words] for f in scene.flags),
        empty="Nothing: every door's record agrees.",
    )
    doc.section("Refused attempts")
    doc.rows_table(
        [
            ("At", 0.15, "L"),
            ("Door", 0.13, "L"),
            ("Zone", 0.09, "L"),
            ("Who (or what was scanned)", 0.26, "L"),
            ("Reason", 0.37, "L"),
        ],
        ([clock(e.at), e.kiosk, e.zone, e.name or e.raw, e.words] for e in scene.refused),
    )
    doc.section("Every entry and exit")
    doc.rows_table(
        [
            ("At", 0.15, "L"),
            ("Door", 0.13, "L"),
            ("Zone", 0.09, "L"),
            ("In/out", 0.07, "L"),
            ("Name", 0.26, "L"),
            ("Ref", 0.08, "L"),
            ("How", 0.22, "L"),
        ],
        (
            [
                clock(e.at),
                e.kiosk,
                e.zone,
                "in" if e.decision == "admit" else "out",
                e.name,
                e.person_ref,
                HOW.get(e.kind) or e.words,
            ]
            for e in scene.movements
        ),
    )


def report_pdf(report: Report, paper: str = "a4") -> bytes:
    """The whole report as PDF bytes."""
    clock = clock_for(
        [
            *(event.at for scene in report.scenes for event in scene.events),
            *(approval.at for scene in report.scenes for approval in scene.approved),
        ]
    )
    doc = Document(
        paper,
        f"{report.production} - {report.title}",
        f"{report.production} - closed-set report - {report.title} - printed {stamp(report.generated_at)}",
    )
    doc.heading(f"Closed-set report: {report.title}")
    audit = report.audit
    head = [
        ("Production", report.production),
        ("Printed", stamp(report.generated_at)),
        ("Times", f"local time, {report.timezone} (UTC{offset(report.generated_at)} when printed)"),
    ]
    if report.start and report.end:
        head.append(("Day", f"{stamp(report.start)} to {stamp(report.end)}"))
    doc.pairs(head)
    doc.pairs([("Audit of the log", audit.words)], red=not audit.ok)
    if report.doors:
        doc.pairs([("Doors on this report", ", ".join(report.doors))])
    if report.clocks:
        doc.section("Door clocks found off at a sync")
        doc.rows_table(
            [("At (that door's clock)", 0.2, "L"), ("Door", 0.15, "L"), ("In plain words", 0.65, "L")],
            ([clock(f.at), f.kiosk, f.words] for f in report.clocks),
        )
    doc.note(
        "Door records only: who was approved, who came and went, refusals, and the set's states. No wellbeing content."
    )
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
    doc = Document(
        paper,
        f"{rollcall.production} - roll-call",
        f"{rollcall.production} - roll-call printed {stamp(rollcall.printed_at)}",
    )
    doc.heading(f"ROLL-CALL: {len(rollcall.people)} inside")
    doc.pairs(
        [
            ("Production", rollcall.production),
            ("Printed", stamp(rollcall.printed_at)),
            ("Times", f"local time, {rollcall.timezone}"),
        ]
    )
    doc.ln(2)
    doc.rows_table(
        [
            ("Safe", 0.06, "C"),
            ("Name", 0.3, "L"),
            ("Ref", 0.08, "L"),
            ("Department", 0.2, "L"),
            ("Scene", 0.1, "L"),
            ("Zone", 0.11, "L"),
            ("In since", 0.15, "L"),
        ],
        (["[  ]", p.name, p.person_ref, p.department, p.scene, p.zone, clock(p.since)] for p in rollcall.people),
        empty="Nobody is inside any open scene.",
    )
    return bytes(doc.output())
