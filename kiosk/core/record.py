"""What the record says: the kinds of events, the one thing each changes (its key), and the tables as a fold of
the events of each key.  Pure: no I/O.

The tables the door decides from (people, badges, scenes, performers, approvals, check-ins, settings) are
*projections*: each row is a function of the events of one key, whatever order they arrived in.  The events of
a key are taken in the one order every machine agrees on (``Event.order``: hybrid clock, device, sequence), and
each event supersedes the events its device had seen deciding the key (its ``parents``).  The events nothing
supersedes are the key's *frontier*: one event, unless changes were made without knowledge of each other
(offline, on two machines).  Then the rule of the key decides between them alike on every machine, the safer
answer winning where admission is at stake (a removed approval over a granted one, a lifted or rolling set
over an open one), and the conflict is kept so that reports can show it; the next change made after seeing
them all supersedes them all.

Door facts (scans, entries by lookup, sweeps, acknowledgements, PIN attempts) make no table row: they are read
from the log itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kiosk.core.events import Event

# --- event types ----------------------------------------------------------------------------------------------
PRODUCTION = "production.created"
SETTING = "setting.changed"
PERSON = "person.saved"
BADGE_ISSUED = "badge.issued"
BADGE_REVOKED = "badge.revoked"
SCENE = "scene.added"
SCENE_STATE = "scene.state"
PERFORMER = "performer.added"
APPROVED = "approval.granted"
UNAPPROVED = "approval.removed"
CREDENTIAL = "credential.set"
CHECKIN_OPENED = "checkin.opened"
CHECKIN_RECORDED = "checkin.recorded"
CHECKIN_RESEALED = "checkin.resealed"
CHECKIN_READ = "checkin.read"
FOLLOW_UP_DONE = "checkin.follow_up_done"
CHECKIN_PURGED = "checkin.purged"
SCAN = "door.scan"
BY_NAME = "door.by_name"  # the AD named the person (no badge): admitted, marked out or refused
SWEEP = "door.swept"
POLICY = "door.policy_acknowledged"
ATTEMPT = "secret.attempt"  # a PIN or passphrase try, recorded before it is checked
ATTEMPT_RESULT = "secret.result"
REBUILT = "audit.rebuilt"
MIGRATED = "record.migrated"
LEGACY = "record.legacy"  # a row of the first release's log, kept as it was
CLOCK = "sync.clock"  # a device's clock found off the hub's by more than two minutes at a sync (or back within)

# The door's record of a scene, by the names reports give its events (docs/report-json.md): nothing of a
# check-in, a secret or a setting is among them.
DOOR_RECORD = {SCENE: "scene_added", APPROVED: "approve", UNAPPROVED: "unapprove", SCENE_STATE: "state",
               POLICY: "policy_ack", SCAN: "scan", BY_NAME: "override", SWEEP: "sweep"}
STATE_RANK = {"draft": 0, "open": 1, "hold": 2, "rolling": 3, "lifted": 4}  # higher: fewer people may pass


# --- keys: the one thing an event changes ---------------------------------------------------------------------

def production_key() -> str:
    return "production"


def setting_key(name: str) -> str:
    return f"setting/{name}"


def person_key(ref: str) -> str:
    return f"person/{ref}"


def badges_key(ref: str) -> str:
    """All of one person's badges: issuing one supersedes the last, so they are one thing."""
    return f"badges/{ref}"


def scene_key(ref: str) -> str:
    return f"scene/{ref}"


def state_key(ref: str) -> str:
    return f"state/{ref}"


def performer_key(scene: str, ref: str) -> str:
    return f"performer/{scene}/{ref}"


def approval_key(scene: str, ref: str, zone: str) -> str:
    return f"approval/{scene}/{ref}/{zone}"


def credential_key(name: str) -> str:
    return f"credential/{name}"


def checkin_key(scene: str, run: int, ref: str) -> str:
    """One person's check-in after one run of a closed set (a set reopened and lifted again opens new ones)."""
    return f"checkin/{scene}/{run}/{ref}"


def presence_key(scene: str, ref: str | None, zone: str) -> str:
    """Where a person is; a refusal of nobody's badge is kept under the scene."""
    return f"presence/{scene}/{ref}/{zone}" if ref else f"refused/{scene}"


def policy_key(scene: str, ref: str) -> str:
    return f"policy/{scene}/{ref}"


def attempts_key(secret: str) -> str:
    return f"attempts/{secret}"


def clock_key(device: str) -> str:
    return f"clock/{device}"


# --- the fold -------------------------------------------------------------------------------------------------

Row = dict[str, Any]


