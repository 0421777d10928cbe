"""Closed scenes: their approved lists per zone, and the set state (open, rolling, hold, lifted)."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.core.door import ZONES, SceneState, Zone, is_intimacy_coordinator
from kiosk.services import ServiceError, now
from kiosk.services.lookup import get_scene, inside, resolve_person
from kiosk.services.roster import Person
from kiosk.store import log
from kiosk.store.db import Store, write
from kiosk.store.queries import many, one

ZONE_CHOICES = ("set", "monitors", "both")
ACTIVE_STATES = (SceneState.OPEN, SceneState.ROLLING, SceneState.HOLD)


@dataclass(frozen=True)
class SceneSummary:
    """A scene as the scene lists show it."""

    ref: str
    title: str
    location: str
    date: str
    state: str
    coordinator: str | None  # the IC's name
    approved: int  # people approved for either zone


@dataclass(frozen=True)
class ApprovedPerson:
    """One person's approval for one zone of a scene."""

    ref: str
    name: str
    department: str
    role: str
    kind: str
    zone: str
    approved_by: str
    approved_at: str
    temporary: bool


def zones_of(choice: str) -> tuple[Zone, ...]:
    if choice == "both":
        return ZONES
    try:
        return (Zone(choice),)
    except ValueError:
        raise ServiceError(f"Zone must be set, monitors or both, not {choice!r}.") from None




def _grant(db: Store, scene: dict, person: dict, zone: Zone, by: str, at: str, kiosk: str,
           temporary: bool = False) -> None:
    db["approvals"].upsert({"scene_id": scene["id"], "person_id": person["id"], "zone": str(zone),
                            "approved_by": by, "approved_at": at, "temporary": int(temporary)},
                           pk=("scene_id", "person_id", "zone"))
    log.append(db, at=at, kiosk=kiosk, kind="approve", scene_id=scene["id"], person_id=person["id"],
               zone=str(zone), detail={"by": by, "temporary": temporary})


def add_scene(db: Store, ref: str, title: str, kiosk: str, location: str = "", date: str = "",
              coordinator: str | None = None, performers: tuple[str, ...] = ()) -> dict:
    """A new closed scene in draft; its performers and coordinator are approved for both zones."""
    ref, title = ref.strip(), title.strip()
    if not ref or not title:
        raise ServiceError("A scene needs a ref and a title.")
    with write(db):
        if one(db, "SELECT 1 FROM scenes WHERE ref = ?", [ref]):
            raise ServiceError(f"Scene {ref!r} exists already; nothing was changed.")
        coordinator_row = resolve_person(db, coordinator) if coordinator else None
        performer_rows = [resolve_person(db, name) for name in performers]
        at = now()
        scene_id = db["scenes"].insert({
            "ref": ref, "title": title, "location": location.strip(), "date": date.strip(),
            "coordinator_id": coordinator_row["id"] if coordinator_row else None,
            "state": str(SceneState.DRAFT), "created_at": at}).last_pk
        scene = get_scene(db, ref)
        log.append(db, at=at, kiosk=kiosk, kind="scene_added", scene_id=scene_id,
                   detail={"title": title, "location": location, "date": date})
        for person in performer_rows:
            db["performers"].insert({"scene_id": scene_id, "person_id": person["id"]}, ignore=True)
            for zone in ZONES:
                _grant(db, scene, person, zone, "performer of the scene", at, kiosk)
        if coordinator_row:
            for zone in ZONES:
                _grant(db, scene, coordinator_row, zone, "intimacy coordinator", at, kiosk)
    return scene


def approve(db: Store, ref: str, people: tuple[str, ...], by: str, kiosk: str, zone: str = "set",
            temporary: bool = False) -> list[Person]:
    by = by.strip()
    if not by:
        raise ServiceError("Say who approves.")
    with write(db):
        scene = get_scene(db, ref)
        persons = [resolve_person(db, name) for name in people]
        at = now()
        for person in persons:
            for each in zones_of(zone):
                _grant(db, scene, person, each, by, at, kiosk, temporary)
    return [Person.from_row(person) for person in persons]


