"""The closed-set protocol's pages of the PDF report: the checklist before the set opened (and any opening with
items outstanding, with the supervisor's reason), the performers' acknowledgement of the approved list and who
they are not yet told of, and each performer's own choice to work without an IC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk.core.report import Protocol

if TYPE_CHECKING:
    from kiosk.reports.document import Document


def protocol_pages(doc: Document, protocol: Protocol, clock: Callable[[datetime | None], str]) -> None:
    doc.section("Ready before it opens (the checklist as it stands)")
    doc.rows_table(
        [("Item", 0.3, "L"), ("Met", 0.07, "L"), ("What", 0.43, "L"), ("Confirmed", 0.2, "L")],
        (
            [
                line.words + ("" if line.required else " (optional)"),
                "yes" if line.met else "NO",
                line.detail + "".join(f" - WARNING: {warning}" for warning in line.warnings),
                f"{line.by}, {clock(line.at)}" if line.by and line.at else "",
            ]
            for line in protocol.checklist
        ),
    )
    for opened in protocol.opened_outstanding:
        doc.section(f"Opened with items outstanding, {clock(opened.at)}")
        if opened.why:
            doc.pairs([("Opened by", opened.by or ""), ("Reason", opened.why)], red=True)
        else:
            doc.pairs([("Opened by", "the door (the checklist was advisory)")], red=True)
        for item in opened.items:
            doc.note(f"- {item}")
    doc.section("The performers know who will be there")
    doc.rows_table(
        [("Performer", 0.35, "L"), ("Acknowledged the approved list", 0.65, "L")],
        (
            [
                ack.performer,
                (f"{clock(ack.at)}, recorded by {ack.by}" + (" for them" if ack.for_them else ""))
                if ack.at
                else "NOT YET",
            ]
            for ack in protocol.acknowledged
        ),
        empty="The scene has no performers.",
    )
    if protocol.not_told:
        doc.pairs([(f"Performers not yet told: {len(protocol.not_told)}", ", ".join(protocol.not_told))], red=True)
    doc.section("Working without an IC (each performer's own choice)")
    doc.rows_table(
        [("At", 0.2, "L"), ("Performer", 0.35, "L"), ("Choice", 0.45, "L")],
        (
            [
                clock(choice.at),
                choice.performer,
                "withdrew it: the set waits for an IC" if choice.withdrawn else "chose to work without an IC",
            ]
            for choice in protocol.no_ic
        ),
        empty="Nobody chose to work without an IC.",
    )
    if protocol.without_ic:
        doc.note("The scene runs without an IC now: every performer chose it, with their own badge.")
