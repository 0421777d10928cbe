"""The lookups every service shares: the production, a person, a scene, who is inside.  Each raises
``ServiceError`` in words for the person at the kiosk when there is no such thing."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.errors import ServiceError, StoreError
from kiosk.store import queries
from kiosk.store.db import Store
from kiosk.store.ledger import DAMAGED
from kiosk.store.queries import many, one

DUPLICATE_WINDOW = 5.0  # seconds, until the production sets its own


def get_production(db: Store) -> dict:
    row = one(
        db,
        "SELECT name, created_at, (SELECT value FROM settings WHERE key = 'duplicate_window') "
        "AS duplicate_window FROM production",
    )  # one query: the door asks it at most scans
    if row is None:
        raise ServiceError("No production in this database yet - run `kiosk init --production NAME`.")
    window = row.pop("duplicate_window")
    try:
        seconds = float(window) if window is not None else DUPLICATE_WINDOW
    except ValueError:
        raise StoreError(
            DAMAGED.format(
                what=f"the duplicate window in the settings table is {window!r}, not a number (the table was edited)"
            )
        ) from None
    return {**row, "duplicate_window": seconds}


_PERSON = "SELECT ref, name, department, role, kind FROM people"


def get_person(db: Store, ref: str) -> dict:
    person = one(db, f"{_PERSON} WHERE ref = ?", [ref])
    if person is None:
        raise ServiceError(f"Nobody with the ref {ref!r}.")
    return person


def resolve_person(db: Store, text: str) -> dict:
    """A person named by ref, or by full name when exactly one person has it."""
    person = one(db, f"{_PERSON} WHERE ref = ?", [text.strip()])
    if person:
        return person
    matches = many(db, f"{_PERSON} WHERE name = ? COLLATE NOCASE", [text.strip()])
    if len(matches) == 1:
        return matches[0]
    if matches:
        refs = ", ".join(match["ref"] for match in matches)
        raise ServiceError(f"Several people are called {text!r} ({refs}); use the ref.")
    raise ServiceError(f"Nobody with the ref or name {text!r}.")


SCENE = """SELECT s.ref, s.title, s.location, s.date, s.coordinator, s.created_at,
                  COALESCE(t.state, 'draft') AS state, COALESCE(t.run, 1) AS run, t.set_by AS state_set_by,
                  t.waiting_for
           FROM scenes s LEFT JOIN scene_states t ON t.scene = s.ref"""


def get_scene(db: Store, ref: str) -> dict:
    scene = one(db, f"{SCENE} WHERE s.ref = ?", [ref.strip()])
    if scene is None:
        known = [row["ref"] for row in many(db, "SELECT ref FROM scenes ORDER BY ref LIMIT 13")]
        listed = (
            f"the scenes are {', '.join(known[:12])}{'...' if len(known) > 12 else ''}"
            if known
            else "it has no scenes yet"
        )
        raise ServiceError(f"No scene {ref.strip()!r} in this production: {listed}.")
    return scene


@dataclass(frozen=True)
class Inside:
    """Someone inside a zone of a scene now, and since when."""

    scene: str
    zone: str
    since: str
    ref: str
    name: str
    department: str
    role: str
    kind: str


def inside(db: Store, scenes: list[dict]) -> list[Inside]:
    """Everyone inside the given scenes now, by scene, oldest entry first."""
    return [Inside(**row) for row in queries.inside(db, [scene["ref"] for scene in scenes])]
