"""The scan: read the code, gather the facts, let the core decide, record, answer.  One transaction."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field

from kiosk.core import codes
from kiosk.core.checkins import Completion
from kiosk.core.door import (
    BadgeStatus,
    Decision,
    DoorFacts,
    Reason,
    SceneState,
    Zone,
    decide,
    decide_presence,
    escalation_problem,
    is_duplicate,
    is_intimacy_coordinator,
    reason_words,
)
from kiosk.services import ServiceError, checkins, now, seconds_between
from kiosk.services.lookup import Inside, get_production, get_scene, resolve_person
from kiosk.services.lookup import inside as inside_of
from kiosk.services.scenes import active_scenes, approve
from kiosk.store import log, queries
from kiosk.store.db import Store, write
from kiosk.store.queries import many, one

DOOR_KINDS = ("scan", "override")  # the log rows that are answers at the door
STORED_INPUT = 120  # characters of raw input kept in the log; longer input is cut and its length noted


@dataclass(frozen=True)
class Verdict:
    """The door's answer, exactly as stored in the log."""

    scan_id: str
    at: str
    scene: str
    zone: str
    decision: str
    reason: str
    words: str
    raw: str
    layout: str | None = None
    person_ref: str | None = None
    name: str | None = None
    department: str | None = None
    role: str | None = None
    duplicate: bool = False  # the same badge again within the duplicate window: this is the earlier scan
    replay: bool = False  # this scan id was stored before: this is that stored scan
    first_entry: bool = False  # first admission to this scene: the device policy is to be acknowledged

    @property
    def passes(self) -> bool:
        return Decision(self.decision).passes

    def as_dict(self) -> dict:
        return asdict(self)


def printable_input(raw: str) -> str:
    """Raw input made safe to store and show: control characters escaped, invalid bytes as \\xNN, cut short."""
    try:
        text = raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte: escaped below like a control
        text = raw
    safe = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
    if len(safe) > STORED_INPUT:
        return f"{safe[:STORED_INPUT]}... ({len(raw)} characters)"
    return safe


def _verdict(db: Store, row: dict, scene: dict, person: dict | None = None,
             approved: frozenset[str] | None = None, **flags) -> Verdict:
    """The verdict for a stored log row; ``person`` and ``approved`` save a lookup when the caller has them."""
    if person is None:
        person = one(db, "SELECT ref, name, department, role FROM people WHERE id = ?", [row["person_id"]]) or {}
    if approved is None:
        approved = queries.approved_zones(db, scene["id"], row["person_id"]) if row["person_id"] else frozenset()
    return Verdict(
        scan_id=row["scan_id"], at=row["at"], scene=scene["ref"], zone=row["zone"], decision=row["decision"],
        reason=row["reason"], words=reason_words(row["reason"], scene["ref"], row["zone"], approved),
        raw=row["raw"], layout=row["layout"], person_ref=person.get("ref"), name=person.get("name"),
        department=person.get("department"), role=person.get("role"), **flags)


def scan(db: Store, scene_ref: str, raw: str, zone: Zone | str, kiosk: str,
         scan_id: str | None = None) -> Verdict:
    """Decide and record one scan; returns only after the row is committed to disk.

    A ``scan_id`` already stored returns the stored verdict (a replayed scan is stored once).  The same badge
    at the same door within the production's duplicate window returns the earlier verdict, unchanged.
    """
    zone = Zone(zone)
    parsed = codes.parse(raw)
    with write(db):
        if scan_id:
            stored = one(db, "SELECT * FROM log WHERE scan_id = ?", [scan_id])
            if stored:
                return _verdict(db, stored, one(db, "SELECT * FROM scenes WHERE id = ?", [stored["scene_id"]]),
                                replay=True)
        scene = get_scene(db, scene_ref)
        at = now()
        badge = queries.badge_holder(db, parsed.code) if parsed.code else None
        person_id = badge["person_id"] if badge else None
        if badge:
            last = queries.last_scan_of_badge(db, badge["id"])
            if last and last["scene_id"] == scene["id"] and last["zone"] == zone and is_duplicate(
                    seconds_between(last["at"], at), get_production(db)["duplicate_window"],
                    queries.changed_since(db, last["id"], scene["id"], badge["id"])):
                return _verdict(db, last, scene, duplicate=True)
        approved = queries.approved_zones(db, scene["id"], person_id) if person_id else frozenset()
        facts = DoorFacts(
            code=parsed, zone=zone, scene_state=SceneState(scene["state"]),
            badge_status=BadgeStatus(badge["status"]) if badge else None, approved_zones=approved,
            inside=bool(person_id) and queries.is_inside(db, scene["id"], person_id, zone),
        )
        ruling = decide(facts)
        first_entry = ruling.decision is Decision.ADMIT and not queries.has_entered_before(db, scene["id"], person_id)
        row = log.append(db, at=at, kiosk=kiosk, kind="scan", scan_id=scan_id or uuid.uuid4().hex,
                         scene_id=scene["id"], person_id=person_id, badge_id=badge["id"] if badge else None,
                         zone=str(zone), decision=str(ruling.decision), reason=str(ruling.reason),
                         raw=printable_input(raw), layout=parsed.layout)
        return _verdict(db, row, scene, badge or {}, approved, first_entry=first_entry)


