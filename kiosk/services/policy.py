"""The device policy at a closed set ("no phones, no photos"): each person admitted acknowledges it, and the
door shows who still has to.  Read from the log, so it is per scene, survives a restart and is the same on every
kiosk."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.core import record as rules
from kiosk.core.door import SceneState
from kiosk.services.lookup import get_scene, resolve_person
from kiosk.store import queries, record
from kiosk.store.db import Store, write


def acknowledge_policy(db: Store, scene_ref: str, person_ref: str, by: str, kiosk: str) -> None:
    """Record that the person acknowledged "no phones, no photos" on entering this scene."""
    with write(db):
        scene = get_scene(db, scene_ref)
        person = resolve_person(db, person_ref)
        record.append(
            db,
            kiosk,
            rules.POLICY,
            rules.policy_key(scene["ref"], person["ref"]),
            {"scene": scene["ref"], "person": person["ref"], "policy": "no phones, no photos", "confirmed_by": by},
        )


def policy_acknowledged(db: Store, scene_ref: str, person_ref: str) -> bool:
    scene = get_scene(db, scene_ref)
    person = resolve_person(db, person_ref)
    return (
        db.execute(
            "SELECT 1 FROM events WHERE key = ? AND decision IS NULL", [rules.policy_key(scene["ref"], person["ref"])]
        ).fetchone()
        is not None
    )


@dataclass(frozen=True)
class PolicyDue:
    """Someone admitted to a scene who has not yet acknowledged "no phones, no photos" there."""

    ref: str
    name: str
    since: str  # their first admission since the closed set was last lifted


def policy_due_at(db: Store, scene: dict) -> list[PolicyDue]:
    if scene["state"] == SceneState.LIFTED:
        return []  # the lift ends the closed set, and with it what was left to confirm
    return [
        PolicyDue(row["ref"], row["name"], row["since"])
        for row in queries.policy_due(db, scene["ref"], scene["run"], rules.policy_key(scene["ref"], ""))
    ]


def policy_due(db: Store, scene_ref: str) -> list[PolicyDue]:
    """Who is still to acknowledge the device policy at this scene, oldest first.

    Read from the log (admissions without a ``policy_ack``), so it is per scene, survives a restart and is
    the same on every kiosk; it is empty once the closed set is lifted.
    """
    return policy_due_at(db, get_scene(db, scene_ref))
