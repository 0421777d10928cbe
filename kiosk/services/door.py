"""The scan: read the code, gather the facts, let the core decide, record, answer.  One transaction."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass

from kiosk.core import codes, text
from kiosk.core.checkins import Completion
from kiosk.core.door import (
    BadgeStatus,
    Decision,
    DoorFacts,
    Reason,
    SceneState,
    Zone,
    decide,
    is_duplicate,
    reason_words,
)
from kiosk.services import ServiceError, checked, checkins, now, seconds_between
from kiosk.services.lookup import Inside, get_production, get_scene, resolve_person
from kiosk.services.lookup import inside as inside_of
from kiosk.services.scenes import active_scenes, approve
from kiosk.store import log, queries
from kiosk.store.db import Store, write
from kiosk.store.queries import one

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


def admit_by_lookup(db: Store, scene_ref: str, person: str, zone: Zone | str, why: str, kiosk: str,
                    by: str = "AD") -> Verdict:
    """A forgotten badge: the AD finds the person by name and admits them, with a reason on record.

    Only people approved for this scene and zone, while the set is open: the lookup replaces the badge,
    not the approved list.
    """
    zone = Zone(zone)
    why, by = checked(text.line, why, "reason"), checked(text.line, by, "name of who admits")
    if not why:
        raise ServiceError("Say why the person is admitted without their badge.")
    with write(db):
        scene = get_scene(db, scene_ref)
        found = resolve_person(db, person)
        if scene["state"] != SceneState.OPEN:
            raise ServiceError(f"Scene {scene['ref']} is {scene['state']}: nobody is admitted now.")
        if zone not in queries.approved_zones(db, scene["id"], found["id"]):
            raise ServiceError(f"{found['name']} is not approved for {zone} on scene {scene['ref']}; "
                               "use an escalation to add them.")
        if queries.is_inside(db, scene["id"], found["id"], zone):
            raise ServiceError(f"{found['name']} is already inside {zone}.")
        first_entry = not queries.has_entered_before(db, scene["id"], found["id"])
        row = log.append(db, at=now(), kiosk=kiosk, kind="override", scan_id=uuid.uuid4().hex,
                         scene_id=scene["id"], person_id=found["id"], zone=str(zone),
                         decision=str(Decision.ADMIT), reason=str(Reason.OVERRIDE),
                         detail={"why": why, "by": by})
        return _verdict(db, row, scene, first_entry=first_entry)


def escalate(db: Store, scene_ref: str, person: str, zone: Zone | str, coordinator: str, ad: str,
             kiosk: str) -> Verdict:
    """Someone not on the list, admitted for this scene only with the IC's and the AD's names on record.

    The approval is marked temporary; the admission itself is a log row like any other.
    """
    zone = Zone(zone)
    coordinator, ad = checked(text.line, coordinator, "IC's name"), checked(text.line, ad, "AD's name")
    if not coordinator or not ad:
        raise ServiceError("An escalation needs both the intimacy coordinator's and the AD's names.")
    with write(db):
        approve(db, scene_ref, (person,), by=f"IC {coordinator} and AD {ad}", kiosk=kiosk, zone=str(zone),
                temporary=True)
        return admit_by_lookup(db, scene_ref, person, zone, why="escalation: temporary approval", kiosk=kiosk,
                               by=f"IC {coordinator} and AD {ad}")


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


@dataclass(frozen=True)
class DoorView:
    """Everything the door screen shows about one scene, read in one go."""

    production: str
    scene: SceneAtDoor | None  # None: no scene chosen, and not exactly one closed set in force
    inside: list[Inside]
    approved_people: int
    recent: list[RecentScan]
    checkins: Completion  # counts only, never what was said

    @property
    def people_inside(self) -> int:
        """Heads inside: someone in both zones counts once."""
        return len({row.ref for row in self.inside})


def door_view(db: Store, scene_ref: str | None, recent: int = 10) -> DoorView:
    """The door's screen for ``scene_ref``; with none chosen, for the one closed set in force if exactly one is."""
    if scene_ref is None:
        active = active_scenes(db)
        if len(active) != 1:
            return DoorView(get_production(db)["name"], None, [], 0, [], Completion())
        scene = active[0]
    else:
        scene = get_scene(db, scene_ref)
    approved = one(db, "SELECT COUNT(DISTINCT person_id) AS n FROM approvals WHERE scene_id = ?", [scene["id"]])
    return DoorView(
        production=get_production(db)["name"],
        scene=SceneAtDoor(scene["ref"], scene["title"], scene["location"], scene["state"]),
        inside=inside_of(db, [scene]), approved_people=approved["n"],
        recent=[RecentScan(row["at"], row["decision"], row["person_name"],
                           reason_words(row["reason"], scene["ref"], row["zone"] or ""))
                for row in queries.log_rows(db, scene["id"], recent, newest_first=True, kinds=DOOR_KINDS)],
        checkins=checkins.completion(db, scene["ref"]),
    )

