"""The closed-set report and the evacuation roll-call, gathered from the door log and the door tables only.

Only door records are read: the log rows of the kinds in ``DOOR_KINDS`` and the scenes, people and approvals
tables.  Nothing else (check-in notes above all) can reach a report, whatever other rows the log holds.

Times in the model are aware datetimes in the production's local time: the zone given by the caller, else
the kiosk machine's own local zone.  A day report covers local midnight to the next local midnight (23 or 25
hours across a clock change) and every scene with a door event in that span.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.core import record as rules
from kiosk.core import report as core
from kiosk.core.anomalies import CLOCK_SKEW, CONFLICT
from kiosk.core.door import reason_words
from kiosk.core.report import (
    MOVES,
    Approval,
    DoorEvent,
    Flag,
    Present,
    Protocol,
    Report,
    RollCall,
    SceneReport,
)
from kiosk.services import ServiceError, anomalies, audit, checkins
from kiosk.services.door import inside
from kiosk.services.lookup import get_production, get_scene
from kiosk.services.report_protocol import protocol_of
from kiosk.services.report_protocol import words_of as protocol_words
from kiosk.store.db import Store, snapshot
from kiosk.store.queries import many, one

REPORT_KINDS = rules.DOOR_RECORD
STATE_WORDS = {
    "open": "Closed set in force (open)",
    "rolling": "Rolling - red light",
    "hold": "On hold",
    "lifted": "Closed set lifted",
    "draft": "Draft",
}


def timezone_named(name: str | None) -> tzinfo | None:
    """The IANA zone called ``name`` (Europe/London...); None, the machine's own zone, when no name is given."""
    if not name:
        return None
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ServiceError(f"Unknown time zone {name!r}: use a name like Europe/London or America/New_York.") from None


def local(at: str, tz: tzinfo | None) -> datetime:
    """A stored UTC time in the report's zone (the machine's local zone when ``tz`` is None)."""
    return datetime.fromisoformat(at).astimezone(tz)


def zone_name(tz: tzinfo | None) -> str:
    return str(tz) if tz is not None else (datetime.now().astimezone().tzname() or "local time")


def day_span(day: date, tz: tzinfo | None) -> tuple[datetime, datetime]:
    """Local midnight to the next local midnight, as aware datetimes."""

    def midnight(of: date) -> datetime:
        start = datetime.combine(of, time())
        return start.replace(tzinfo=tz) if tz is not None else start.astimezone()

    return midnight(day), midnight(day + timedelta(days=1))


def _stored(at: datetime) -> str:
    """A bound in the log's own text form (UTC ISO with microseconds) so that SQL compares it as text."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _words(kind: str, body: dict, zones_of: dict[str, frozenset[str]]) -> tuple[str, str | None]:
    """Plain words for a door event, and who acted when the event names someone."""
    if kind in ("scan", "override", "sweep"):
        words = reason_words(
            body["reason"], body["scene"], body.get("zone") or "", zones_of.get(body.get("person") or "", ())
        )
        if kind == "override" and body.get("why") and body["reason"] != "escalated":
            words = f"{words}: {body['why']}"
        return words, body.get("by")
    if kind == "state":
        words = STATE_WORDS.get(str(body.get("to")), str(body.get("to")))
        if body.get("until") == "ic":
            return f"{words} until the IC is here: {body.get('why')}", body.get("by")
        if body.get("outstanding"):
            return (
                f"{words} with items outstanding"
                + (
                    f" (supervisor's override: {body['why']})"
                    if body.get("from") == "draft" and body.get("why")
                    else ""
                )
                + (f" again (run {body['run']}): {body['why']}" if body.get("from") == "lifted" else "")
            ), body.get("by")
        return (f"{words} again (run {body['run']}): {body['why']}" if body.get("why") else words), body.get("by")
    if kind == "approve":
        temporary = " (temporary, this scene only)" if body.get("temporary") else ""
        return f"Approved for {body['zone']} by {body.get('by')}{temporary}", body.get("by")
    if kind == "unapprove":
        why = f": {body['why']}" if body.get("why") else ""
        return f"Approval for {body['zone']} removed by {body.get('by')}{why}", body.get("by")
    if kind == "policy_ack":
        return f"Acknowledged: {body.get('policy', 'device policy')}", body.get("confirmed_by")
    if kind == "scene_added":
        return "Scene added", None
    return protocol_words(kind, body) or (kind, body.get("by"))


def _flags_within(flags: list[Flag], start: datetime | None, end: datetime | None) -> tuple[Flag, ...]:
    kept = [flag for flag in flags if (start is None or flag.at >= start) and (end is None or flag.at < end)]
    return tuple(sorted(kept, key=lambda flag: (flag.at, flag.kiosk, flag.kind)))


def _flags(db: Store, ref: str, tz: tzinfo | None, start: datetime | None, end: datetime | None) -> tuple[Flag, ...]:
    """The anomalies across doors of one scene and the conflicts the record settled in it (``services.anomalies``)."""
    found = anomalies.find(db, ref)
    flags = [
        Flag(
            a.kind,
            local(a.at, tz),
            a.device,
            a.words,
            a.zone,
            a.person,
            found.names.get(a.person),
            a.earlier_device,
            local(a.earlier_at, tz) if a.earlier_at else None,
        )
        for a in found.anomalies
    ]
    for conflict in found.conflicts:
        at = conflict.kept_at or conflict.lost_at
        if at is None:
            continue
        flags.append(
            Flag(
                CONFLICT,
                local(at, tz),
                conflict.kept_device or "",
                f"{conflict.key}: {conflict.words}",
                other_kiosk=conflict.lost_device,
                other_at=local(conflict.lost_at, tz) if conflict.lost_at else None,
            )
        )
    return _flags_within(flags, start, end)


def _clocks(db: Store, tz: tzinfo | None, start: datetime | None, end: datetime | None) -> tuple[Flag, ...]:
    """Doors whose clock a sync found more than two minutes off the hub's."""
    return _flags_within(
        [
            Flag(CLOCK_SKEW, local(note.at, tz), note.device, note.words)
            for note in anomalies.clock_notes(db)
            if note.flagged
        ],
        start,
        end,
    )