@dataclass(frozen=True)
class Conflict:
    """Two changes of one thing made without knowledge of each other, and which one every machine kept."""

    key: str
    kept: str  # event id
    lost: str  # event id
    words: str


@dataclass
class Folded:
    """What one key's events make: rows per table, the event that decided them, and any conflicts."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    winner: Event | None = None
    conflicts: list[Conflict] = field(default_factory=list)
    frontier: tuple[str, ...] = ()  # the ids nothing supersedes: the parents of the key's next event


KEYS = {  # each projected table and its key columns: how a row is named when tables are compared
    "production": ("id",), "settings": ("key",), "people": ("ref",), "badges": ("digest",), "scenes": ("ref",),
    "scene_states": ("scene",), "performers": ("scene", "person"), "approvals": ("scene", "person", "zone"),
    "checkins": ("scene", "run", "person"),
}
TABLES = tuple(KEYS)


def frontier(events: Sequence[Event]) -> list[Event]:
    """The events of a key that no other event of it supersedes, in order."""
    seen = {parent for event in events for parent in event.parents}
    return [event for event in events if event.id not in seen]


def _heads(events: Sequence[Event], safer: Callable[[Event, Event], Event],
           same: Callable[[Event, Event], bool]) -> tuple[Event | None, list[Conflict]]:
    """The winning event of a key: the one event of its frontier, or between concurrent ones, ``safer``."""
    head: Event | None = None
    conflicts = []
    for event in frontier(events):
        if head is None:
            head = event
            continue
        kept = safer(head, event)
        if not same(head, event):
            lost = event if kept is head else head
            conflicts.append(Conflict(event.key, kept.id, lost.id,
                                      f"changed on {head.device} and {event.device} without either seeing the "
                                      f"other: kept the {kept.type} of {kept.device}"))
        head = kept
    return head, conflicts


def _later(first: Event, second: Event) -> Event:
    return max(first, second, key=lambda event: event.order)


def _same_body(first: Event, second: Event) -> bool:
    return first.type == second.type and first.body == second.body


def _fold_production(events: Sequence[Event]) -> Folded:
    head, conflicts = _heads(events, _later, _same_body)
    rows = [{"id": 1, "name": head.body["name"], "created_at": head.at}] if head else []
    return Folded({"production": rows}, head, conflicts)


def _fold_setting(events: Sequence[Event]) -> Folded:
    head, conflicts = _heads(events, _later, _same_body)
    rows = [{"key": head.body["name"], "value": head.body["value"]}] if head and head.body["value"] is not None else []
    return Folded({"settings": rows}, head, conflicts)


def _fold_credential(events: Sequence[Event]) -> Folded:
    head, conflicts = _heads(events, _later, _same_body)
    rows = [{"key": name, "value": value} for name, value in sorted(head.body["values"].items())] if head else []
    return Folded({"settings": rows}, head, conflicts)


def _replacing(table: str, fields: tuple[str, ...], stamp: str | None = None) -> Callable[[Sequence[Event]], Folded]:
    """The fold of a key a new event alone decides: one row, the winning event's ``fields`` (and its time as
    ``stamp``)."""
    def fold(events: Sequence[Event]) -> Folded:
        head, conflicts = _heads(events, _later, _same_body)
        rows = [{**{name: head.body[name] for name in fields}, **({stamp: head.at} if stamp else {})}] if head else []
        return Folded({table: rows}, head, conflicts)

    return fold


_fold_person = _replacing("people", ("ref", "name", "department", "role", "kind"), "updated_at")
_fold_scene = _replacing("scenes", ("ref", "title", "location", "date", "coordinator"), "created_at")
_fold_performer = _replacing("performers", ("scene", "person"))


def _fold_badges(events: Sequence[Event]) -> Folded:
    """A person's badges: the latest issued that is not revoked is the valid one; a revocation is final."""
    badges: dict[str, Row] = {}
    conflicts = []
    active: str | None = None
    last: Event | None = None
    for event in events:
        digest = event.body["digest"]
        if event.type == BADGE_ISSUED:
            if active is not None and last is not None and last.id not in event.parents:
                conflicts.append(Conflict(event.key, event.id, last.id,
                                          f"two badges issued to {event.body['person']} on {last.device} and "
                                          f"{event.device} without either seeing the other: the later one is valid"))
            if active is not None:
                badges[active].update(status="superseded", ended_at=event.at, end_reason="reissued")
            badges[digest] = {"digest": digest, "person": event.body["person"], "status": "active",
                              "issued_at": event.at, "ended_at": None, "end_reason": None}
            active = digest
        elif event.type == BADGE_REVOKED and digest in badges and badges[digest]["status"] != "revoked":
            badges[digest].update(status="revoked", ended_at=event.at, end_reason=event.body["reason"])
            if active == digest:
                active = None
        last = event
    return Folded({"badges": list(badges.values())}, last, conflicts)


