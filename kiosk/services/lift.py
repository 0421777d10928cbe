"""Lifting a closed set: the one place where the door, the approved list and the check-ins meet."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.core.door import Decision, Reason, SceneState
from kiosk.services import checkins, now
from kiosk.services.lookup import Inside, get_scene, inside
from kiosk.services.scenes import change_state
from kiosk.store import log, queries
from kiosk.store.db import Store, write


@dataclass(frozen=True)
class Lifted:
    """What the lift did: who was still inside (now marked out), and whose check-in is pending."""

    swept: list[Inside]
    pending: list[str]  # names of people with a pending check-in for the scene: state only, never content
    already: bool = False  # the set was lifted before; nothing changed


def lift(db: Store, ref: str, kiosk: str) -> Lifted:
    """Lift the closed set: everyone still inside is marked out, and each performer gets a pending check-in,
    in one transaction."""
    with write(db):
        scene = get_scene(db, ref)
        if scene["state"] == SceneState.LIFTED:
            return Lifted([], checkins.pending_names(db, scene), already=True)
        at = now()
        swept = inside(db, [scene])
        for row in queries.inside(db, [scene["id"]]):
            log.append(db, at=at, kiosk=kiosk, kind="sweep", scene_id=scene["id"], person_id=row["person_id"],
                       zone=row["zone"], decision=str(Decision.EXIT), reason=str(Reason.SWEPT))
        change_state(db, scene, SceneState.LIFTED, kiosk, at)
        checkins.open_pending(db, scene, kiosk, at)
        return Lifted(swept, checkins.pending_names(db, scene))
