"""The tables as a fold of the events of each key (the rules of each family: which event wins, what row it
makes).  Pure: no I/O.  What the events and keys are is ``kiosk.core.record``; how a key's events are ordered
and superseded (frontier, conflicts) is ``kiosk.core.fold``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from kiosk.core import record as rules
from kiosk.core.events import Event
from kiosk.core.fold import Conflict, Folded, Row, frontier, heads, later, same_body, toggle

KEYS = {  # each projected table and its key columns: how a row is named when tables are compared
    "production": ("id",),
    "settings": ("key",),
    "people": ("ref",),
    "badges": ("digest",),
    "scenes": ("ref",),
    "scene_states": ("scene",),
    "performers": ("scene", "person"),
    "approvals": ("scene", "person", "zone"),
    "checkins": ("scene", "run", "person"),
    "photos": ("person",),
    "checklist_items": ("item",),
    "readiness": ("scene", "item"),
    "riders": ("scene", "person"),
    "no_ic": ("scene", "person"),
}
BOOLEANS = ("temporary", "required", "removed", "offered")  # columns SQLite keeps as 0 and 1
TABLES = tuple(KEYS)


def _fold_production(events: Sequence[Event]) -> Folded:
    head, conflicts = heads(events, later, same_body)
    rows = [{"id": 1, "name": head.body["name"], "created_at": head.at}] if head else []
    return Folded({"production": rows}, head, conflicts)


def _fold_setting(events: Sequence[Event]) -> Folded:
    head, conflicts = heads(events, later, same_body)
    rows = [{"key": head.body["name"], "value": head.body["value"]}] if head and head.body["value"] is not None else []
    return Folded({"settings": rows}, head, conflicts)


def _fold_credential(events: Sequence[Event]) -> Folded:
    head, conflicts = heads(events, later, same_body)
    rows = [{"key": name, "value": value} for name, value in sorted(head.body["values"].items())] if head else []
    return Folded({"settings": rows}, head, conflicts)


def _replacing(table: str, fields: tuple[str, ...], stamp: str | None = None) -> Callable[[Sequence[Event]], Folded]:
    """The fold of a key a new event alone decides: one row, the winning event's ``fields`` (and its time as
    ``stamp``)."""

    def fold(events: Sequence[Event]) -> Folded:
        head, conflicts = heads(events, later, same_body)
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
        if event.type == rules.BADGE_ISSUED:
            if active is not None and last is not None and last.id not in event.parents:
                conflicts.append(
                    Conflict(
                        event.key,
                        event.id,
                        last.id,
                        f"two badges issued to {event.body['person']} on {last.device} and "
                        f"{event.device} without either seeing the other: the later one is valid",
                    )
                )
            if active is not None:
                badges[active].update(status="superseded", ended_at=event.at, end_reason="reissued")
            badges[digest] = {
                "digest": digest,
                "person": event.body["person"],
                "status": "active",
                "issued_at": event.at,
                "ended_at": None,
                "end_reason": None,
            }
            active = digest
        elif event.type == rules.BADGE_REVOKED and digest in badges and badges[digest]["status"] != "revoked":
            badges[digest].update(status="revoked", ended_at=event.at, end_reason=event.body["reason"])
            if active == digest:
                active = None
        last = event
    return Folded({"badges": list(badges.values())}, last, conflicts)


def _safer_state(first: Event, second: Event) -> Event:
    """Between two concurrent changes of a set's state, the one that lets fewer people pass: a lift above all,
    then a hold that waits for the IC (a performer withdrew their choice to work without one, or the IC left),
    then by rank."""
    return max(
        first,
        second,
        key=lambda event: (
            event.body["to"] == "lifted",
            bool(event.body.get("until")),
            rules.STATE_RANK[event.body["to"]],
            event.order,
        ),
    )


def _fold_state(events: Sequence[Event]) -> Folded:
    head, conflicts = heads(
        events, _safer_state, lambda a, b: (a.body["to"], a.body.get("until")) == (b.body["to"], b.body.get("until"))
    )
    rows = (
        [
            {
                "scene": head.body["scene"],
                "state": head.body["to"],
                "run": head.body["run"],
                "state_at": head.at,
                "waiting_for": head.body.get("until"),
            }
        ]
        if head
        else []
    )
    return Folded({"scene_states": rows}, head, conflicts)


def _approval_row(head: Event) -> Row:
    body = head.body
    return {
        "scene": body["scene"],
        "person": body["person"],
        "zone": body["zone"],
        "approved_by": body["by"],
        "approved_at": head.at,
        "temporary": bool(body["temporary"]),
    }


def _photo_row(head: Event) -> Row:
    body = head.body
    return {
        "person": body["person"],
        "digest": body["sealed"][0],
        "width": body["width"],
        "height": body["height"],
        "added_by": body["by"],
        "added_at": head.at,
    }


def _ready_row(head: Event) -> Row:
    return {
        "scene": head.body["scene"],
        "item": head.body["item"],
        "confirmed_by": head.body["by"],
        "confirmed_at": head.at,
    }


def _rider_row(head: Event) -> Row:
    return {
        "scene": head.body["scene"],
        "person": head.body["person"],
        "agreed_on": head.body["agreed_on"],
        "recorded_by": head.body["by"],
        "recorded_at": head.at,
    }


def _no_ic_row(head: Event) -> Row:
    return {"scene": head.body["scene"], "person": head.body["person"], "chosen_at": head.at}


def _safer_item(first: Event, second: Event) -> Event:
    """Between concurrent changes of a checklist item, the one that asks more before a set opens: kept over
    removed, required over optional."""
    return max(first, second, key=lambda event: (not event.body["removed"], event.body["required"], event.order))


def _fold_checklist(events: Sequence[Event]) -> Folded:
    head, conflicts = heads(events, _safer_item, same_body)
    rows = (
        [
            {
                "item": head.body["item"],
                "words": head.body["words"],
                "required": bool(head.body["required"]),
                "removed": bool(head.body["removed"]),
                "changed_at": head.at,
            }
        ]
        if head
        else []
    )
    return Folded({"checklist_items": rows}, head, conflicts)


def _fold_checkin(events: Sequence[Event]) -> Folded:
    """A check-in's record, change by change; the last record wins, and an erasure stays erased."""
    row: Row | None = None
    conflicts = []
    last: Event | None = None
    for event in events:
        body = event.body
        if row is None:
            row = {
                "scene": body["scene"],
                "run": body["run"],
                "person": body["person"],
                "status": "pending",
                "offered": bool(body.get("offered")),
                "created_at": event.at,
                "updated_at": event.at,
                "checked_in_at": None,
                "follow_up_due": None,
                "follow_up_done_on": None,
                "notes_read_at": None,
                "purged_at": None,
                "sealed": None,
                "binding": None,
            }
        if event.type == rules.CHECKIN_RECORDED:
            if last is not None and last.type == rules.CHECKIN_RECORDED and last.id not in event.parents:
                conflicts.append(
                    Conflict(
                        event.key,
                        event.id,
                        last.id,
                        f"check-in recorded on {last.device} and {event.device} without either "
                        "seeing the other: the later record is kept",
                    )
                )
            row.update(
                status=body["status"],
                checked_in_at=event.at,
                updated_at=event.at,
                follow_up_due=body["follow_up_due"],
                follow_up_done_on=None,
                purged_at=None,
                sealed=body["sealed"],
                binding=body.get("binding"),
            )
        elif event.type == rules.CHECKIN_RESEALED and row["sealed"] is not None:
            row.update(sealed=body["sealed"], binding=body.get("binding"))
        elif event.type == rules.FOLLOW_UP_DONE:
            row.update(follow_up_done_on=body["on"], updated_at=event.at)
        elif event.type == rules.CHECKIN_READ:
            row["notes_read_at"] = event.at
        elif event.type == rules.CHECKIN_PURGED:
            row.update(sealed=None, purged_at=event.at)
        elif event.type == rules.CHECKIN_CLOSED and row["status"] == "pending":
            row.update(status="not-needed", checked_in_at=event.at, updated_at=event.at)
        last = event
    return Folded({"checkins": [row] if row else []}, last, conflicts)