def _by_name(db: Store, scene: dict, found: dict, zone: Zone, kiosk: str, detail: dict,
             admitted_as: Reason, approve_first: bool = False) -> Verdict:
    """The door rule for a person the AD named instead of a badge, recorded whatever it decides.

    An admission is recorded as ``admitted_as`` (a lookup, or an escalation: then the temporary approval is
    granted first, in the same transaction); someone inside is marked out; a refusal keeps the rule's reason.
    """
    approved = queries.approved_zones(db, scene["id"], found["id"])
    inside_now = queries.is_inside(db, scene["id"], found["id"], zone)
    ruling = decide_presence(zone, SceneState(scene["state"]), approved | ({zone} if approve_first else set()),
                             inside_now)
    if ruling.decision is Decision.ADMIT:
        reason = admitted_as
        if approve_first:
            approve(db, scene["ref"], (found["ref"],), by=detail["by"], kiosk=kiosk, zone=str(zone), temporary=True)
    else:
        reason = Reason.MARKED_OUT if ruling.decision is Decision.EXIT else ruling.reason
    first_entry = ruling.decision is Decision.ADMIT and not queries.has_entered_before(db, scene["id"], found["id"])
    row = log.append(db, at=now(), kiosk=kiosk, kind="override", scan_id=uuid.uuid4().hex, scene_id=scene["id"],
                     person_id=found["id"], zone=str(zone), decision=str(ruling.decision), reason=str(reason),
                     detail=detail)
    return _verdict(db, row, scene, first_entry=first_entry)


def admit_by_lookup(db: Store, scene_ref: str, person: str, zone: Zone | str, why: str, kiosk: str,
                    by: str = "AD") -> Verdict:
    """No badge: the AD finds the person by name, and the door rule decides as it would for their badge.

    Admitted (approved people only, while the set is open) or, when they are inside, marked out - each with
    the AD's reason on record.  A refusal (not approved, rolling, not in force) is recorded like a refused
    scan and returned, not raised: the lookup replaces the badge, not the approved list.
    """
    zone = Zone(zone)
    why = why.strip()
    if not why:
        raise ServiceError("Say why the person has no badge with them.")
    with write(db):
        scene = get_scene(db, scene_ref)
        return _by_name(db, scene, resolve_person(db, person), zone, kiosk, {"why": why, "by": by}, Reason.OVERRIDE)


def escalate(db: Store, scene_ref: str, person: str, zone: Zone | str, coordinator: str, ad: str,
             kiosk: str) -> Verdict:
    """Someone not on the list, admitted for this scene only, approved at the door by an IC and the AD.

    ``person``, ``coordinator`` and ``ad`` are people of the production (ref, or a full name that is one
    person's).  The IC must be the scene's coordinator or have an intimacy coordinator's role; the three are
    different people.  The approval is marked temporary and granted only if the door rule then admits; a
    refusal (rolling, not in force) is recorded and returned like any other.
    """
    zone = Zone(zone)
    if not coordinator.strip() or not ad.strip():
        raise ServiceError("An escalation needs the intimacy coordinator and the AD who approve it.")
    with write(db):
        scene = get_scene(db, scene_ref)
        found, ic, assistant = (resolve_person(db, who) for who in (person, coordinator, ad))
        problem = escalation_problem(found["ref"], ic["ref"], assistant["ref"],
                                     ic["id"] == scene["coordinator_id"] or is_intimacy_coordinator(ic["role"]))
        if problem:
            raise ServiceError(problem)
        if zone in queries.approved_zones(db, scene["id"], found["id"]):
            raise ServiceError(f"{found['name']} is on the approved list for {zone} already: use the "
                               "forgotten-badge lookup.")
        by = f"IC {ic['name']} and AD {assistant['name']}"
        detail = {"why": "escalation: temporary approval", "by": by, "coordinator": ic["ref"], "ad": assistant["ref"]}
        return _by_name(db, scene, found, zone, kiosk, detail, Reason.ESCALATED, approve_first=True)


def acknowledge_policy(db: Store, scene_ref: str, person_ref: str, by: str, kiosk: str) -> None:
    """Record that the person acknowledged "no phones, no photos" on entering this scene."""
    with write(db):
        scene = get_scene(db, scene_ref)
        person = resolve_person(db, person_ref)
        log.append(db, at=now(), kiosk=kiosk, kind="policy_ack", scene_id=scene["id"], person_id=person["id"],
                   detail={"policy": "no phones, no photos", "confirmed_by": by})