def unapprove(db: Store, ref: str, people: tuple[str, ...], by: str, kiosk: str, zone: str = "both") -> None:
    by = by.strip()
    if not by:
        raise ServiceError("Say who removes the approval.")
    with write(db):
        scene = get_scene(db, ref)
        at = now()
        for name in people:
            person = resolve_person(db, name)
            if person["id"] == scene["coordinator_id"] or one(
                    db, "SELECT 1 FROM performers WHERE scene_id = ? AND person_id = ?", [scene["id"], person["id"]]):
                raise ServiceError(f"{person['name']} is a performer or the coordinator of scene {scene['ref']} "
                                   "and stays approved; nothing was changed.")
            for each in zones_of(zone):
                removed = db.execute("DELETE FROM approvals WHERE scene_id = ? AND person_id = ? AND zone = ?",
                                     [scene["id"], person["id"], str(each)]).rowcount
                if removed:
                    log.append(db, at=at, kiosk=kiosk, kind="unapprove", scene_id=scene["id"],
                               person_id=person["id"], zone=str(each), detail={"by": by})


def approved_list(db: Store, ref: str) -> list[ApprovedPerson]:
    scene = get_scene(db, ref)
    return [ApprovedPerson(**{**row, "temporary": bool(row["temporary"])}) for row in many(db, """
        SELECT p.ref, p.name, p.department, p.role, p.kind, a.zone, a.approved_by, a.approved_at, a.temporary
        FROM approvals a JOIN people p ON p.id = a.person_id
        WHERE a.scene_id = ? ORDER BY p.name COLLATE NOCASE, a.zone""", [scene["id"]])]


def list_scenes(db: Store) -> list[SceneSummary]:
    return [SceneSummary(**row) for row in many(db, """
        SELECT s.ref, s.title, s.location, s.date, s.state, c.name AS coordinator,
               (SELECT COUNT(DISTINCT person_id) FROM approvals a WHERE a.scene_id = s.id) AS approved
        FROM scenes s LEFT JOIN people c ON c.id = s.coordinator_id ORDER BY s.ref""")]


def show_scene(db: Store, ref: str) -> dict:
    scene = get_scene(db, ref)
    coordinator = one(db, "SELECT ref, name FROM people WHERE id = ?", [scene["coordinator_id"]])
    performers = many(db, """SELECT p.ref, p.name FROM performers f JOIN people p ON p.id = f.person_id
                             WHERE f.scene_id = ? ORDER BY p.name""", [scene["id"]])
    return {
        "ref": scene["ref"], "title": scene["title"], "location": scene["location"], "date": scene["date"],
        "state": scene["state"], "coordinator": coordinator, "performers": performers,
        "approved": approved_list(db, ref), "inside": inside(db, [scene]),
    }


def set_state(db: Store, ref: str, state: SceneState, kiosk: str) -> dict:
    """Open the closed set, or switch between open, rolling and hold.  Lifting is ``lift``."""
    state = SceneState(state)
    if state is SceneState.LIFTED:
        raise ServiceError("Use lift (`kiosk scene close`) to lift the closed set.")
    if state is SceneState.DRAFT:
        raise ServiceError("A scene cannot go back to draft.")
    with write(db):
        scene = get_scene(db, ref)
        if scene["state"] == state:
            return scene
        if state is not SceneState.OPEN and scene["state"] not in ACTIVE_STATES:
            raise ServiceError(f"Scene {scene['ref']} is {scene['state']}: open it first.")
        change_state(db, scene, state, kiosk, now())
    return get_scene(db, ref)


def change_state(db: Store, scene: dict, state: SceneState, kiosk: str, at: str) -> None:
    db.execute("UPDATE scenes SET state = ? WHERE id = ?", [str(state), scene["id"]])
    log.append(db, at=at, kiosk=kiosk, kind="state", scene_id=scene["id"],
               detail={"from": scene["state"], "to": str(state)})


def active_scenes(db: Store) -> list[dict]:
    marks = ", ".join("?" * len(ACTIVE_STATES))
    return many(db, f"SELECT * FROM scenes WHERE state IN ({marks}) ORDER BY ref", [str(s) for s in ACTIVE_STATES])


def coordinators(db: Store, ref: str, text: str = "") -> list[Person]:
    """Who may approve an escalation at this scene's door as the IC: its own coordinator first, then anyone
    whose role says intimacy coordinator; ``text`` narrows them (part of a name, ref or department)."""
    scene = get_scene(db, ref)
    wanted = text.strip().casefold()
    rows = many(db, "SELECT id, ref, name, department, role, kind FROM people ORDER BY id = ? DESC, "
                    "name COLLATE NOCASE", [scene["coordinator_id"]])
    return [Person.from_row(row) for row in rows
            if (row["id"] == scene["coordinator_id"] or is_intimacy_coordinator(row["role"]))
            and (not wanted or any(wanted in row[name].casefold() for name in ("name", "ref", "department")))]