def _safer_state(first: Event, second: Event) -> Event:
    """Between two concurrent changes of a set's state, the one that lets fewer people pass."""
    return max(first, second, key=lambda event: (STATE_RANK[event.body["to"]], event.order))


def _fold_state(events: Sequence[Event]) -> Folded:
    head, conflicts = _heads(events, _safer_state, lambda a, b: a.body["to"] == b.body["to"])
    rows = [{"scene": head.body["scene"], "state": head.body["to"], "run": head.body["run"],
             "state_at": head.at}] if head else []
    return Folded({"scene_states": rows}, head, conflicts)


def _safer_approval(first: Event, second: Event) -> Event:
    """A removal made concurrently with a grant wins: nobody is admitted on a disputed approval."""
    if (first.type == UNAPPROVED) != (second.type == UNAPPROVED):
        return first if first.type == UNAPPROVED else second
    return _later(first, second)


def _fold_approval(events: Sequence[Event]) -> Folded:
    head, conflicts = _heads(events, _safer_approval, lambda a, b: a.type == b.type)
    rows = []
    if head and head.type == APPROVED:
        body = head.body
        rows = [{"scene": body["scene"], "person": body["person"], "zone": body["zone"], "approved_by": body["by"],
                 "approved_at": head.at, "temporary": bool(body["temporary"])}]
    return Folded({"approvals": rows}, head, conflicts)


def _fold_checkin(events: Sequence[Event]) -> Folded:
    """A check-in's record, change by change; the last record wins, and an erasure stays erased."""
    row: Row | None = None
    conflicts = []
    last: Event | None = None
    for event in events:
        body = event.body
        if row is None:
            row = {"scene": body["scene"], "run": body["run"], "person": body["person"], "status": "pending",
                   "created_at": event.at,
                   "updated_at": event.at, "checked_in_at": None, "follow_up_due": None, "follow_up_done_on": None,
                   "notes_read_at": None, "purged_at": None, "sealed": None, "binding": None}
        if event.type == CHECKIN_RECORDED:
            if last is not None and last.type == CHECKIN_RECORDED and last.id not in event.parents:
                conflicts.append(Conflict(event.key, event.id, last.id,
                                          f"check-in recorded on {last.device} and {event.device} without either "
                                          "seeing the other: the later record is kept"))
            row.update(status=body["status"], checked_in_at=event.at, updated_at=event.at,
                       follow_up_due=body["follow_up_due"], follow_up_done_on=None, purged_at=None,
                       sealed=body["sealed"], binding=body.get("binding"))
        elif event.type == CHECKIN_RESEALED and row["sealed"] is not None:
            row.update(sealed=body["sealed"], binding=body.get("binding"))
        elif event.type == FOLLOW_UP_DONE:
            row.update(follow_up_done_on=body["on"], updated_at=event.at)
        elif event.type == CHECKIN_READ:
            row["notes_read_at"] = event.at
        elif event.type == CHECKIN_PURGED:
            row.update(sealed=None, purged_at=event.at)
        last = event
    return Folded({"checkins": [row] if row else []}, last, conflicts)


FAMILY_TABLES = {  # which table each key's family writes
    "production": "production", "setting": "settings", "credential": "settings", "person": "people",
    "badges": "badges", "scene": "scenes", "state": "scene_states", "performer": "performers",
    "approval": "approvals", "checkin": "checkins",
}
REPLACING = ("production", "setting", "credential", "person", "scene", "performer")  # a new event alone decides


def family(key: str) -> str:
    return key.split("/", 1)[0]


_FOLDS: dict[str, Callable[[Sequence[Event]], Folded]] = {
    "production": _fold_production, "setting": _fold_setting, "credential": _fold_credential,
    "person": _fold_person, "badges": _fold_badges, "scene": _fold_scene, "state": _fold_state,
    "performer": _fold_performer, "approval": _fold_approval, "checkin": _fold_checkin,
}


def projected(key: str) -> bool:
    """Whether the events of ``key`` make table rows (door facts and attempts do not)."""
    return family(key) in _FOLDS


def fold(key: str, events: Iterable[Event]) -> Folded:
    """The rows the events of ``key`` make, in whatever order the events are given."""
    ordered = sorted(events, key=lambda event: event.order)
    if not ordered:
        return Folded()
    folded = _FOLDS[family(key)](ordered)
    folded.frontier = tuple(sorted(event.id for event in frontier(ordered)))
    return folded