FAMILY_TABLES = {  # which table each key's family writes
    "production": "production",
    "setting": "settings",
    "credential": "settings",
    "person": "people",
    "badges": "badges",
    "scene": "scenes",
    "state": "scene_states",
    "performer": "performers",
    "approval": "approvals",
    "checkin": "checkins",
    "photo": "photos",
    "checklist": "checklist_items",
    "ready": "readiness",
    "rider": "riders",
    "no_ic": "no_ic",
}
REPLACING = ("production", "setting", "credential", "person", "scene", "performer", "photo")  # a new event decides


def family(key: str) -> str:
    return key.split("/", 1)[0]


_FOLDS: dict[str, Callable[[Sequence[Event]], Folded]] = {
    "production": _fold_production,
    "setting": _fold_setting,
    "credential": _fold_credential,
    "person": _fold_person,
    "badges": _fold_badges,
    "scene": _fold_scene,
    "state": _fold_state,
    "performer": _fold_performer,
    "approval": toggle("approvals", rules.APPROVED, rules.UNAPPROVED, _approval_row),
    "checkin": _fold_checkin,
    "photo": toggle("photos", rules.PHOTO_SET, rules.PHOTO_REMOVED, _photo_row),
    "checklist": _fold_checklist,
    "ready": toggle("readiness", rules.READY, rules.NOT_READY, _ready_row),
    "rider": toggle("riders", rules.RIDER, rules.RIDER_REMOVED, _rider_row),
    "no_ic": toggle("no_ic", rules.NO_IC, rules.NO_IC_WITHDRAWN, _no_ic_row),
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