def policy_acknowledged(db: Store, scene_ref: str, person_ref: str) -> bool:
    scene = get_scene(db, scene_ref)
    person = resolve_person(db, person_ref)
    return one(db, "SELECT 1 FROM log WHERE kind = 'policy_ack' AND scene_id = ? AND person_id = ?",
               [scene["id"], person["id"]]) is not None


@dataclass(frozen=True)
class PolicyDue:
    """Someone admitted to a scene who has not yet acknowledged "no phones, no photos" there."""

    ref: str
    name: str
    since: str  # their first admission since the closed set was last lifted


def _policy_due(db: Store, scene: dict) -> list[PolicyDue]:
    if scene["state"] == SceneState.LIFTED:
        return []  # the lift ends the closed set, and with it what was left to confirm
    rows = many(db, """
        SELECT p.ref, p.name, MIN(l.at) AS since FROM log l JOIN people p ON p.id = l.person_id
        WHERE l.scene_id = :scene AND l.decision = 'admit'
          AND l.id > COALESCE((SELECT MAX(id) FROM log WHERE scene_id = :scene AND kind = 'state'
                                                          AND json_extract(detail, '$.to') = 'lifted'), 0)
          AND NOT EXISTS (SELECT 1 FROM log a WHERE a.kind = 'policy_ack' AND a.scene_id = :scene
                                                AND a.person_id = l.person_id)
        GROUP BY p.id ORDER BY since""", {"scene": scene["id"]})
    return [PolicyDue(row["ref"], row["name"], row["since"]) for row in rows]


def policy_due(db: Store, scene_ref: str) -> list[PolicyDue]:
    """Who is still to acknowledge the device policy at this scene, oldest first.

    Read from the log (admissions without a ``policy_ack``), so it is per scene, survives a restart and is
    the same on every kiosk; it is empty once the closed set is lifted.
    """
    return _policy_due(db, get_scene(db, scene_ref))


def inside(db: Store, scene_ref: str | None = None) -> list[Inside]:
    """Who is inside now: one scene, or (roll-call) every scene whose closed set is in force."""
    return inside_of(db, [get_scene(db, scene_ref)] if scene_ref else active_scenes(db))


def scene_log(db: Store, scene_ref: str, limit: int | None = None, newest_first: bool = False) -> list[dict]:
    return queries.log_rows(db, get_scene(db, scene_ref)["id"], limit, newest_first)



@dataclass(frozen=True)
class SceneAtDoor:
    """The scene a door guards, as its banner shows it."""

    ref: str
    title: str
    location: str
    state: str


@dataclass(frozen=True)
class RecentScan:
    """One of the door's last answers."""

    at: str
    decision: str
    name: str | None  # None: nobody's badge (an unknown or misread code)
    words: str
    zone: str = ""
    reason: str = ""
    read: str = ""  # for nobody's badge: what was read, masked (never a code someone could type in)


@dataclass(frozen=True)
class DoorView:
    """Everything the door screen shows about one scene, read in one go."""

    production: str
    scene: SceneAtDoor | None  # None: no scene chosen (or the one asked for is not in the production)
    inside: list[Inside]
    approved_people: int
    recent: list[RecentScan]
    checkins: Completion  # counts only, never what was said
    policy_due: list[PolicyDue] = field(default_factory=list)
    missing: str | None = None  # the scene ref asked for when the production has no such scene

    @property
    def people_inside(self) -> int:
        """Heads inside: someone in both zones counts once."""
        return len({row.ref for row in self.inside})


def door_view(db: Store, scene_ref: str | None, recent: int = 10) -> DoorView:
    """The door's screen for ``scene_ref``; with none chosen, for the one closed set in force if exactly one is.

    A ref the production does not have is no failure here: the view says so (``missing``), for the door to
    tell the AD to have the supervisor choose a scene.
    """
    if scene_ref is None:
        active = active_scenes(db)
        if len(active) != 1:
            return DoorView(get_production(db)["name"], None, [], 0, [], Completion())
        scene = active[0]
    else:
        scene = one(db, "SELECT * FROM scenes WHERE ref = ?", [scene_ref.strip()])
        if scene is None:
            return DoorView(get_production(db)["name"], None, [], 0, [], Completion(), missing=scene_ref)
    approved = one(db, "SELECT COUNT(DISTINCT person_id) AS n FROM approvals WHERE scene_id = ?", [scene["id"]])
    return DoorView(
        production=get_production(db)["name"],
        scene=SceneAtDoor(scene["ref"], scene["title"], scene["location"], scene["state"]),
        inside=inside_of(db, [scene]), approved_people=approved["n"],
        recent=[RecentScan(row["at"], row["decision"], row["person_name"],
                           reason_words(row["reason"], scene["ref"], row["zone"] or ""), row["zone"] or "",
                           row["reason"] or "", "" if row["person_name"] else codes.masked(row["raw"]))
                for row in queries.log_rows(db, scene["id"], recent, newest_first=True, kinds=DOOR_KINDS)],
        checkins=checkins.completion(db, scene["ref"]), policy_due=_policy_due(db, scene),
    )

