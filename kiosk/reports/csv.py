"""The report as one flat CSV table, one record per row, for filtering in a spreadsheet.

UTF-8 (with a byte-order mark on request, which Excel needs to read non-ASCII names right); times ISO 8601
to the second with the local offset.  The ``record`` column says what a row is: ``detail`` and ``summary``
(label in ``words``, figure in ``value``), ``approved`` (the list as it stands), ``period`` (a state from ``at``
to ``until``), ``flag`` (an anomaly across doors, a conflict settled or a clock found off: the kind in
``reason``, the other door in ``value`` and its time in ``until``), a log kind (``scan``, ``override``,
``sweep``, ``state``, ``approve``, ``unapprove``, ``policy_ack``, ``scene_added``...) for each door event, and
``audit`` last.  The closed-set protocol adds ``checklist`` (the item in ``reason``, ``met`` or ``open`` in
``decision``), ``opened_outstanding`` (the supervisor's reason in ``words``, the items in ``value``),
``list_acknowledged``, ``not_told`` and ``no_ic`` rows.

No cell runs as a formula when the file is opened in a spreadsheet: names, titles, approvers, reasons,
scanned input and kiosk ids are typed by people, and one typed ``=HYPERLINK(...)`` or ``=cmd|...`` would
otherwise be live.  Text that starts like a formula is written with a leading ``'`` (see ``cell``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO

from kiosk.core.report import Flag, Protocol, Report

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # the OWASP list of what a spreadsheet reads as a formula
COLUMNS = (
    "scene",
    "record",
    "log_id",
    "at",
    "until",
    "zone",
    "person_ref",
    "name",
    "decision",
    "reason",
    "words",
    "by",
    "kiosk",
    "value",
)


def cell(value: object) -> object:
    """``value`` as a spreadsheet shows it and never runs: text starting with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return gets a leading ``'`` (OWASP), which keeps it readable.

    Whether a value is a number is told by its type, not by its look: the figures of the report (counts, log
    ids) are ints and stay numbers; text is always text, so a name typed as ``-1`` is written ``'-1``.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def iso(at: datetime | None) -> str:
    return at.isoformat(timespec="seconds") if at else ""


def records(report: Report) -> Iterator[dict]:
    for scene in report.scenes:
        base = {"scene": scene.ref}
        for label, value in scene.details():
            yield {**base, "record": "detail", "words": label, "value": value}
        for label, count in scene.summary():
            at = scene.peak_at if label == "Peak headcount" else None
            yield {**base, "record": "summary", "words": label, "value": count, "at": iso(at)}
        for approval in scene.approved:
            yield {
                **base,
                "record": "approved",
                "at": iso(approval.at),
                "zone": approval.zone,
                "person_ref": approval.person_ref,
                "name": approval.name,
                "by": approval.by,
                "value": "temporary" if approval.temporary else "",
            }
        for period in scene.periods:
            yield {**base, "record": "period", "at": iso(period.start), "until": iso(period.end), "value": period.state}
        yield from _protocol(base, scene.protocol)
        for event in scene.events:
            yield {
                **base,
                "record": event.kind,
                "log_id": event.id,
                "at": iso(event.at),
                "zone": event.zone,
                "person_ref": event.person_ref,
                "name": event.name if event.name else event.raw,
                "decision": event.decision,
                "reason": event.reason,
                "words": event.words,
                "by": event.by,
                "kiosk": event.kiosk,
            }
        for flag in scene.flags:
            yield {**base, **_flag(flag)}
    for flag in report.clocks:
        yield _flag(flag)
    audit = report.audit
    yield {"record": "audit", "value": "intact" if audit.ok else "broken", "words": audit.words}


def _flag(flag: Flag) -> dict:
    """An anomaly, a conflict or a clock off: ``reason`` says which, ``value`` the other door it goes against."""
    return {
        "record": "flag",
        "at": iso(flag.at),
        "until": iso(flag.other_at),
        "zone": flag.zone,
        "person_ref": flag.person_ref,
        "name": flag.name,
        "reason": flag.kind,
        "words": flag.words,
        "kiosk": flag.kiosk,
        "value": flag.other_kiosk or "",
    }


def _protocol(base: dict, protocol: Protocol) -> Iterator[dict]:
    """The checklist, openings with items outstanding, the performers' acknowledgements and who they are not yet
    told of, and the choices to work without an IC."""
    for line in protocol.checklist:
        yield {
            **base,
            "record": "checklist",
            "reason": line.item,
            "words": line.words,
            "at": iso(line.at),
            "by": line.by or "",
            "decision": "met" if line.met else "open",
            "value": "; ".join((line.detail, *line.warnings)),
        }
    for opened in protocol.opened_outstanding:
        yield {
            **base,
            "record": "opened_outstanding",
            "at": iso(opened.at),
            "by": opened.by or "",
            "words": opened.why or "",
            "value": "; ".join(opened.items),
        }
    for ack in protocol.acknowledged:
        yield {
            **base,
            "record": "list_acknowledged",
            "name": ack.performer,
            "at": iso(ack.at),
            "by": ack.by or "",
            "value": "for them" if ack.for_them else ("" if ack.at else "not yet"),
        }
    for name in protocol.not_told:
        yield {**base, "record": "not_told", "name": name}
    for choice in protocol.no_ic:
        yield {
            **base,
            "record": "no_ic",
            "name": choice.performer,
            "at": iso(choice.at),
            "value": "withdrawn" if choice.withdrawn else "chosen",
        }


def write_csv(report: Report, handle: BinaryIO, bom: bool = False) -> None:
    text = io.TextIOWrapper(handle, encoding="utf-8-sig" if bom else "utf-8", newline="")
    writer = csv.DictWriter(text, COLUMNS, restval="")
    writer.writeheader()
    writer.writerows({column: cell(value) for column, value in record.items()} for record in records(report))
    text.flush()
    text.detach()
