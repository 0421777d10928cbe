"""The performers know who will be there: each acknowledges the approved list before the set opens, anyone
added after that is flagged until the IC records that the performers were told and agreed, and a performer's
objection takes the person off the list (and out of the set, if inside).

Every step is a door fact in the log.  An acknowledgement names the approvals it covered by the events that
granted them, so "who have the performers not been told of" is exact on every machine: an approval granted
after a performer's acknowledgement (an approval, an escalation at the door, someone taken off and put back)
is one they have not seen.  Who objected is not recorded, only that a performer did and who wrote it down: an
actor "cannot realistically say no" to someone with power over their career, and nobody is singled out for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk.core import protocol, text
from kiosk.core import record as rules
from kiosk.core.door import Decision, Reason, is_intimacy_coordinator
from kiosk.services import ServiceError, checked, now
from kiosk.services.lookup import get_scene, inside, resolve_person
from kiosk.services.scenes import remove_approval
from kiosk.store import queries, record
from kiosk.store.db import Store, write
from kiosk.store.queries import latest_facts, many

if TYPE_CHECKING:
    from kiosk.services.ic_session import ICSession


@dataclass(frozen=True)
class Unseen:
    """Someone on the list the performers have not all been told of."""

    ref: str
    name: str
    zones: tuple[str, ...]
    approved_by: str


@dataclass(frozen=True)
class PerformerAck:
    ref: str
    name: str
    at: str | None  # their latest acknowledgement (None: not yet)
    by: str | None
    for_them: bool = False  # recorded for them (by the IC, or the AD at the door)


@dataclass(frozen=True)
class AgreedList:
    """What the performers were told of the approved list: who acknowledged it, and who is not yet told."""

    scene: str
    performers: tuple[PerformerAck, ...]
    not_told: tuple[Unseen, ...]


def _grants(db: Store, scene: str) -> dict[str, frozenset[str]]:
    """Each approved person's approvals, by the event that granted each (the head of its key)."""
    grants: dict[str, set[str]] = {}
    for person, event_id in db.execute(
        "SELECT a.person, h.event_id FROM approvals a JOIN heads h ON h.key = a.source_key WHERE a.scene = ?", [scene]
    ):
        grants.setdefault(person, set()).add(event_id)
    return {person: frozenset(ids) for person, ids in grants.items()}


def _performers(db: Store, scene: str) -> list[dict]:
    return many(
        db,
        "SELECT p.ref, p.name FROM performers f JOIN people p ON p.ref = f.person WHERE f.scene = ? "
        "ORDER BY p.name COLLATE NOCASE",
        [scene],
    )


def agreed_list(db: Store, ref: str) -> AgreedList:
    scene = get_scene(db, ref)
    acks = {body["person"]: body for body in latest_facts(db, f"ack/{scene['ref']}").values()}
    told = frozenset(grant for body in latest_facts(db, f"told/{scene['ref']}").values() for grant in body["covers"])
    cast = _performers(db, scene["ref"])
    missing = protocol.not_told(
        _grants(db, scene["ref"]),
        {ref: frozenset(body["covers"]) for ref, body in acks.items()},
        told,
        [row["ref"] for row in cast],
        [scene["coordinator"]] if scene["coordinator"] else [],
    )
    unseen = []
    for person in missing:
        rows = many(
            db,
            "SELECT a.zone, a.approved_by, p.name FROM approvals a JOIN people p ON p.ref = a.person "
            "WHERE a.scene = ? AND a.person = ? ORDER BY a.zone",
            [scene["ref"], person],
        )
        unseen.append(Unseen(person, rows[0]["name"], tuple(row["zone"] for row in rows), rows[0]["approved_by"]))
    return AgreedList(
        scene["ref"],
        tuple(
            PerformerAck(
                row["ref"],
                row["name"],
                acks[row["ref"]]["at"],
                acks[row["ref"]]["by"],
                bool(acks[row["ref"]]["for_them"]),
            )
            if row["ref"] in acks
            else PerformerAck(row["ref"], row["name"], None, None)
            for row in cast
        ),
        tuple(sorted(unseen, key=lambda one: one.name.casefold())),
    )


def _by(by: str, what: str) -> str:
    by = checked(text.line, by, what)
    if not by:
        raise ServiceError(f"Say who records it ({what}).")
    return by


def acknowledge(db: Store, ref: str, performer: str, by: str, kiosk: str) -> AgreedList:
    """The performer has seen the approved list as it stands now.  ``by`` is who records it: the performer
    themselves, or the IC for them - and the record says which."""
    by = _by(by, "name of who records it")
    with write(db):
        scene = get_scene(db, ref)
        person = resolve_person(db, performer)
        if person["ref"] not in {row["ref"] for row in _performers(db, scene["ref"])}:
            raise ServiceError(f"{person['name']} is not a performer of scene {scene['ref']}.")
        try:
            for_them = resolve_person(db, by)["ref"] != person["ref"]
        except ServiceError:
            for_them = True  # a name that is not the performer's
        grants = _grants(db, scene["ref"])
        record.append(
            db,
            kiosk,
            rules.LIST_ACK,
            rules.ack_key(scene["ref"], person["ref"]),
            {
                "scene": scene["ref"],
                "person": person["ref"],
                "by": by,
                "for_them": for_them,
                "covers": sorted(grant for ids in grants.values() for grant in ids),
                "people": sorted(grants),
            },
        )
    return agreed_list(db, ref)


