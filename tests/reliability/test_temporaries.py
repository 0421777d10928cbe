"""A temporary (escalated, E) approval ends at the lift whatever the ``approvals`` table says of it: the lift and
the reopen choose the temporaries to end from the log, and the door checks the temporary flag as a fact.  (The
first kiosk with the record kept an escalated approval for good once its ``temporary`` cell was set to 0.)"""

from __future__ import annotations

import pytest

from kiosk.services import door, scenes
from kiosk.services.lift import lift
from kiosk.store import connect
from kiosk.store.db import write
from tests.reliability.support import KIOSK, sql


@pytest.fixture
def escalated(production_file):
    path, codes_by_ref = production_file
    db = connect(path)
    verdict = door.escalate(db, "42", "R01", "set", "X01", "D01", KIOSK)
    assert verdict.decision == "admit"
    door.admit_by_lookup(db, "42", "R01", "set", "stepping out", KIOSK)  # marked out
    db.close()
    sql(path, "UPDATE approvals SET temporary = 0 WHERE person = 'R01'")
    return path, codes_by_ref


def test_the_door_refuses_a_temporary_approval_made_permanent(escalated):
    path, codes_by_ref = escalated
    db = connect(path)
    verdict = door.scan(db, "42", codes_by_ref["R01"], "set", KIOSK)
    db.close()
    assert (verdict.decision, verdict.reason, verdict.mismatch) == ("deny", "record_mismatch", ("approval",))


def test_the_lift_ends_it_from_the_log_and_the_reopened_set_refuses_it(escalated, figures):
    path, codes_by_ref = escalated
    db = connect(path)
    lift(db, "42", KIOSK)
    assert db.execute("SELECT COUNT(*) FROM approvals WHERE person = 'R01'").fetchone()[0] == 0
    scenes.reopen(db, "42", "Sam Whitfield", "pick-ups", KIOSK)
    verdict = door.scan(db, "42", codes_by_ref["R01"], "set", KIOSK)
    db.close()
    assert (verdict.decision, verdict.reason) == ("deny", "not_approved"), verdict
    figures.update(lift="ended from the log", scan_after_reopen=verdict.reason)


def test_the_reopen_ends_one_the_lift_missed(escalated):
    """A lifted set whose temporary approval survived (a file from the first release, a table put back): the
    reopen ends it from the log too."""
    path, codes_by_ref = escalated
    sql(path, "UPDATE approvals SET temporary = 1 WHERE person = 'R01'")
    db = connect(path)
    with write(db):  # a lift that ends nothing, as the first release's did
        scenes.change_state(db, scenes.get_scene(db, "42"), scenes.SceneState.LIFTED, KIOSK)
    assert scenes.temporaries_on_record(db, "42") == [("R01", "set")]
    scenes.reopen(db, "42", "Sam Whitfield", "pick-ups", KIOSK)
    assert scenes.temporaries_on_record(db, "42") == []
    assert door.scan(db, "42", codes_by_ref["R01"], "set", KIOSK).reason == "not_approved"
    db.close()
