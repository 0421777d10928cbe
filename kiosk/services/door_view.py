"""What the door screen shows of its scene, read in one go: the state, who is inside, the last answers, and what
the closed-set protocol is waiting for (the IC, the performers told of someone, the checklist, the check-ins)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from kiosk.core.checkins import Completion
from kiosk.core.door import SceneState, reason_words
from kiosk.services import checkins, presence, readiness
from kiosk.services.agreed_list import AgreedList, agreed_list
from kiosk.services.door import DOOR_ANSWERS
from kiosk.services.lookup import SCENE, Inside, get_production
from kiosk.services.lookup import inside as inside_of
from kiosk.services.policy import PolicyDue, policy_due_at
from kiosk.services.scenes import active_scenes
from kiosk.store import queries, record
from kiosk.store.db import Store
from kiosk.store.queries import one


@dataclass(frozen=True)
class SceneAtDoor:
    """The scene a door guards, as its banner shows it."""

    ref: str
    title: str
    location: str
    state: str
    waiting_for_ic: bool = False  # on hold until the IC is here (a performer withdrew, or the IC left)


@dataclass(frozen=True)
class RecentScan:
    """One of the door's last answers."""

    at: str
    decision: str
    name: str | None  # None: nobody's badge (an unknown or misread code)
    words: str
    zone: str = ""
    reason: str = ""
    read: str = ""  # for nobody's badge: what was read, masked (never a code someone could type in)


@dataclass(frozen=True)
class Protocol:
    """What the closed-set protocol waits for at this door."""

    ic: str | None = None  # the IC's name (None: none assigned)
    ic_here: bool = False
    without_ic: bool = False  # every performer's own choice
    not_told: tuple[str, ...] = ()  # names of those the performers have not all been told of
    outstanding: int = 0  # required checklist items not met (what keeps a set from opening)


@dataclass(frozen=True)
class DoorView:
    """Everything the door screen shows about one scene, read in one go."""

    production: str
    scene: SceneAtDoor | None  # None: no scene chosen (or the one asked for is not in the production)
    inside: list[Inside]
    approved_people: int
    recent: list[RecentScan]
    checkins: Completion  # counts only, never what was said
    policy_due: list[PolicyDue] = field(default_factory=list)
    missing: str | None = None  # the scene ref asked for when the production has no such scene
    protocol: Protocol = field(default_factory=Protocol)
    photos: bool = False  # the production keeps photos: the door shows the badge owner's beside the answer

    @property
    def people_inside(self) -> int:
        """Heads inside: someone in both zones counts once."""
        return len({row.ref for row in self.inside})


def _protocol(db: Store, scene: dict) -> Protocol:
    ic = presence.coordinator(db, scene["ref"], record.rows_from_tables)
    name = one(db, "SELECT name FROM people WHERE ref = ?", [ic]) if ic else None
    return Protocol(
        name["name"] if name else ic,
        presence.ic_here(db, scene["ref"], ic) is not None,
        presence.without_ic(db, scene["ref"], record.rows_from_tables),
        tuple(unseen.name for unseen in agreed_list(db, scene["ref"]).not_told),
        len(readiness.checklist(db, scene["ref"]).outstanding),
    )


def door_view(db: Store, scene_ref: str | None, recent: int = 10) -> DoorView:
    """The door's screen for ``scene_ref``; with none chosen, for the one closed set in force if exactly one is.

    A ref the production does not have is no failure here: the view says so (``missing``), for the door to
    tell the AD to have the supervisor choose a scene.
    """
    photos = db.execute("SELECT 1 FROM photos LIMIT 1").fetchone() is not None
    if scene_ref is None:
        active = active_scenes(db)
        if len(active) != 1:
            return DoorView(get_production(db)["name"], None, [], 0, [], Completion(), photos=photos)
        scene = active[0]
    else:
        found = one(db, f"{SCENE} WHERE s.ref = ?", [scene_ref.strip()])
        if found is None:
            return DoorView(get_production(db)["name"], None, [], 0, [], Completion(), missing=scene_ref, photos=photos)
        scene = found
    approved = queries.count(db, "SELECT COUNT(DISTINCT person) FROM approvals WHERE scene = ?", [scene["ref"]])
    return DoorView(
        production=get_production(db)["name"],
        scene=SceneAtDoor(
            scene["ref"], scene["title"], scene["location"], scene["state"], scene["waiting_for"] == "ic"
        ),
        inside=inside_of(db, [scene]),
        approved_people=approved,
        recent=[
            RecentScan(
                row["at"],
                row["decision"],
                row["person_name"],
                reason_words(row["reason"], scene["ref"], row["zone"] or ""),
                row["zone"] or "",
                row["reason"] or "",
                "" if row["person_name"] else json.loads(row["payload"])["body"].get("raw") or "",
            )
            for row in queries.events_of_scene(
                db, scene["ref"], recent, newest_first=True, types=DOOR_ANSWERS, answers_only=True
            )
        ],
        checkins=checkins.completion(db, scene["ref"]),
        policy_due=policy_due_at(db, scene),
        protocol=_protocol(db, scene),
        photos=photos,
    )


@dataclass(frozen=True)
class ChecklistView:
    """What the door's checklist screen shows: the items, the performers' acknowledgements, and the approved
    list a performer acknowledges (names and zones, as it stands)."""

    checklist: readiness.SceneChecklist
    agreed: AgreedList
    approved: tuple[str, ...]  # "name (zone)"


def checklist_view(db: Store, scene_ref: str) -> ChecklistView:
    shown = readiness.checklist(db, scene_ref)
    approved = tuple(
        f"{row['name']} ({row['zone']})"
        for row in queries.many(
            db,
            "SELECT p.name, a.zone FROM approvals a JOIN people p ON p.ref = a.person WHERE a.scene = ? "
            "ORDER BY p.name COLLATE NOCASE, a.zone",
            [shown.scene],
        )
    )
    return ChecklistView(shown, agreed_list(db, scene_ref), approved)


def protocol_words(view: DoorView) -> str:
    """What the closed-set protocol waits for, most urgent first: the IC, the performers told, the checklist."""
    if view.scene is None:
        return ""
    protocol = view.protocol
    words = []
    if view.scene.waiting_for_ic:
        words.append("ON HOLD until the IC is here")
    elif protocol.without_ic:
        words.append("No IC: every performer's own choice (N withdraws)")
    if protocol.outstanding and view.scene.state in (SceneState.DRAFT, SceneState.LIFTED):
        words.append(f"Checklist (K): {protocol.outstanding} open")
    if protocol.not_told:
        words.append(f"Performers not yet told: {len(protocol.not_told)}")
    return "   ".join(words)


def policy_words(due: list[PolicyDue]) -> str:
    """The people still to confirm the device policy, for one line: the count first, then the names."""
    if not due:
        return ""
    return f"Policy to confirm (P): {len(due)} - " + ", ".join(person.name for person in due)