def _scene_section(
    db: Store, scene: dict, tz: tzinfo | None, start: datetime | None, end: datetime | None
) -> SceneReport:
    types = list(REPORT_KINDS)
    marks = ", ".join("?" * len(types))
    until = "AND e.at < ?" if end is not None else ""
    approvals = many(
        db,
        """
        SELECT a.zone, p.ref, p.name, p.department, p.role, a.approved_by, a.approved_at, a.temporary
        FROM approvals a JOIN people p ON p.ref = a.person WHERE a.scene = ?
        ORDER BY a.zone, p.name COLLATE NOCASE""",
        [scene["ref"]],
    )
    zones_of: dict[str, frozenset[str]] = {}
    for approval in approvals:
        zones_of[approval["ref"]] = zones_of.get(approval["ref"], frozenset()) | {approval["zone"]}
    rows = db.conn.cursor()  # streamed, one row at a time: a scene may have 100,000 of them
    rows.execute(
        f"""
        SELECT e.id, e.at, e.device, e.type, e.payload, p.name
        FROM events e LEFT JOIN people p ON p.ref = e.person
        WHERE (e.scene = ? OR e.key = ?) AND e.type IN ({marks}) {until}
        ORDER BY e.hlc, e.device, e.seq""",
        [scene["ref"], rules.scene_key(scene["ref"]), *types, *([_stored(end)] if end is not None else [])],
    )
    events, changes = [], []
    for local_id, at, device, type, payload, name in rows:
        body = json.loads(payload)["body"]
        kind = REPORT_KINDS[type]
        words, by = _words(kind, body, zones_of)
        person = body.get("person")
        events.append(
            DoorEvent(
                id=local_id,
                at=local(at, tz),
                kind=kind,
                words=words,
                zone=body.get("zone"),
                decision=body.get("decision"),
                reason=body.get("reason"),
                person_ref=person,
                name=name,
                raw=body.get("raw") if not person else None,
                by=by,
                kiosk=device,
            )
        )
        if kind == "state":
            changes.append((events[-1].at, body["to"]))
    periods = core.state_periods(changes)
    series = core.headcount((e.at, e.person_ref, e.zone, e.decision) for e in events if e.decision in MOVES)
    if start is not None and end is not None:
        periods = core.clip_periods(periods, start, end)
        series = core.clip_series(series, start, end)
        events = [event for event in events if event.at >= start]
    count, peak_at = core.peak(series)
    coordinator = one(db, "SELECT name FROM people WHERE ref = ?", [scene["coordinator"]])
    performers = many(
        db,
        "SELECT p.name FROM performers f JOIN people p ON p.ref = f.person "
        "WHERE f.scene = ? ORDER BY p.name COLLATE NOCASE",
        [scene["ref"]],
    )
    return SceneReport(
        ref=scene["ref"],
        title=scene["title"],
        location=scene["location"],
        date=scene["date"],
        state=scene["state"],
        coordinator=coordinator["name"] if coordinator else None,
        performers=tuple(p["name"] for p in performers),
        approved=tuple(
            Approval(
                a["zone"],
                a["ref"],
                a["name"],
                a["department"],
                a["role"],
                a["approved_by"],
                local(a["approved_at"], tz),
                bool(a["temporary"]),
            )
            for a in approvals
        ),
        events=tuple(events),
        periods=tuple(periods),
        headcount=tuple(series),
        peak=count,
        peak_at=peak_at,
        checkins=checkins.completion(db, scene["ref"]),
        flags=_flags(db, scene["ref"], tz, start, end),
        protocol=_within(protocol_of(db, scene["ref"], lambda at: local(at, tz)), start, end),
    )


