"""A scene's intimacy coordinator: assigned, who may approve an escalation as the IC, and the hold when the IC
leaves a set in force."""

from __future__ import annotations

from kiosk.core import record as rules
from kiosk.core import text
from kiosk.core.door import ZONES, SceneState, is_intimacy_coordinator
from kiosk.services import ServiceError, checked, presence
from kiosk.services.lookup import get_scene, resolve_person
from kiosk.services.roster import Person
from kiosk.services.scenes import ACTIVE_STATES, change_state, grant, require_ic
from kiosk.store import record
from kiosk.store.db import Store, write
from kiosk.store.queries import many


def hold_for_ic(db: Store, scene: dict, kiosk: str, why: str) -> bool:
    """Put a set in force on hold until its IC is here (inside the caller's write); False when it is not in
    force (it will not open without the IC anyway)."""
    if scene["state"] not in ACTIVE_STATES:
        return False
    change_state(db, scene, SceneState.HOLD, kiosk, detail={"until": "ic", "why": why})
    return True


def after_exit(db: Store, scene: dict, person: str, zone: str, kiosk: str) -> bool:
    """When the scene's IC has just left the set while it is in force, the door goes on hold until they are back
    - unless every performer chose to work without an IC.  True when it did."""
    if (
        zone != "set"
        or scene["state"] != SceneState.OPEN
        or person != presence.coordinator(db, scene["ref"])  # the log's IC: a fold, asked only when it matters
        or presence.without_ic(db, scene["ref"])
    ):
        return False
    return hold_for_ic(db, scene, kiosk, "the IC left the set")


def assign_coordinator(db: Store, ref: str, person: str, by: str, kiosk: str) -> dict:
    """The scene's intimacy coordinator, assigned (or changed) after the scene was added; approved for both
    zones like the one named when it was added."""
    by = checked(text.line, by, "name of who assigns the IC")
    if not by:
        raise ServiceError("Say who assigns the IC (a name, for the record).")
    with write(db):
        scene = get_scene(db, ref)
        ic = resolve_person(db, person)
        if ic["ref"] != scene["coordinator"]:
            require_ic(ic)
        record.record(
            db,
            kiosk,
            rules.SCENE_IC,
            rules.scene_key(scene["ref"]),
            {
                **{name: scene[name] for name in ("ref", "title", "location", "date")},
                "coordinator": ic["ref"],
                "by": by,
            },
        )
        for zone in ZONES:
            grant(db, scene["ref"], ic["ref"], zone, "intimacy coordinator", kiosk)
        return get_scene(db, ref)


def coordinators(db: Store, ref: str, text: str = "") -> list[Person]:
    """Who may approve an escalation at this scene's door as the IC: its own coordinator first, then anyone
    whose role says intimacy coordinator; ``text`` narrows them (part of a name, ref or department)."""
    scene = get_scene(db, ref)
    wanted = text.strip().casefold()
    rows = many(
        db,
        "SELECT ref, name, department, role, kind FROM people ORDER BY ref = ? DESC, name COLLATE NOCASE",
        [scene["coordinator"]],
    )
    return [
        Person.from_row(row)
        for row in rows
        if (row["ref"] == scene["coordinator"] or is_intimacy_coordinator(row["role"]))
        and (not wanted or any(wanted in row[name].casefold() for name in ("name", "ref", "department")))
    ]
