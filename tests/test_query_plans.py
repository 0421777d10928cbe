"""The door's statements are answered by the log's indexes, never by a walk of the whole log.

A statement that scans ``events`` costs nothing in a test production and seconds on the last day of a shoot
(a million scans): the IC's exit once read every event of the file to learn who the scene's IC is.  Every
statement a shift at the door runs is explained by SQLite here, and none may scan the log.
"""

from __future__ import annotations

import re

from kiosk.core.door import SceneState
from kiosk.services import door, door_view, production, scenes
from tests.support import KIOSK

LOG_WALK = re.compile(r"\bSCAN (events|people|badges|approvals)\b")  # the tables that grow with the production


def shift(db, crew) -> list[str]:
    """What a door does in a shift, with every statement it ran."""
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
        for code in (crew["X01"], crew["D01"], crew["D01"]):  # the IC in, an admit, the same badge again at once
            door.scan(db, "42", code, "set", KIOSK)
        production.set_duplicate_window(db, 0, KIOSK)
        for code in ("NOT-A-BADGE", crew["C03"], crew["D01"], crew["X01"]):  # refusals, an exit, the IC out
            door.scan(db, "42", code, "set", KIOSK)
        door.scan(db, "42", crew["V01"], "monitors", KIOSK)
        door.admit_by_lookup(db, "42", "P01", "set", "badge left in the car", KIOSK)
        door_view.door_view(db, "42")
    finally:
        db.conn.set_trace_callback(None)
    return statements


def test_no_statement_at_the_door_walks_the_log(db, crew):
    walks = {}
    for statement in shift(db, crew):
        if not re.match(r"\s*(SELECT|WITH|INSERT|UPDATE|DELETE)", statement, re.IGNORECASE):
            continue
        plan = " | ".join(row[-1] for row in db.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall())
        if LOG_WALK.search(plan):
            walks[" ".join(statement.split())[:200]] = plan
    assert not walks, walks


def test_the_shift_did_what_a_door_does(db, crew):
    """The shift above is a real one: it admitted, refused and let the IC out (else it proves nothing)."""
    shift(db, crew)
    reasons = {row[0] for row in db.execute("SELECT reason FROM events WHERE decision IS NOT NULL")}
    assert {"approved", "not_approved", "malformed", "exit"} <= reasons, reasons
    assert door_view.door_view(db, "42").scene.state == SceneState.HOLD  # the IC left: the set waits for them
