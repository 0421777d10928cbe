"""The door's facts checked against the log, at scan time: no edited table admits anyone.

A scan that would admit depends on three table rows: the badge is active, the person is approved for the zone,
the set is open.  Each row names the event that decided it (``set_by``).  Here that event must be the latest of
its key in the log, must imply the row, and must be intact (its payload hashes to its hash, and the next row
chains from it); when it is not the latest or does not imply the row itself (two machines changed the key
without seeing each other), the key's events are folded again and must make the row.  A row added, restored or
changed with ``sqlite3`` fails one of these, and the scan is refused for a record mismatch.
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk.core import projection
from kiosk.core import record as rules
from kiosk.core.events import Event
from kiosk.errors import StoreError
from kiosk.store import record
from kiosk.store.db import Store
from kiosk.store.ledger import DAMAGED
from kiosk.store.queries import setting


def _agrees(
    db: Store,
    latest: tuple[record.Stored, bool] | None,
    key: str,
    set_by: int | None,
    implies: Callable[[Event], bool],
    made: Callable[[list[dict]], bool],
) -> bool:
    if latest is None or set_by is None or not latest[1]:
        return False
    if latest[0].id == set_by and implies(latest[0].event):
        return True
    # Not the latest, or the latest changed another of the key's rows (a revocation of a person's old badge
    # made on a kiosk that had not seen the new one): the key's events must make the row.
    folded = record.fold_from_log(db, key)
    stored = {item.event.id: item.id for item in record.events_of(db, key)}
    return (
        folded.winner is not None
        and stored.get(folded.winner.id) == set_by
        and made(folded.rows.get(projection.FAMILY_TABLES[projection.family(key)], []))
    )


def mismatches(
    db: Store,
    scene: dict,
    person: str,
    zone: str,
    badge: dict | None,
    approval: dict | None,
    check_approval: bool = True,
) -> list[str]:
    """Which of an admission's facts the log does not bear out (empty: all do).  ``badge`` None: admitted by
    name, with no badge to check; ``check_approval`` False: the approval is granted in this transaction.
    A door's scan keeps the answer when all hold (``kiosk.store.memo``: until anything else changes the file)."""
    asked = (
        scene["ref"],
        scene["state"],
        scene["state_set_by"],
        person,
        zone,
        badge and badge["digest"],
        badge and badge["set_by"],
        approval and approval["set_by"],
        approval and approval["temporary"],
        check_approval,
    )
    if db.memo.get(("facts hold", *asked), lambda: False):
        return []
    found = _mismatches(db, scene, person, zone, badge, approval, check_approval)
    if not found:
        db.memo.put(("facts hold", *asked), True)
    return found


def _mismatches(
    db: Store, scene: dict, person: str, zone: str, badge: dict | None, approval: dict | None, check_approval: bool
) -> list[str]:
    badge_key = rules.badges_key(person)
    approval_key = rules.approval_key(scene["ref"], person, zone)
    state_key = rules.state_key(scene["ref"])
    latest = record.latest_intact(db, (badge_key, approval_key, state_key))
    found = []
    if badge is not None and not _agrees(
        db,
        latest.get(badge_key),
        badge_key,
        badge["set_by"],
        lambda event: event.type == rules.BADGE_ISSUED and event.body["digest"] == badge["digest"],
        lambda rows: any(row["digest"] == badge["digest"] and row["status"] == "active" for row in rows),
    ):
        found.append("badge")
    if check_approval and (
        approval is None
        or not _agrees(
            db,
            latest.get(approval_key),
            approval_key,
            approval["set_by"],
            # the temporary flag is a fact too: a temporary (E) approval made permanent would outlive the lift
            lambda event: event.type == rules.APPROVED and bool(event.body["temporary"]) == bool(approval["temporary"]),
            lambda rows: any(bool(row["temporary"]) == bool(approval["temporary"]) for row in rows),
        )
    ):
        found.append("approval")
    if not _agrees(
        db,
        latest.get(state_key),
        state_key,
        scene["state_set_by"],
        lambda event: event.body["to"] == scene["state"],
        lambda rows: bool(rows) and rows[0]["state"] == scene["state"],
    ):
        found.append("scene state")
    return found


def on_record(db: Store, log_key: str, name: str, *, trust_log: bool = False) -> str | None:
    """The value of setting ``name`` as the events of ``log_key`` make it (a credential, the duplicate window):
    what the door and the PIN check use, never the table's copy alone.  When the settings table says otherwise
    (edited with ``sqlite3``) the record is damaged: ``StoreError``, unless ``trust_log`` (the supervisor's
    rebuild, which repairs the table from the log)."""
    folded = record.fold_from_log(db, log_key)
    logged = {row["key"]: row["value"] for row in folded.rows.get("settings", [])}.get(name)
    if not trust_log and setting(db, name) != logged:
        raise StoreError(
            DAMAGED.format(
                what=f"the {name.replace('_', ' ')} in the settings table is not the one the "
                "log holds (the table was edited)"
            )
        )
    return logged
