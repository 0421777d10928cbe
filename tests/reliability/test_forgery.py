"""Forgery: the tables the door decides from, edited with ``sqlite3`` as an attacker with a minute at the laptop
would, admit nobody, and ``kiosk audit verify`` names every edited row; a log rewritten whole is caught by an
anchor filed before it.  (The first release admitted a forged approval, and its audit said "Log intact".)"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from kiosk.cli import main
from kiosk.core import codes
from kiosk.core import events as ev
from kiosk.core import record as rules
from kiosk.services import audit, badges, door, scenes
from kiosk.services.lift import lift
from kiosk.store import audit as store_audit
from kiosk.store import connect
from kiosk.store.db import write
from tests.reliability.support import KIOSK, sql

NOW = datetime.now(UTC).isoformat(timespec="microseconds")


def some_event(path, type: str) -> int:
    """A real event of ``type``: the forger points a forged row at it, hoping the check looks no further."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT MAX(id) FROM events WHERE type = ?", [type]).fetchone()[0]
    finally:
        conn.close()


def verify_names(path, capsys, *words: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--db", str(path), "audit", "verify"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 1 and "TABLES DIFFER FROM THE LOG" in err, err
    assert all(word in err for word in words), err


# Each forgery: (what to do to the file, given the production's codes) -> (the code to scan, the scene)
Forgery = Callable[[object, dict], tuple[str, str]]


def approval_inserted(path, codes_by_ref):
    sql(path, "INSERT INTO approvals VALUES ('42', 'R01', 'set', 'Sam Whitfield', ?, 0, 'approval/42/R01/set', ?)",
        [NOW, some_event(path, "approval.granted")])
    return codes_by_ref["R01"], "42"


def revoked_badge_set_active(path, codes_by_ref):
    db = connect(path)
    badges.revoke_badge(db, "P01", "lost on location", KIOSK)
    db.close()
    sql(path, "UPDATE badges SET status = 'active', ended_at = NULL, end_reason = NULL WHERE digest = ?",
        [codes.digest(codes_by_ref["P01"])])
    return codes_by_ref["P01"], "42"


def superseded_badge_set_active(path, codes_by_ref):
    db = connect(path)
    badges.record_badges(db, badges.plan_badges(db, ["P02"]), KIOSK)
    db.close()
    sql(path, "UPDATE badges SET status = 'active' WHERE digest = ?", [codes.digest(codes_by_ref["P02"])])
    return codes_by_ref["P02"], "42"


def draft_scene_set_open(path, codes_by_ref):
    db = connect(path)
    scenes.add_scene(db, "43", "Shower, day", KIOSK, performers=("C03",))
    db.close()
    sql(path, "INSERT INTO scene_states (scene, state, run, state_at, source_key, set_by) "
        "VALUES ('43', 'open', 1, ?, 'state/43', ?)",
        [NOW, some_event(path, "scene.state")])
    return codes_by_ref["C03"], "43"


def lifted_scene_set_open(path, codes_by_ref):
    db = connect(path)
    lift(db, "42", KIOSK)
    db.close()
    sql(path, "UPDATE scene_states SET state = 'open' WHERE scene = '42'")
    return codes_by_ref["P01"], "42"


ADMITTING: dict[str, Forgery] = {
    "an approval row inserted": approval_inserted,
    "a revoked badge set active": revoked_badge_set_active,
    "a superseded badge set active": superseded_badge_set_active,
    "a draft scene set open": draft_scene_set_open,
    "a lifted scene set open": lifted_scene_set_open,
}


@pytest.mark.parametrize("forgery", ADMITTING)
def test_an_edited_table_admits_nobody_and_the_audit_names_it(forgery, production_file, capsys, figures):
    path, codes_by_ref = production_file
    code, scene = ADMITTING[forgery](path, codes_by_ref)
    db = connect(path)
    verdict = door.scan(db, scene, code, "set", KIOSK)
    assert (verdict.decision, verdict.reason) == ("deny", "record_mismatch"), (forgery, verdict)
    assert verdict.mismatch and "call the supervisor" in verdict.words
    logged = db.execute("SELECT reason FROM events WHERE json_extract(payload, '$.body.scan_id') = ?",
                        [verdict.scan_id]).fetchone()
    assert logged == ("record_mismatch",)  # the refusal is on record, with what did not match
    found = audit.check(db)
    assert found.log.ok and found.differences, forgery  # the log itself is intact: the tables are not
    db.close()
    verify_names(path, capsys, str(found.differences[0]))
    figures.update(forgery=forgery, verdict="deny record_mismatch", named=len(found.differences))


@pytest.mark.parametrize("forgery", ADMITTING)
def test_a_door_that_has_been_scanning_is_fooled_by_no_edit_either(forgery, production_file):
    """The door keeps what it read from one scan to the next (``kiosk.store.memo``): an edit made by another
    program while it runs must reach its next scan all the same.  The door first scans everyone the forgery is
    about, so what it holds of them is what the forger changes."""
    path, codes_by_ref = production_file
    db = connect(path)
    for ref in ("R01", "P01", "P02", "C03"):
        door.scan(db, "42", codes_by_ref[ref], "monitors", KIOSK)
    code, scene = ADMITTING[forgery](path, codes_by_ref)
    verdict = door.scan(db, scene, code, "set", KIOSK)
    assert (verdict.decision, verdict.reason) == ("deny", "record_mismatch"), (forgery, verdict)
    db.close()


def test_a_forged_approval_admits_nobody_by_name_either(production_file):
    """The AD's lookup (L) and an escalation decide from the same tables: the forged row is refused there too."""
    path, codes_by_ref = production_file
    approval_inserted(path, codes_by_ref)
    db = connect(path)
    verdict = door.admit_by_lookup(db, "42", "R01", "set", "badge in the trailer", KIOSK)
    assert (verdict.decision, verdict.reason, verdict.mismatch) == ("deny", "record_mismatch", ("approval",))
    assert door.inside(db, "42") == []
    db.close()


NOT_ADMITTING = {
    "a person renamed": ("UPDATE people SET name = 'Somebody Else' WHERE ref = 'P01'", "people P01: name is"),
    "an approval deleted": ("DELETE FROM approvals WHERE scene = '42' AND person = 'P01'", "approvals 42/P01/set"),
    "a performer added": ("INSERT INTO performers VALUES ('42', 'R01', 'performer/42/R01', 1)",
                          "performers 42/R01"),
}


@pytest.mark.parametrize("forgery", NOT_ADMITTING)
def test_other_edits_are_named_by_the_audit(forgery, production_file, capsys):
    path, codes_by_ref = production_file
    statement, named = NOT_ADMITTING[forgery]
    sql(path, statement)
    db = connect(path)
    assert door.scan(db, "42", codes_by_ref["R01"], "set", KIOSK).decision == "deny"
    db.close()
    verify_names(path, capsys, named)


def test_the_supervisor_rebuilds_the_tables_from_an_intact_log(production_file, capsys, monkeypatch):
    path, codes_by_ref = production_file
    approval_inserted(path, codes_by_ref)
    monkeypatch.setenv("KIOSK_SUPERVISOR_PIN", "246810")
    db = connect(path)
    from kiosk.services import access

    access.set_pin(db, "246810", KIOSK)
    db.close()
    with pytest.raises(SystemExit) as exit_info:
        main(["--db", str(path), "audit", "rebuild"])
    assert exit_info.value.code == 0 and "1 row(s) differed" in capsys.readouterr().out
    db = connect(path)
    assert audit.check(db).ok
    assert door.scan(db, "42", codes_by_ref["R01"], "set", KIOSK).reason == "not_approved"
    assert db.execute("SELECT COUNT(*) FROM events WHERE type = 'audit.rebuilt'").fetchone()[0] == 1


def insert_event(db, after: int, event: ev.Event) -> None:
    """A forger's insertion: the rows after ``after`` moved down one, the event put in the gap, its device's
    head added.  The chain is then recomputed with ``forge``."""
    db.execute("UPDATE events SET id = -(id + 1) WHERE id > ?", [after])
    db.execute("UPDATE events SET id = -id WHERE id < 0")
    db.execute("INSERT INTO events (id, payload, hash, chain) VALUES (?, ?, ?, ?)",  # the columns follow
               [after + 1, event.payload, event.hash, ""])
    db.execute("INSERT INTO chains (device, seq, hash) VALUES (?, ?, ?)", [event.device, event.seq, event.hash])


def test_an_event_inserted_with_everything_recomputed_is_caught_by_an_anchor_filed_before(production_file, forge,
                                                                                          figures):
    """The attack the chain alone cannot stop: a forged approval event inserted in the middle of the log, every
    hash after it recomputed and the tables rebuilt to match.  The file is then self-consistent and R01 is
    admitted; the anchor printed before the forgery no longer matches, naming the row."""
    path, codes_by_ref = production_file
    db = connect(path)
    filed = store_audit.verify(db).anchor
    anchor_row = int(filed.split(":")[0])
    after = anchor_row - 3
    hlc = db.execute("SELECT hlc FROM events WHERE id = ?", [after]).fetchone()[0]
    forged = ev.make("door-9", 1, ev.GENESIS, hlc, NOW, rules.APPROVED, rules.approval_key("42", "R01", "set"),
                     {"scene": "42", "person": "R01", "zone": "set", "by": "Sam Whitfield", "temporary": False})
    db.execute("DROP TRIGGER IF EXISTS events_no_update")
    insert_event(db, after, forged)
    forge(db, {})  # every payload, device chain, local chain and head recomputed
    with write(db):
        store_audit.rebuild(db)
    found = audit.check(db)
    assert found.log.ok and found.differences == []  # self-consistent: the chain and the tables agree
    assert door.scan(db, "42", codes_by_ref["R01"], "set", KIOSK).decision == "admit"  # said plainly: it admits
    result = store_audit.verify(db, filed)
    assert not result.ok and "rewritten" in result.problem
    db.close()
    figures.update(inserted_after=after, anchor_row=anchor_row, caught_by_anchor=True)


def test_a_log_rewritten_whole_is_caught_by_an_anchor_filed_before(production_file, forge, figures):
    """An event's body rewritten and the whole chain recomputed after it satisfies the chains alone; the anchor
    printed before the forgery does not match any more."""
    path, _ = production_file
    db = connect(path)
    filed = store_audit.verify(db).anchor
    target = int(filed.split(":")[0]) - 3  # an event before the anchor's row
    forge(db, {target: lambda body: {**body, "forged": True}})
    assert store_audit.verify(db).ok  # recomputed: the chains are satisfied
    result = store_audit.verify(db, filed)
    assert not result.ok and "rewritten" in result.problem
    db.close()
    figures.update(rewritten_from=target, anchor_row=int(filed.split(":")[0]), caught=True)
