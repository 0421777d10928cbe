"""Whether a scene's intimacy coordinator (IC) is here, and whether the scene runs without one by every
performer's own choice: the two facts the door waits for before it opens, and after a hold that waits for the IC.

Which scan counts: the scene's assigned IC's own valid badge, at this scene's door for the set (not the
monitors, not another scene's), answered either by letting them in or, while nobody may enter (the set not in
force yet, lifted and waiting to reopen, rolling, on hold), by "IC here" (``kiosk.core.protocol``).  Their
latest such fact stands until they leave: scanned out, marked out by name, or swept out at the lift.  Read from
the log, never from a table, like every fact an opening depends on.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from kiosk.core import protocol
from kiosk.core import record as rules
from kiosk.core.door import Decision
from kiosk.core.protocol import Done
from kiosk.store import queries, record
from kiosk.store.db import Store

Rows = Callable[[Store, str, str], list[dict]]  # (db, table, key) -> the rows ``key`` and the keys under it make


def coordinator(db: Store, scene: str, rows: Rows = record.rows_from_log) -> str | None:
    """The ref of the IC assigned to ``scene`` (None: none), as the log says unless ``rows`` reads the tables."""
    found = db.memo.get(
        ("coordinator", scene, rows),
        lambda: [row for row in rows(db, "scenes", rules.scene_key(scene)) if row["ref"] == scene],
    )
    return found[0]["coordinator"] if found else None


def ic_here(db: Store, scene: str, ic: str | None) -> Done | None:
    """When the IC ``ic`` was last seen arriving at this scene's set door, if they have not left since."""
    if ic is None:
        return None
    for decision, at, payload in db.execute(
        f"SELECT decision, at, payload FROM events WHERE scene = ? AND person = ? AND zone = 'set' "
        f"AND decision IS NOT NULL ORDER BY {queries.ORDER_DESC}",
        [scene, ic],
    ):
        if decision == Decision.EXIT:
            return None
        if decision == Decision.ADMIT or json.loads(payload)["body"].get("ic_present"):
            name = queries.one(db, "SELECT name FROM people WHERE ref = ?", [ic])
            return Done(name["name"] if name else ic, at)
    return None


def performers(db: Store, scene: str, rows: Rows = record.rows_from_log) -> list[str]:
    return [row["person"] for row in rows(db, "performers", f"performer/{scene}")]


def chose_without_ic(db: Store, scene: str, rows: Rows = record.rows_from_log) -> list[str]:
    """The performers whose own choice to work without an IC stands."""
    return [row["person"] for row in rows(db, "no_ic", f"no_ic/{scene}")]


def without_ic(db: Store, scene: str, rows: Rows = record.rows_from_log) -> bool:
    return protocol.without_ic(performers(db, scene, rows), chose_without_ic(db, scene, rows))


def ic_missing(db: Store, scene: str) -> str | None:
    """Why the set must wait for its IC (words for the AD), or None when the IC is here or every performer
    chose to work without one."""
    if without_ic(db, scene):
        return None
    ic = coordinator(db, scene)
    if ic is None:
        return f"Scene {scene} has no IC assigned: the supervisor assigns one (kiosk scene ic)."
    if ic_here(db, scene, ic) is None:
        name = queries.one(db, "SELECT name FROM people WHERE ref = ?", [ic])
        return (
            f"{name['name'] if name else ic} (the IC) is not here: their badge is scanned at this scene's door "
            "for the set (not the monitors), and counts until they leave."
        )
    return None
