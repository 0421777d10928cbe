"""The closed-set report and the evacuation roll-call, gathered from the door log and the door tables only.

Only door records are read: the log rows of the kinds in ``DOOR_KINDS`` and the scenes, people and approvals
tables.  Nothing else (check-in notes above all) can reach a report, whatever other rows the log holds.

Times in the model are aware datetimes in the production's local time: the zone given by the caller, else
the kiosk machine's own local zone.  A day report covers local midnight to the next local midnight (23 or 25
hours across a clock change) and every scene with a door event in that span.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.core import codes
from kiosk.core import report as core
from kiosk.core.door import reason_words
from kiosk.core.report import (
    MOVES,
    Approval,
    DoorEvent,
    Present,
    Report,
    RollCall,
    SceneReport,
)
from kiosk.services import ServiceError, checkins
from kiosk.services.door import inside
from kiosk.services.lookup import get_production, get_scene
from kiosk.store import log
from kiosk.store.db import Store
from kiosk.store.queries import many, one

DOOR_KINDS = ("scene_added", "approve", "unapprove", "state", "policy_ack", "scan", "override", "sweep")
STATE_WORDS = {"open": "Closed set in force (open)", "rolling": "Rolling - red light", "hold": "On hold",
               "lifted": "Closed set lifted", "draft": "Draft"}


def timezone_named(name: str | None) -> tzinfo | None:
    """The IANA zone called ``name`` (Europe/London...); None, the machine's own zone, when no name is given."""
    if not name:
        return None
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ServiceError(f"Unknown time zone {name!r}: use a name like Europe/London or America/New_York.") \
            from None


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


def _words(row: sqlite3.Row, detail: dict, scene: dict, zones_of: dict[int, frozenset[str]]) -> tuple[str, str | None]:
    """Plain words for a log row, and who acted when the row names someone."""
    kind = row["kind"]
    if kind in ("scan", "override", "sweep"):
        words = reason_words(row["reason"], scene["ref"], row["zone"] or "", zones_of.get(row["person_id"], ()))
        if kind == "override" and detail.get("why") and row["reason"] != "escalated":
            words = f"{words}: {detail['why']}"
        return words, detail.get("by")
    if kind == "state":
        return STATE_WORDS.get(detail.get("to"), str(detail.get("to"))), None
    if kind == "approve":
        temporary = " (temporary, this scene only)" if detail.get("temporary") else ""
        return f"Approved for {row['zone']} by {detail.get('by')}{temporary}", detail.get("by")
    if kind == "unapprove":
        return f"Approval for {row['zone']} removed by {detail.get('by')}", detail.get("by")
    if kind == "policy_ack":
        return f"Acknowledged: {detail.get('policy', 'device policy')}", detail.get("confirmed_by")
    return "Scene added", None


