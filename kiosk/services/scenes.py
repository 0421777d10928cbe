"""Closed scenes: their approved lists per zone, and the set state (open, rolling, hold, lifted)."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.core import record as rules
from kiosk.core import text
from kiosk.core.door import ZONES, SceneState, Zone, is_intimacy_coordinator
from kiosk.services import ServiceError, checked, presence, readiness
from kiosk.services.access import check_pin
from kiosk.services.lookup import SCENE, get_scene, inside, resolve_person
from kiosk.services.roster import Person
from kiosk.store import record
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


def grant(db: Store, scene: str, person: str, zone: Zone, by: str, kiosk: str, temporary: bool = False) -> None:
    record.record(
        db,
        kiosk,
        rules.APPROVED,
        rules.approval_key(scene, person, str(zone)),
        {"scene": scene, "person": person, "zone": str(zone), "by": by, "temporary": temporary},
    )


def remove_approval(db: Store, scene: str, person: str, zone: str, by: str, kiosk: str, why: str = "") -> bool:
    """Take one approval away (inside the caller's write); False when there was none."""
    if not db.execute(
        "SELECT 1 FROM approvals WHERE scene = ? AND person = ? AND zone = ?", [scene, person, zone]
    ).fetchone():
        return False
    record.record(
        db,
        kiosk,
        rules.UNAPPROVED,
        rules.approval_key(scene, person, zone),
        {"scene": scene, "person": person, "zone": zone, "by": by, "why": why},
    )
    return True


def temporaries_on_record(db: Store, scene: str) -> list[tuple[str, str]]:
    """The scene's temporary approvals in force as the log says (each approval key folded), never as the
    ``approvals`` table's ``temporary`` column says: (person, zone), in order."""
    prefix = rules.approval_key(scene, "", "")[:-1]  # "approval/42/"
    keys = [
        key
        for (key,) in db.execute(
            "SELECT DISTINCT key FROM events WHERE key >= ? AND key < ? AND decision IS NULL ORDER BY key",
            [prefix, prefix[:-1] + chr(ord("/") + 1)],
        )
    ]
    found = []
    for key in keys:
        for row in record.fold_from_log(db, key).rows.get("approvals", []):
            if row["temporary"]:
                found.append((row["person"], row["zone"]))
    return found


def end_temporaries(db: Store, scene: str, by: str, kiosk: str, why: str) -> None:
    """End every temporary approval the log has in force for the scene (inside the caller's write), whatever
    the table says of it."""
    for person, zone in temporaries_on_record(db, scene):
        record.record(
            db,
            kiosk,
            rules.UNAPPROVED,
            rules.approval_key(scene, person, zone),
            {"scene": scene, "person": person, "zone": zone, "by": by, "why": why},
        )


def require_ic(person: dict) -> None:
    """Refuse, in words, a scene's IC whose role is not an intimacy coordinator's (they approve escalations and
    tell the performers of who is added, as the IC)."""
    if not is_intimacy_coordinator(person["role"] or ""):
        role = person["role"] or "no role"
        raise ServiceError(f"{person['name']} is not an intimacy coordinator ({role}): give them that role first.")


def add_scene(
    db: Store,
    ref: str,
    title: str,
    kiosk: str,
    location: str = "",
    date: str = "",
    coordinator: str | None = None,
    performers: tuple[str, ...] = (),
) -> dict:
    """A new closed scene in draft; its performers and coordinator are approved for both zones."""
    ref, title = checked(text.ref, ref, "scene ref"), checked(text.line, title, "title")
    location = checked(text.line, location, "location")
    date = checked(text.parse_date, date).isoformat() if date.strip() else ""
    if not ref or not title:
        raise ServiceError("A scene needs a ref and a title.")
    with write(db):
        if one(db, "SELECT 1 FROM scenes WHERE ref = ?", [ref]):
            raise ServiceError(f"Scene {ref!r} exists already; nothing was changed.")
        coordinator_row = resolve_person(db, coordinator) if coordinator else None
        if coordinator_row:
            require_ic(coordinator_row)
        performer_rows = [resolve_person(db, name) for name in performers]
        record.record(
            db,
            kiosk,
            rules.SCENE,
            rules.scene_key(ref),
            {
                "ref": ref,
                "title": title,
                "location": location,
                "date": date,
                "coordinator": coordinator_row["ref"] if coordinator_row else None,
            },
        )
        for person in performer_rows:
            record.record(
                db,
                kiosk,
                rules.PERFORMER,
                rules.performer_key(ref, person["ref"]),
                {"scene": ref, "person": person["ref"]},
            )
            for zone in ZONES:
                grant(db, ref, person["ref"], zone, "performer of the scene", kiosk)
        if coordinator_row:
            for zone in ZONES:
                grant(db, ref, coordinator_row["ref"], zone, "intimacy coordinator", kiosk)
        return get_scene(db, ref)


def approve(
    db: Store, ref: str, people: tuple[str, ...], by: str, kiosk: str, zone: str = "set", temporary: bool = False
) -> list[Person]:
    by = checked(text.line, by, "name of who approves")
    if not by:
        raise ServiceError("Say who approves.")
    with write(db):
        scene = get_scene(db, ref)
        persons = [resolve_person(db, name) for name in people]
        for person in persons:
            for each in zones_of(zone):
                grant(db, scene["ref"], person["ref"], each, by, kiosk, temporary)
    return [Person.from_row(person) for person in persons]


def unapprove(db: Store, ref: str, people: tuple[str, ...], by: str, kiosk: str, zone: str = "both") -> None:
    by = checked(text.line, by, "name of who removes the approval")
    if not by:
        raise ServiceError("Say who removes the approval.")
    with write(db):
        scene = get_scene(db, ref)
        for name in people:
            person = resolve_person(db, name)
            if person["ref"] == scene["coordinator"] or one(
                db, "SELECT 1 FROM performers WHERE scene = ? AND person = ?", [scene["ref"], person["ref"]]
            ):
                raise ServiceError(
                    f"{person['name']} is a performer or the coordinator of scene {scene['ref']} "
                    "and stays approved; nothing was changed."
                )
            for each in zones_of(zone):
                remove_approval(db, scene["ref"], person["ref"], str(each), by, kiosk)


def approved_list(db: Store, ref: str) -> list[ApprovedPerson]:
    scene = get_scene(db, ref)
    return [
        ApprovedPerson(**{**row, "temporary": bool(row["temporary"])})
        for row in many(
            db,
            """
        SELECT p.ref, p.name, p.department, p.role, p.kind, a.zone, a.approved_by, a.approved_at, a.temporary
        FROM approvals a JOIN people p ON p.ref = a.person
        WHERE a.scene = ? ORDER BY p.name COLLATE NOCASE, a.zone""",
            [scene["ref"]],
        )
    ]


def list_scenes(db: Store) -> list[SceneSummary]:
    return [
        SceneSummary(**row)
        for row in many(
            db,
            """
        SELECT s.ref, s.title, s.location, s.date, COALESCE(t.state, 'draft') AS state, c.name AS coordinator,
               (SELECT COUNT(DISTINCT person) FROM approvals a WHERE a.scene = s.ref) AS approved
        FROM scenes s LEFT JOIN scene_states t ON t.scene = s.ref LEFT JOIN people c ON c.ref = s.coordinator
        ORDER BY s.ref""",
        )
    ]


def show_scene(db: Store, ref: str) -> dict:
    scene = get_scene(db, ref)
    coordinator = one(db, "SELECT ref, name FROM people WHERE ref = ?", [scene["coordinator"]])
    performers = many(
        db,
        """SELECT p.ref, p.name FROM performers f JOIN people p ON p.ref = f.person
                             WHERE f.scene = ? ORDER BY p.name""",
        [scene["ref"]],
    )
    return {
        "ref": scene["ref"],
        "title": scene["title"],
        "location": scene["location"],
        "date": scene["date"],
        "state": scene["state"],
        "run": scene["run"],
        "coordinator": coordinator,
        "performers": performers,
        "approved": approved_list(db, ref),
        "inside": inside(db, [scene]),
    }


def _refuse_unready(db: Store, scene: dict) -> dict:
    """A set opens only when its checklist is met (as the log says), where the production requires it: else
    refused, naming what is missing.  Where it does not (``readiness.required`` off), the set opens and the
    state change names the items outstanding, for every report.  Returns that detail for the state change."""
    missing = readiness.outstanding(db, scene)
    if missing and readiness.required(db):
        raise NotReady(
            f"Scene {scene['ref']} is not ready to open: {readiness.outstanding_words(missing)}. "
            "Nothing was changed; the supervisor may open it anyway with the reason "
            "(--override REASON and the PIN), and the report will say so."
        )
    return {"outstanding": readiness.outstanding_detail(missing)} if missing else {}


def _refuse_without_ic(db: Store, scene: dict) -> None:
    """A hold that waits for the IC ends only when the IC is here (or every performer chose to work without)."""
    held = record.rows_from_log(db, "scene_states", rules.state_key(scene["ref"]))
    if held and held[0]["waiting_for"] == "ic" and (missing := presence.ic_missing(db, scene["ref"])):
        raise ServiceError(f"The set stays on hold until its IC is here: {missing}")


def set_state(db: Store, ref: str, state: SceneState, kiosk: str) -> dict:
    """Open the closed set, or switch between open, rolling and hold.  Lifting is ``lift``; a lifted set opens
    again only by ``reopen``.  A set opens only when its checklist is met (``open_scene`` overrides that with
    the supervisor PIN); a hold that waits for the IC ends only once the IC is here."""
    state = SceneState(state)
    if state is SceneState.LIFTED:
        raise ServiceError("Use lift (`kiosk scene close`) to lift the closed set.")
    if state is SceneState.DRAFT:
        raise ServiceError("A scene cannot go back to draft.")
    with write(db):
        scene = get_scene(db, ref)
        if scene["state"] == state:
            return scene
        if scene["state"] == SceneState.LIFTED:
            raise ServiceError(
                f"The closed set of scene {scene['ref']} was lifted. Reopening it is a new run "
                "of the closed set: the supervisor reopens it, saying who and why "
                f"(`kiosk scene reopen {scene['ref']} --by NAME --reason WHY`)."
            )
        if state is not SceneState.OPEN and scene["state"] not in ACTIVE_STATES:
            raise ServiceError(f"Scene {scene['ref']} is {scene['state']}: open it first.")
        detail = {}
        if scene["state"] == SceneState.DRAFT:
            detail = _refuse_unready(db, scene)
        elif scene["state"] == SceneState.HOLD:
            _refuse_without_ic(db, scene)
        change_state(db, scene, state, kiosk, detail=detail)
        return get_scene(db, ref)


class NotReady(ServiceError):
    """The set's checklist is not met: it was not opened."""


def open_scene(db: Store, ref: str, kiosk: str, override: str | None = None, pin: str | None = None) -> dict:
    """Put the closed set in force.  With ``override`` (the reason) and the supervisor PIN it opens with items
    outstanding, and the record - and every report - says which, and why."""
    if override is None:
        return set_state(db, ref, SceneState.OPEN, kiosk)
    why = checked(text.line, override, "reason for opening with items outstanding")
    if not why:
        raise ServiceError("Say why the set opens with items outstanding: the report prints it.")
    check_pin(db, pin or "", kiosk)  # counted, then checked, before anything else is read
    with write(db):
        scene = get_scene(db, ref)
        if scene["state"] != SceneState.DRAFT:
            raise ServiceError(f"Scene {scene['ref']} is {scene['state']}, not waiting to open.")
        missing = readiness.outstanding(db, scene)
        change_state(
            db,
            scene,
            SceneState.OPEN,
            kiosk,
            detail={}
            if not missing
            else {"by": "supervisor", "why": why, "outstanding": readiness.outstanding_detail(missing)},
        )
        return get_scene(db, ref)


def reopen(db: Store, ref: str, by: str, why: str, kiosk: str) -> dict:
    """Put a lifted closed set back in force: a deliberate, recorded act that starts a new run, when its
    checklist is met again (the IC, swept out at the lift, scans in again).

    The last run's temporary approvals ended at its lift; the next lift opens new check-ins.
    """
    by, why = checked(text.line, by, "name of who reopens"), checked(text.line, why, "reason")
    if not by or not why:
        raise ServiceError("Reopening a lifted closed set needs who reopens it and why.")
    with write(db):
        scene = get_scene(db, ref)
        if scene["state"] != SceneState.LIFTED:
            raise ServiceError(f"Scene {scene['ref']} is {scene['state']}, not lifted: there is nothing to reopen.")
        outstanding = _refuse_unready(db, scene)
        # one from a run lifted by the first release, or left by a table edit: the log decides which
        end_temporaries(db, scene["ref"], by, kiosk, why="a temporary approval ends with its run")
        change_state(
            db, scene, SceneState.OPEN, kiosk, run=scene["run"] + 1, detail={"by": by, "why": why, **outstanding}
        )
        return get_scene(db, ref)


def change_state(
    db: Store, scene: dict, state: SceneState, kiosk: str, run: int | None = None, detail: dict | None = None
) -> None:
    """Record a change of the set's state (inside the caller's write); ``run`` starts a new run of the set."""
    record.record(
        db,
        kiosk,
        rules.SCENE_STATE,
        rules.state_key(scene["ref"]),
        {
            "scene": scene["ref"],
            "from": scene["state"],
            "to": str(state),
            "run": scene["run"] if run is None else run,
            **(detail or {}),
        },
    )


def active_scenes(db: Store) -> list[dict]:
    marks = ", ".join("?" * len(ACTIVE_STATES))
    return many(db, f"{SCENE} WHERE t.state IN ({marks}) ORDER BY s.ref", [str(state) for state in ACTIVE_STATES])
