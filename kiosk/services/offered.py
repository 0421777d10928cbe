"""Check-ins for everyone who was inside: an IC "isn't just there for the lead actors".  At the lift, each
performer gets a pending check-in (``checkins.open_pending``) and everyone else who was let into the set or the
monitors during the run - the crew, the person playing opposite - is *offered* one: theirs to take up, never
overdue.  The IC records it like any other check-in, or closes it as not needed.  What is said stays sealed."""

from __future__ import annotations

from kiosk.core import record as events
from kiosk.core.door import Decision
from kiosk.services import ServiceError, checkins
from kiosk.services.ic_session import ICSession
from kiosk.store.db import Store, write


def were_inside(db: Store, scene: dict) -> list[str]:
    """Everyone let in (by badge or by name) during the scene's current run, but its performers and its IC."""
    return [
        person
        for (person,) in db.execute(
            "SELECT DISTINCT person FROM events WHERE scene = ? AND decision = ? AND person IS NOT NULL "
            "AND json_extract(payload, '$.body.run') = ? AND person NOT IN (SELECT person FROM performers "
            "WHERE scene = ?) AND person IS NOT ? ORDER BY person",
            [scene["ref"], str(Decision.ADMIT), scene["run"], scene["ref"], scene["coordinator"]],
        )
    ]


def open_offered(db: Store, scene: dict, kiosk: str) -> int:
    """An offered check-in for each person who was inside and has none for this run; inside the lift."""
    have = {
        person
        for (person,) in db.execute(
            "SELECT person FROM checkins WHERE scene = ? AND run = ?", [scene["ref"], scene["run"]]
        )
    }
    people = [person for person in were_inside(db, scene) if person not in have]
    for person in people:
        checkins._open_one(db, scene, person, kiosk, by="lift", offered=True)
    return len(people)


def offered_names(db: Store, scene: dict) -> list[str]:
    """Who has an offered check-in still open for ``scene``: names only, as the lift shows the AD."""
    return [
        name
        for (name,) in db.execute(
            "SELECT p.name FROM checkins c JOIN people p ON p.ref = c.person WHERE c.scene = ? "
            "AND c.status = 'pending' AND c.offered = 1 ORDER BY p.name COLLATE NOCASE",
            [scene["ref"]],
        )
    ]


def close_not_needed(session: ICSession, scene_ref: str, person: str) -> checkins.ICCheckin:
    """The IC closes an offered check-in: not needed (the production sees it as done)."""
    db = session.db
    with write(db):
        session.key()
        row = checkins._existing(db, scene_ref, person)
        if not row["offered"]:
            raise ServiceError(
                f"{row['name']} is a performer of scene {row['scene']}: their check-in is not "
                "closed as not needed - record it (declining is a respected answer)."
            )
        if row["status"] != "pending":
            raise ServiceError(f"The check-in of {row['name']} for scene {row['scene']} is recorded already.")
        checkins.change(db, session.kiosk, events.CHECKIN_CLOSED, row, by=session.reader)
        return checkins._ic_row(checkins._row(db, row["source_key"]))