def _scene_section(db: Store, scene: dict, tz: tzinfo | None, start: datetime | None,
                   end: datetime | None) -> SceneReport:
    marks = ", ".join("?" * len(DOOR_KINDS))
    until = "AND l.at < ?" if end is not None else ""
    approvals = many(db, """
        SELECT a.zone, a.person_id, p.ref, p.name, p.department, p.role, a.approved_by, a.approved_at, a.temporary
        FROM approvals a JOIN people p ON p.id = a.person_id WHERE a.scene_id = ?
        ORDER BY a.zone, p.name COLLATE NOCASE""", [scene["id"]])
    zones_of: dict[int, frozenset[str]] = {}
    for approval in approvals:
        zones_of[approval["person_id"]] = zones_of.get(approval["person_id"], frozenset()) | {approval["zone"]}
    rows = db.conn.cursor()  # streamed, one row at a time: a scene may have 100,000 of them
    rows.row_factory = sqlite3.Row
    rows.execute(f"""
        SELECT l.id, l.at, l.kiosk, l.kind, l.zone, l.decision, l.reason, l.raw, l.detail, l.person_id,
               p.ref AS person_ref, p.name
        FROM log l LEFT JOIN people p ON p.id = l.person_id
        WHERE l.scene_id = ? AND l.kind IN ({marks}) {until} ORDER BY l.id""",
                [scene["id"], *DOOR_KINDS, *([_stored(end)] if end is not None else [])])
    events, changes = [], []
    for row in rows:
        detail = json.loads(row["detail"]) if row["detail"] else {}
        words, by = _words(row, detail, scene, zones_of)
        events.append(DoorEvent(
            id=row["id"], at=local(row["at"], tz), kind=row["kind"], words=words, zone=row["zone"],
            decision=row["decision"], reason=row["reason"], person_ref=row["person_ref"], name=row["name"],
            raw=codes.masked(row["raw"]) if row["person_id"] is None else None, by=by, kiosk=row["kiosk"]))
        if row["kind"] == "state":
            changes.append((events[-1].at, detail["to"]))
    periods = core.state_periods(changes)
    series = core.headcount((e.at, e.person_ref, e.zone, e.decision) for e in events if e.decision in MOVES)
    if start is not None and end is not None:
        periods = core.clip_periods(periods, start, end)
        series = core.clip_series(series, start, end)
        events = [event for event in events if event.at >= start]
    count, peak_at = core.peak(series)
    coordinator = one(db, "SELECT name FROM people WHERE id = ?", [scene["coordinator_id"]])
    performers = many(db, "SELECT p.name FROM performers f JOIN people p ON p.id = f.person_id "
                          "WHERE f.scene_id = ? ORDER BY p.name COLLATE NOCASE", [scene["id"]])
    return SceneReport(
        ref=scene["ref"], title=scene["title"], location=scene["location"], date=scene["date"],
        state=scene["state"], coordinator=coordinator["name"] if coordinator else None,
        performers=tuple(p["name"] for p in performers),
        approved=tuple(Approval(a["zone"], a["ref"], a["name"], a["department"], a["role"], a["approved_by"],
                                local(a["approved_at"], tz), bool(a["temporary"])) for a in approvals),
        events=tuple(events), periods=tuple(periods), headcount=tuple(series), peak=count, peak_at=peak_at,
        checkins=checkins.completion(db, scene["ref"]))


def scene_report(db: Store, ref: str, tz: tzinfo | None = None) -> Report:
    """Everything the door recorded for one scene, from its creation to now."""
    production = get_production(db)["name"]
    scene = get_scene(db, ref)
    return Report(production, "scene", scene["ref"], datetime.now(tz).astimezone(tz), zone_name(tz),
                  (_scene_section(db, scene, tz, None, None),), log.verify(db))


def day_report(db: Store, day: date | str, tz: tzinfo | None = None) -> Report:
    """Every scene with a door event on ``day`` (local time), each limited to that day's events."""
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day.strip())
        except ValueError:
            raise ServiceError(f"The date must be YYYY-MM-DD, not {day!r}.") from None
    production = get_production(db)["name"]
    start, end = day_span(day, tz)
    marks = ", ".join("?" * len(DOOR_KINDS))
    scenes = many(db, f"""
        SELECT * FROM scenes WHERE id IN (SELECT DISTINCT scene_id FROM log
                                          WHERE at >= ? AND at < ? AND kind IN ({marks}))
        ORDER BY ref""", [_stored(start), _stored(end), *DOOR_KINDS])
    return Report(production, "day", day.isoformat(), datetime.now(tz).astimezone(tz), zone_name(tz),
                  tuple(_scene_section(db, scene, tz, start, end) for scene in scenes), log.verify(db),
                  start, end)


def rollcall(db: Store, scene_ref: str | None = None, tz: tzinfo | None = None) -> RollCall:
    """Everyone inside any open scene now (or inside one scene), with zone and time in."""
    production = get_production(db)["name"]
    people = tuple(Present(row.scene, row.zone, row.ref, row.name, row.department, row.role, local(row.since, tz))
                   for row in inside(db, scene_ref))
    return RollCall(production, datetime.now(tz).astimezone(tz), zone_name(tz), people)
