"""Working without an intimacy coordinator: only by each performer's own choice, and theirs to withdraw.

The choice is made with the performer's own badge - its code, scanned at the kiosk or given to the command line
on standard input - after they are shown ``kiosk.core.protocol.NO_IC_PROMISE``: nobody can make it for them,
and nobody but a performer of the scene can make it at all.  A scene runs without an IC only while every one
of its performers' choices stands (``kiosk.core.protocol.without_ic``).  A performer withdraws it the same way,
at any time, without a reason: the set, if in force, goes on hold at once, until an IC is assigned and here.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.core import codes
from kiosk.core import record as rules
from kiosk.services import ServiceError, presence
from kiosk.services.lookup import get_scene
from kiosk.services.scene_ic import hold_for_ic
from kiosk.store import queries, record
from kiosk.store.db import Store, write


@dataclass(frozen=True)
class Performer:
    """The performer a badge belongs to, and where their choice stands."""

    scene: str
    ref: str
    name: str
    chose: bool  # their choice to work without an IC stands now


@dataclass(frozen=True)
class Choice:
    performer: Performer
    held: bool = False  # a withdrawal put the set on hold until an IC is here
    without_ic: bool = False  # the scene now runs without an IC (every performer chose it)


def _performer(db: Store, scene: dict, code: str) -> Performer:
    """Whose badge ``code`` is - a valid badge of a performer of ``scene`` - or ``ServiceError``."""
    parsed = codes.parse(code)
    badge = queries.badge_holder(db, codes.digest(parsed.code)) if parsed.code else None
    if badge is None or badge["status"] != "active":
        raise ServiceError("That is not a valid badge of this production: the performer scans their own badge.")
    if badge["person"] not in presence.performers(db, scene["ref"]):
        raise ServiceError(
            f"{badge['name']} is not a performer of scene {scene['ref']}: only the performers "
            "choose whether the scene runs without an IC."
        )
    return Performer(
        scene["ref"], badge["person"], badge["name"], badge["person"] in presence.chose_without_ic(db, scene["ref"])
    )


def identify(db: Store, ref: str, code: str) -> Performer:
    """Who is choosing: read before the confirmation screen is shown (nothing is recorded)."""
    return _performer(db, get_scene(db, ref), code)


def choose(db: Store, ref: str, code: str, kiosk: str, withdraw: bool = False) -> Choice:
    """Record the performer's own choice (their badge ``code``) to work without an IC, or its withdrawal."""
    with write(db):
        scene = get_scene(db, ref)
        performer = _performer(db, scene, code)
        if performer.chose != withdraw:
            state = "is not in place: there is nothing to withdraw" if withdraw else "is recorded already"
            raise ServiceError(f"{performer.name}: your choice to work without an IC {state}.")
        badge = codes.digest(str(codes.parse(code).code))  # a valid badge's: ``_performer`` checked it
        record.record(
            db,
            kiosk,
            rules.NO_IC_WITHDRAWN if withdraw else rules.NO_IC,
            rules.no_ic_key(scene["ref"], performer.ref),
            {"scene": scene["ref"], "person": performer.ref, "badge": badge},
        )
        held = withdraw and hold_for_ic(db, scene, kiosk, "a performer withdrew their choice to work without an IC")
        return Choice(
            Performer(scene["ref"], performer.ref, performer.name, not withdraw),
            held,
            presence.without_ic(db, scene["ref"]),
        )


def choices(db: Store, ref: str) -> list[Performer]:
    """Each performer of the scene, and whether their choice to work without an IC stands (tables, to show)."""
    scene = get_scene(db, ref)
    chose = set(presence.chose_without_ic(db, scene["ref"], record.rows_from_tables))
    return [
        Performer(scene["ref"], row["ref"], row["name"], row["ref"] in chose)
        for row in queries.many(
            db,
            "SELECT p.ref, p.name FROM performers f JOIN people p ON p.ref = f.person WHERE f.scene = ? "
            "ORDER BY p.name COLLATE NOCASE",
            [scene["ref"]],
        )
    ]