def _within(protocol: Protocol, start: datetime | None, end: datetime | None) -> Protocol:
    """A day report's protocol: the openings and choices of that day; the checklist and list as they stand."""
    if start is None or end is None:
        return protocol
    return dataclasses.replace(
        protocol,
        opened_outstanding=tuple(o for o in protocol.opened_outstanding if start <= o.at < end),
        no_ic=tuple(c for c in protocol.no_ic if start <= c.at < end),
    )


def scene_report(db: Store, ref: str, tz: tzinfo | None = None) -> Report:
    """Everything the door recorded for one scene, from its creation to now (in one read snapshot: its rows and
    its audit line are of the same moment, while the door goes on writing)."""
    with snapshot(db):
        return _scene_report(db, ref, tz)


def _scene_report(db: Store, ref: str, tz: tzinfo | None) -> Report:
    production = get_production(db)["name"]
    scene = get_scene(db, ref)
    return Report(
        production,
        "scene",
        scene["ref"],
        datetime.now(tz).astimezone(tz),
        zone_name(tz),
        (_scene_section(db, scene, tz, None, None),),
        audit.check(db).result,
        clocks=_clocks(db, tz, None, None),
    )


def day_report(db: Store, day: date | str, tz: tzinfo | None = None) -> Report:
    """Every scene with a door event on ``day`` (local time), each limited to that day's events; in one read
    snapshot, like ``scene_report``."""
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day.strip())
        except ValueError:
            raise ServiceError(f"{day!r} is not a day: give the date as YYYY-MM-DD (2026-12-01).") from None
    if not date.min < day < date.max:  # its span runs past the calendar's ends (and no door recorded then)
        raise ServiceError(f"No day report for {day.isoformat()}: give a day of the shoot.")
    with snapshot(db):
        return _day_report(db, day, tz)


def _day_report(db: Store, day: date, tz: tzinfo | None) -> Report:
    production = get_production(db)["name"]
    start, end = day_span(day, tz)
    types = list(REPORT_KINDS)
    marks = ", ".join("?" * len(types))
    refs = [
        ref
        for (ref,) in db.execute(
            f"""
        SELECT s.ref FROM scenes s WHERE EXISTS (SELECT 1 FROM events e WHERE e.scene = s.ref AND e.at >= ?
                                                 AND e.at < ? AND e.type IN ({marks}))
        ORDER BY s.ref""",
            [_stored(start), _stored(end), *types],
        )
    ]
    return Report(
        production,
        "day",
        day.isoformat(),
        datetime.now(tz).astimezone(tz),
        zone_name(tz),
        tuple(_scene_section(db, get_scene(db, ref), tz, start, end) for ref in refs),
        audit.check(db).result,
        start,
        end,
        _clocks(db, tz, start, end),
    )


def rollcall(db: Store, scene_ref: str | None = None, tz: tzinfo | None = None) -> RollCall:
    """Everyone inside any open scene now (or inside one scene), with zone and time in."""
    production = get_production(db)["name"]
    people = tuple(
        Present(row.scene, row.zone, row.ref, row.name, row.department, row.role, local(row.since, tz))
        for row in inside(db, scene_ref)
    )
    return RollCall(production, datetime.now(tz).astimezone(tz), zone_name(tz), people)
