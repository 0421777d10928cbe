"""The door keeps what it read from one scan to the next (``kiosk.store.memo``), and drops all of it the moment
anything else may have changed the file: another connection's commit, this connection's own change of any other
kind (however it was made), a rollback."""

from __future__ import annotations

import sqlite3

import pytest

from kiosk.core import codes
from kiosk.core.door import SceneState
from kiosk.services import ServiceError, badges, door, production, scenes
from kiosk.store import connect
from tests.support import KIOSK


@pytest.fixture
def door_db(db, crew):
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    production.set_duplicate_window(db, 0, KIOSK)
    return db


def statements_of(db, action) -> list[str]:
    said: list[str] = []
    db.conn.set_trace_callback(said.append)
    try:
        action()
    finally:
        db.conn.set_trace_callback(None)
    return said


def reads_badges(statements: list[str]) -> bool:
    return any("FROM badges" in statement for statement in statements)


def test_a_scan_again_reads_what_the_last_kept(door_db, crew):
    said = [statements_of(door_db, lambda: door.scan(door_db, "42", crew["P01"], "set", KIOSK)) for _ in range(3)]
    assert reads_badges(said[0]) and not reads_badges(said[2])
    assert not [statement for statement in said[2] if statement.startswith("SELECT")], said[2]  # it only writes
    assert [row[0] for row in door_db.execute("SELECT decision FROM events WHERE person = 'P01' "
                                              "AND decision IS NOT NULL ORDER BY id")] == ["admit", "exit", "admit"]


def test_a_change_made_on_the_same_connection_is_read_afresh(door_db, crew):
    door.scan(door_db, "42", crew["P01"], "monitors", KIOSK)
    badges.revoke_badge(door_db, "P01", "lost on location", KIOSK)
    verdict = door.scan(door_db, "42", crew["P01"], "set", KIOSK)
    assert (verdict.decision, verdict.reason) == ("deny", "revoked")


def test_an_edit_outside_any_transaction_on_the_same_connection_is_caught(door_db, crew):
    """Not through ``write()``: SQLite's own count of this connection's changes still drops the memo."""
    door.scan(door_db, "42", crew["R01"], "set", KIOSK)  # not approved: kept
    event = door_db.execute("SELECT MAX(id) FROM events WHERE type = 'approval.granted'").fetchone()[0]
    door_db.execute("INSERT INTO approvals VALUES ('42', 'R01', 'set', 'Sam Whitfield', '2026-01-01', 0, "
                    "'approval/42/R01/set', ?)", [event])
    verdict = door.scan(door_db, "42", crew["R01"], "set", KIOSK)
    assert (verdict.decision, verdict.reason) == ("deny", "record_mismatch")


def test_another_connections_commit_is_read_afresh(door_db, crew, db_path):
    door.scan(door_db, "42", crew["R01"], "set", KIOSK)
    other = connect(db_path)
    scenes.approve(other, "42", ("R01",), by="Sam Whitfield", kiosk="door-2")
    other.close()
    assert door.scan(door_db, "42", crew["R01"], "set", KIOSK).reason == "approved"


def test_after_a_failed_scan_an_edit_elsewhere_still_reaches_the_next(door_db, crew, db_path):
    door.scan(door_db, "42", crew["R01"], "set", KIOSK)
    with pytest.raises(ServiceError):
        door.scan(door_db, "no-such-scene", crew["R01"], "set", KIOSK)
    raw = sqlite3.connect(db_path)  # what a forger's sqlite3 does meanwhile
    raw.execute("UPDATE badges SET status = 'revoked' WHERE digest = ?", [codes.digest(crew["R01"])])
    raw.commit()
    raw.close()
    assert door.scan(door_db, "42", crew["R01"], "set", KIOSK).reason == "revoked"


def test_outside_a_scan_nothing_is_kept(door_db):
    calls = []
    door_db.memo.get("x", lambda: calls.append(1))
    door_db.memo.get("x", lambda: calls.append(1))
    assert calls == [1, 1]


def test_a_full_memo_starts_again_and_the_door_answers_the_same(door_db, crew, monkeypatch):
    from kiosk.store import memo

    monkeypatch.setattr(memo, "MAX_KEPT", 3)
    answers = [door.scan(door_db, "42", crew[ref], "set", KIOSK).decision for ref in ("P01", "P02", "P01", "P02")]
    assert answers == ["admit", "admit", "exit", "exit"]
    assert len(door_db.memo._values) <= 3


def test_a_table_swapped_whole_on_the_same_connection_is_read_afresh(door_db, crew):
    """SQLite counts no changed rows for a table replaced with ALTER and CREATE ... AS SELECT; the schema's own
    version moves, and drops the memo (found by a second reader's differential test)."""
    door.scan(door_db, "42", crew["P01"], "monitors", KIOSK)  # P01's approvals kept
    door_db.execute("ALTER TABLE approvals RENAME TO approvals_old")
    door_db.execute("CREATE TABLE approvals AS SELECT * FROM approvals_old WHERE person != 'P01'")
    assert door.scan(door_db, "42", crew["P01"], "set", KIOSK).reason == "not_approved"
