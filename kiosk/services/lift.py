"""Lifting a closed set: the one place where the door, the approved list and the check-ins meet."""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.core import record as rules
from kiosk.core.door import Decision, Reason, SceneState
from kiosk.services import checkins, offered
from kiosk.services.lookup import Inside, get_scene, inside
from kiosk.services.scenes import change_state, end_temporaries
from kiosk.store import record
from kiosk.store.db import Store, write


@dataclass(frozen=True)
class Lifted:
    """What the lift did: who was still inside (now marked out), and whose check-in is pending."""

    swept: list[Inside]
    pending: list[str]  # names of people with a pending check-in for the scene: state only, never content
    already: bool = False  # the set was lifted before; nothing changed
    offered: list[str] = field(default_factory=list)  # names of those offered one (crew who were inside)


def lift(db: Store, ref: str, kiosk: str) -> Lifted:
    """Lift the closed set, in one transaction: everyone still inside is marked out, the temporary approvals
    of this run end, each performer gets a pending check-in for this run, and everyone else who was inside is
    offered one."""
    with write(db):
        scene = get_scene(db, ref)
        if scene["state"] == SceneState.LIFTED:
            return Lifted([], checkins.pending_names(db, scene), already=True, offered=offered.offered_names(db, scene))
        swept = inside(db, [scene])
        for person in swept:
            record.append(
                db,
                kiosk,
                rules.SWEEP,
                rules.presence_key(scene["ref"], person.ref, person.zone),
                {
                    "scene": scene["ref"],
                    "person": person.ref,
                    "zone": person.zone,
                    "decision": str(Decision.EXIT),
                    "reason": str(Reason.SWEPT),
                    "run": scene["run"],
                },
            )
        end_temporaries(
            db,
            scene["ref"],
            "lift",
            kiosk,  # chosen from the log, not the table's column
            why="a temporary approval ends when the closed set is lifted",
        )
        change_state(db, scene, SceneState.LIFTED, kiosk)
        checkins.open_pending(db, scene, kiosk)
        offered.open_offered(db, scene, kiosk)
        return Lifted(swept, checkins.pending_names(db, scene), offered=offered.offered_names(db, scene))
