"""A scene's record as `kiosk log` and the door show it: every door event in full, the check-ins' events by who
and when alone."""

from __future__ import annotations

import json

from kiosk.core import record as rules
from kiosk.services.lookup import get_scene
from kiosk.store import queries
from kiosk.store.db import Store

CARE_RECORD = (
    rules.CHECKIN_OPENED,
    rules.CHECKIN_RECORDED,
    rules.CHECKIN_RESEALED,
    rules.CHECKIN_READ,
    rules.FOLLOW_UP_DONE,
    rules.CHECKIN_PURGED,
    rules.CHECKIN_CLOSED,
)  # in the scene's log: who, when


def _what(kind: str, body: dict, reason: str | None) -> str:
    """What a log row says, in a few words: a state change's new state, who approved, the reason."""
    if kind == "state":
        return f"{body.get('from')} -> {body.get('to')}"
    if kind in ("approve", "unapprove"):
        return f"by {body.get('by')}" + (" (temporary)" if body.get("temporary") else "")
    if kind == "policy_ack":
        return f"confirmed by {body.get('confirmed_by')}"
    return f"{reason or ''}: {body['why']}" if body.get("why") else reason or ""


def scene_log(db: Store, scene_ref: str, limit: int | None = None, newest_first: bool = False) -> list[dict]:
    """A scene's record, oldest first: the door's events in full, and the check-ins' events by who and when
    alone (what the IC recorded, even its status, stays out), with the person's name."""
    rows = queries.events_of_scene(
        db, get_scene(db, scene_ref)["ref"], limit, newest_first, types=(*rules.DOOR_RECORD, *CARE_RECORD)
    )
    shown = []
    for row in rows:
        body = json.loads(row.pop("payload"))["body"]
        door_event = row["type"] in rules.DOOR_RECORD
        kind = rules.DOOR_RECORD.get(row["type"], row["type"])
        shown.append(
            {
                "id": row["id"],
                "at": row["at"],
                "kiosk": row["device"],
                "kind": kind,
                "zone": row["zone"],
                "decision": row["decision"],
                "reason": row["reason"],
                "person_ref": row["person"],
                "person_name": row["person_name"],
                "raw": body.get("raw") if door_event else None,
                "to": body.get("to") if door_event else None,
                "by": body.get("by"),
                "what": _what(kind, body, row["reason"]) if door_event else "",
            }
        )
    return shown
