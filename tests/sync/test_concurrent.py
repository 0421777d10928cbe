"""Changes made on two machines without either seeing the other: after a sync, every machine has the same
tables, and the door decides from them alike."""

from __future__ import annotations

from kiosk.services import badges, door
from tests.syncing import settle, tables


def test_a_badge_reissued_at_one_kiosk_while_another_revokes_the_old_one_admits_on_both(fleet):
    """The office reissues P01's badge while door B, offline, revokes the old one: the new badge is the valid
    one everywhere, and the door's check against the log agrees."""
    door_b = fleet.join("door-b")
    old = fleet.codes["P01"]
    new = fleet.reissue(fleet.office, "P01")
    badges.revoke_badge(door_b.db, "P01", "lost on set", "door-b")
    settle(fleet.machines)
    for machine in fleet.machines:
        assert door.scan(machine.db, "42", new, "set", machine.name).decision == "admit", machine.name
        assert door.scan(machine.db, "42", old, "monitors", machine.name).reason in ("revoked", "superseded")
    settle(fleet.machines)
    assert tables(door_b.db) == tables(fleet.office.db)


def test_approval_and_state_changed_apart_settle_to_the_safer_answer_on_every_kiosk(fleet):
    """The office removes P02 while door B, offline, grants them the monitors too; the office opens the set as
    door B calls rolling.  After they meet: P02 is refused and the set is rolling, everywhere, conflicts kept."""
    from kiosk.services import scenes

    door_b = fleet.join("door-b")
    scenes.unapprove(fleet.office.db, "42", ("P02",), "Sam Whitfield", "office", zone="set")
    scenes.approve(door_b.db, "42", ("P02",), "Helen Marsh", "door-b", zone="set")
    scenes.set_state(fleet.office.db, "42", scenes.SceneState.HOLD, "office")
    scenes.set_state(door_b.db, "42", scenes.SceneState.ROLLING, "door-b")
    settle(fleet.machines)
    for machine in fleet.machines:
        assert machine.db.execute("SELECT state FROM scene_states WHERE scene = '42'").fetchone() == ("rolling",)
        assert machine.db.execute("SELECT 1 FROM approvals WHERE person = 'P02' AND zone = 'set'").fetchone() is None
        assert machine.sync().conflicts == 2
    scenes.set_state(door_b.db, "42", scenes.SceneState.OPEN, "door-b")  # after seeing both: it decides
    settle(fleet.machines)
    assert door.scan(fleet.office.db, "42", fleet.codes["P01"], "set", "office").decision == "admit"
    assert door.scan(door_b.db, "42", fleet.codes["P02"], "set", "door-b").decision == "deny"
    assert fleet.office.sync().conflicts == 1
    settle(fleet.machines)
    assert tables(door_b.db) == tables(fleet.office.db)
