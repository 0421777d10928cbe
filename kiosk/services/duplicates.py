"""The same badge again within the duplicate window: the earlier answer, but only when a fresh decision would
give it too.

A scanner often reads one badge twice; the second read is the same scan and returns the earlier verdict
instead of recording an exit.  Nothing here takes a table's word for it: the window is the log's setting,
bounded as ``kiosk init`` bounds it; what changed since is asked of the log itself (the keys that decide the
answer, and the entries and exits recorded by name); and an earlier admission is returned only if the facts,
checked against the log (``kiosk.services.facts``), admit now.
"""

from __future__ import annotations

import dataclasses
import json
import math

from kiosk.core import record as rules
from kiosk.core.door import Decision, DoorFacts, decide, is_duplicate, within_window
from kiosk.services import seconds_between
from kiosk.services.facts import mismatches, on_record
from kiosk.services.lookup import DUPLICATE_WINDOW
from kiosk.store.db import Store

DUPLICATE_WINDOW_MAX = 60.0  # seconds: a scanner's double read is over in a second; a minute is plenty


def window(db: Store) -> float:
    """The duplicate window as the log sets it; 0 (no duplicates) for a value out of the bounds init keeps."""
    value = db.memo.get(
        "duplicate window",
        lambda: on_record(db, rules.setting_key("duplicate_window"), "duplicate_window", trust_log=True),
    )
    try:
        seconds = float(value) if value is not None else DUPLICATE_WINDOW
    except ValueError:
        return 0.0
    return seconds if math.isfinite(seconds) and 0 <= seconds <= DUPLICATE_WINDOW_MAX else 0.0


def changed_since(db: Store, event_id: int, scene: str, person: str) -> bool:
    """Whether anything that decides this person's answer at this scene was recorded after local row
    ``event_id``: the set's state, their approvals, their badges, or an entry or exit by name (the AD's lookup,
    an escalation, a sweep).  Read from the log's own rows, not from the ``heads`` table."""
    keys = [
        rules.state_key(scene),
        rules.badges_key(person),
        rules.approval_key(scene, person, "set"),
        rules.approval_key(scene, person, "monitors"),
    ]
    if db.execute(
        "SELECT 1 FROM events WHERE key IN (?, ?, ?, ?) AND decision IS NULL AND id > ? LIMIT 1", [*keys, event_id]
    ).fetchone():
        return True
    return (
        db.execute(
            "SELECT 1 FROM events WHERE scene = ? AND person = ? AND decision IS NOT NULL "
            "AND type != ? AND id > ? LIMIT 1",
            [scene, person, rules.SCAN, event_id],
        ).fetchone()
        is not None
    )


def earlier_answer(
    db: Store, last: dict, at: str, scene: dict, badge: dict, facts: DoorFacts, approvals: dict
) -> dict | None:
    """The body of the earlier scan ``last`` (of this badge at this door) when this read is a double read of
    it; None when it is a new scan."""
    since, seconds = seconds_between(last["at"], at), window(db)
    if not within_window(since, seconds) or not is_duplicate(
        since, seconds, changed_since(db, last["id"], scene["ref"], badge["person"])
    ):
        return None
    body: dict = json.loads(last["payload"])["body"]
    if body.get("decision") == Decision.ADMIT:  # it must admit now, as a fresh scan from outside would
        fresh = decide(dataclasses.replace(facts, inside=False))
        if fresh.decision is not Decision.ADMIT or mismatches(
            db, scene, badge["person"], str(facts.zone), badge, approvals.get(facts.zone)
        ):
            return None
    return body