def _coordinator(db: Store, scene: dict, by: str) -> dict:
    """The IC who records that the performers were told: the scene's own, or anyone whose role says IC."""
    ic = resolve_person(db, by)
    if ic["ref"] != scene["coordinator"] and not is_intimacy_coordinator(ic["role"]):
        raise ServiceError(
            f"{ic['name']} is not an intimacy coordinator: the IC records that the performers were told and agreed."
        )
    return ic


def told(db: Store, ref: str, person: str, by: str, kiosk: str) -> AgreedList:
    """The IC records that the performers were told ``person`` will be there, and agreed."""
    with write(db):
        scene = get_scene(db, ref)
        ic = _coordinator(db, scene, by)
        found = resolve_person(db, person)
        grants = _grants(db, scene["ref"]).get(found["ref"])
        if not grants:
            raise ServiceError(f"{found['name']} is not on the approved list of scene {scene['ref']}.")
        record.append(
            db,
            kiosk,
            rules.LIST_TOLD,
            rules.told_key(scene["ref"], found["ref"]),
            {
                "scene": scene["ref"],
                "person": found["ref"],
                "by": ic["name"],
                "ic": ic["ref"],
                "covers": sorted(grants),
            },
        )
    return agreed_list(db, ref)


def object_to(db: Store, ref: str, person: str, by: str, kiosk: str) -> list[str]:
    """A performer objects to ``person`` being there: taken off the list for both zones and, if inside, marked
    out (a door event).  No reason is asked.  Returns the zones they were marked out of."""
    by = _by(by, "name of who records the objection")
    with write(db):
        scene = get_scene(db, ref)
        found = resolve_person(db, person)
        if found["ref"] == scene["coordinator"] or found["ref"] in {
            row["ref"] for row in _performers(db, scene["ref"])
        }:
            raise ServiceError(
                f"{found['name']} is a performer or the IC of scene {scene['ref']}: talk it through "
                "with the IC and the production (a performer may ask for another IC)."
            )
        if not queries.approvals_of(db, scene["ref"], found["ref"]):
            raise ServiceError(f"{found['name']} is not on the approved list of scene {scene['ref']}.")
        record.append(
            db,
            kiosk,
            rules.LIST_OBJECTION,
            rules.objection_key(scene["ref"], found["ref"]),
            {"scene": scene["ref"], "person": found["ref"], "by": by},
        )
        out = [row.zone for row in inside(db, [scene]) if row.ref == found["ref"]]
        for zone in out:
            record.append(
                db,
                kiosk,
                rules.OBJECTED_OUT,
                rules.presence_key(scene["ref"], found["ref"], zone),
                {
                    "scene": scene["ref"],
                    "run": scene["run"],
                    "zone": zone,
                    "person": found["ref"],
                    "decision": str(Decision.EXIT),
                    "reason": str(Reason.OBJECTED),
                    "by": by,
                },
                at=now(),
            )
        for zone in list(queries.approvals_of(db, scene["ref"], found["ref"])):
            remove_approval(db, scene["ref"], found["ref"], zone, by, kiosk, why="a performer objected")
        return out


# --- in IC mode: the IC records it, as the name IC mode was unlocked with -------------------------------------


def _the_ic(session: ICSession) -> str:
    """The ref of the IC whose session this is, checked to be a person on the list (inside a write)."""
    session.key()  # locked, or the passphrase changed since: refused
    try:
        return str(resolve_person(session.db, session.reader)["ref"])
    except ServiceError:
        raise ServiceError(
            f"IC mode was unlocked as {session.reader!r}, a name that is not one person on the list: "
            "lock IC mode (Escape) and unlock it with your name as the list has it."
        ) from None


def told_in_ic_mode(session: ICSession, ref: str, person: str) -> AgreedList:
    """IC mode: the performers were told ``person`` will be there, and agreed; recorded by the IC who unlocked."""
    with write(session.db):
        return told(session.db, ref, person, _the_ic(session), session.kiosk)


def acknowledge_in_ic_mode(session: ICSession, ref: str, performer: str) -> AgreedList:
    """IC mode: the IC records for ``performer`` that they have seen the approved list (the record says so)."""
    with write(session.db):
        session.key()
        return acknowledge(session.db, ref, performer, session.reader, session.kiosk)


def object_in_ic_mode(session: ICSession, ref: str, person: str) -> list[str]:
    """IC mode: a performer objects to ``person``; the IC writes it down (who objected is not recorded)."""
    with write(session.db):
        session.key()
        return object_to(session.db, ref, person, session.reader, session.kiosk)
