"""The duplicate window never admits what a fresh decision would not.  (The first kiosk with the record showed
ADMIT "same badge again" after a lift, a removed approval and a revocation, once the window in ``settings`` and
the rows of ``heads`` were edited; and a second scan after the AD marked the person out by name was taken for a
double read, leaving nobody inside.)"""

from __future__ import annotations

import pytest

from kiosk.cli import main
from kiosk.services import badges, door, production, scenes
from kiosk.services.lift import lift
from kiosk.store import audit as store_audit
from kiosk.store import connect
from tests.reliability.support import KIOSK, sql


@pytest.fixture
def windowed(production_file):
    path, codes_by_ref = production_file
    db = connect(path)
    production.set_duplicate_window(db, 5, KIOSK)
    scenes.approve(db, "42", ("R01",), by="Sam Whitfield", kiosk=KIOSK)
    first = door.scan(db, "42", codes_by_ref["R01"], "set", KIOSK)
    assert first.decision == "admit"
    return path, codes_by_ref, db


def test_an_earlier_admission_is_not_returned_after_the_set_ends_and_the_tables_are_edited(windowed, capsys,
                                                                                             figures):
    path, codes_by_ref, db = windowed
    lift(db, "42", KIOSK)
    scenes.unapprove(db, "42", ("R01",), by="Sam Whitfield", kiosk=KIOSK, zone="set")
    badges.revoke_badge(db, "R01", "lost", KIOSK)
    db.close()
    sql(path, "UPDATE settings SET value = '1e9' WHERE key = 'duplicate_window'")
    sql(path, "UPDATE heads SET event = 1 WHERE key IN ('state/42', 'badges/R01', 'approval/42/R01/set')")
    db = connect(path)
    rows = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    again = door.scan(db, "42", codes_by_ref["R01"], "set", KIOSK)
    assert again.decision != "admit" and not again.duplicate, again
    assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == rows + 1  # a fresh answer, recorded
    differences = [str(found) for found in store_audit.differences(db)]
    db.close()
    assert any(found.startswith("heads state/42: event is 1") for found in differences), differences
    assert any(found.startswith("settings duplicate_window") for found in differences), differences
    with pytest.raises(SystemExit) as exit_info:
        main(["--db", str(path), "audit", "verify"])
    assert exit_info.value.code == 1 and "heads badges/R01" in capsys.readouterr().err
    figures.update(verdict=again.reason, duplicate=False, named=len(differences))


def test_an_earlier_admission_is_rechecked_against_the_facts(windowed):
    """Nothing new in the log, but the set shown lifted in the table: the answer follows the facts (refused),
    never the green ADMIT of the earlier scan under a LIFTED header."""
    path, codes_by_ref, db = windowed
    db.close()
    sql(path, "UPDATE scene_states SET state = 'lifted' WHERE scene = '42'")
    db = connect(path)
    again = door.scan(db, "42", codes_by_ref["R01"], "set", KIOSK)
    db.close()
    assert again.decision != "admit" and not again.duplicate, again


def test_the_window_is_the_logs_and_bounded(windowed):
    db = windowed[2]
    from kiosk.core import record as rules
    from kiosk.services.duplicates import window
    from kiosk.store import record
    from kiosk.store.db import write

    assert window(db) == 5
    with write(db):  # a value out of init's bounds on record (another version, a forged event): no window
        record.record(db, KIOSK, rules.SETTING, rules.setting_key("duplicate_window"),
                      {"name": "duplicate_window", "value": "1e9"})
    assert window(db) == 0
    db.close()


def test_a_scan_after_an_exit_by_name_is_a_new_entry(windowed):
    _, codes_by_ref, db = windowed
    out = door.admit_by_lookup(db, "42", "R01", "set", "leaving, badge in pocket", KIOSK)
    assert out.decision == "exit"
    again = door.scan(db, "42", codes_by_ref["R01"], "set", KIOSK)  # within the window of the first scan
    assert (again.decision, again.duplicate) == ("admit", False), again
    assert [person.ref for person in door.inside(db, "42")] == ["R01"]
    db.close()
