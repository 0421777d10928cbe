"""Syncing kiosk files through a real hub: push then pull, marked only after the hub commits, presence across
doors, sealed check-ins end to end, and a sync that cannot get through losing nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kiosk.hub import revoke_device, status
from kiosk.services import checkins, door, retention, scenes
from kiosk.services import sync as service
from kiosk.store import sync as state
from kiosk.store.db import write
from tests.reliability.support import IC_PASSPHRASE
from tests.syncing import OFFICE, Machine, settle, tables

NOTE = "step out at 14:10, wants to talk to the union rep"


def hub_events(hub, device: str | None = None) -> list[tuple]:
    where = "WHERE device = %s" if device else ""
    return hub.sql().execute(f"SELECT device, seq, event_id, hash FROM hub.events {where} ORDER BY device, seq",
                             [device] if device else []).fetchall()


def test_a_scan_at_one_door_is_at_the_other_after_a_sync(fleet):
    door_a, door_b = fleet.join("door-a"), fleet.join("door-b")
    verdict = door.scan(door_a.db, "42", fleet.codes["P01"], "set", "door-a")
    assert verdict.decision == "admit"
    first = door_a.sync()
    assert (first.pushed, first.waiting, first.ok) == (1, 0, True)
    assert door_b.sync().pulled == 1
    out = door.scan(door_b.db, "42", fleet.codes["P01"], "set", "door-b")
    assert out.decision == "exit"  # in at A, out at B
    settle(fleet.machines)
    assert tables(door_a.db) == tables(door_b.db) == tables(fleet.office.db)
    assert door.inside(door_a.db, "42") == door.inside(door_b.db, "42") == []


def test_events_are_marked_held_only_after_the_hub_commits(fleet, monkeypatch):
    """A kiosk that fails between the hub's commit and its own mark sends the events again; the hub keeps them
    once, and the next sync marks them."""
    door_a = fleet.join("door-a")
    for ref in ("P01", "P02", "D01"):
        door.scan(door_a.db, "42", fleet.codes[ref], "set", "door-a")
    real = state.mark_pushed

    def fail_once(*args):
        monkeypatch.setattr(state, "mark_pushed", real)
        raise OSError("power cut between the hub's commit and the mark")

    monkeypatch.setattr(state, "mark_pushed", fail_once)
    with pytest.raises(OSError):
        door_a.sync()
    assert len(hub_events(fleet.hub, "door-a")) == 3
    assert service.status(door_a.db, "door-a").waiting == 3  # not marked: they count as waiting
    again = door_a.sync()
    assert (again.pushed, again.waiting) == (3, 0)
    assert len(hub_events(fleet.hub, "door-a")) == 3


def test_re_sending_a_whole_history_changes_nothing(fleet):
    door_a = fleet.join("door-a")
    door.scan(door_a.db, "42", fleet.codes["P01"], "set", "door-a")
    door_a.sync()
    before = hub_events(fleet.hub)
    for machine in (door_a, fleet.office):
        with write(machine.db):
            machine.db.execute("DELETE FROM sync")  # forget everything the hub was known to hold
        again = machine.sync()
        assert again.ok and again.waiting == 0
    assert hub_events(fleet.hub) == before


def test_a_hub_that_lost_events_is_sent_them_again(fleet):
    """A hub restored from an older copy holds less of a kiosk than the kiosk noted: the hub's answer wins and
    the kiosk sends the rest again."""
    door_a = fleet.join("door-a")
    for ref in ("P01", "P02", "D01", "P01"):
        door.scan(door_a.db, "42", fleet.codes[ref], "set", "door-a")
    door_a.sync()
    admin = fleet.hub.sql()
    admin.execute("ALTER TABLE hub.events DISABLE TRIGGER append_only")
    admin.execute("DELETE FROM hub.events WHERE device = 'door-a' AND seq > 1")
    admin.execute("ALTER TABLE hub.events ENABLE TRIGGER append_only")
    door.scan(door_a.db, "42", fleet.codes["P02"], "set", "door-a")
    again = door_a.sync()
    assert (again.ok, again.pushed, again.waiting) == (True, 4, 0)
    assert [seq for _, seq, _, _ in hub_events(fleet.hub, "door-a")] == [1, 2, 3, 4, 5]


def test_a_sync_that_cannot_reach_the_hub_loses_nothing(fleet, pg_server):
    door_a = fleet.join("door-a")
    door_a.sync()
    pg_server.kill()
    for ref in ("P01", "P02"):
        assert door.scan(door_a.db, "42", fleet.codes[ref], "set", "door-a").decision == "admit"
    with pytest.raises(Exception) as lost:
        door_a.sync()
    offline = service.failed(door_a.db, "door-a", lost.value)
    assert (offline.reason, offline.retry, offline.waiting) == ("unreachable", True, 2)
    assert offline.offline_since is not None
    assert offline.line().startswith("hub: offline since ") and offline.line().endswith(" - 2 waiting")
    pg_server.start()
    back = door_a.sync()
    assert (back.ok, back.pushed, back.waiting, back.offline_since) == (True, 2, 0, None)
    assert back.line().startswith("hub: synced ") and back.line().endswith(" s ago")


def test_a_revoked_kiosk_is_told_so_and_not_retried(fleet):
    door_a = fleet.join("door-a")
    revoke_device(fleet.hub.admin_dsn, "door-a", fleet.hub.password)
    door.scan(door_a.db, "42", fleet.codes["P01"], "set", "door-a")
    with pytest.raises(Exception) as refused:
        door_a.sync()
    result = service.failed(door_a.db, "door-a", refused.value)
    assert (result.reason, result.retry) == ("revoked", False)
    assert result.line() == "hub: stopped - this kiosk was revoked at the hub - 1 waiting"


def test_a_login_of_another_device_is_refused_before_anything_moves(fleet):
    door_a = fleet.join("door-a")
    other = Machine(door_a.path, "door-z", door_a.dsn)
    door_a.close()
    with pytest.raises(service.WrongDevice, match="door-a"):
        other.sync()
    other.close()


def test_two_copies_of_one_kiosk_recording_apart_are_a_conflict_said_plainly(fleet, tmp_path):
    """A kiosk file copied and both copies used as the same device: two histories of one device.  The second
    to sync is refused as a conflict, which trying again cannot cure."""
    import shutil

    door_a = fleet.join("door-a")
    door_a.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(door_a.path, tmp_path / "copy.db")
    twin = Machine(tmp_path / "copy.db", "door-a", door_a.dsn)
    door.scan(door_a.db, "42", fleet.codes["P01"], "set", "door-a")
    door.scan(twin.db, "42", fleet.codes["P02"], "set", "door-a")
    assert door_a.sync().ok
    with pytest.raises(Exception) as forked:
        twin.sync()
    result = service.failed(twin.db, "door-a", forked.value)
    assert (result.reason, result.retry) == ("conflict", False) and "forked" in result.error
    twin.close()


def test_sealed_check_ins_travel_sealed_and_open_on_another_kiosk_with_the_ics_passphrase(fleet, cheap_kdf):
    office = fleet.office
    session = checkins.set_passphrase(office.db, IC_PASSPHRASE, "Amara Mensah", OFFICE)
    checkins.record(session, "42", "C01", "follow-up", note=NOTE, follow_up_owner="Amara Mensah",
                    due=(datetime.now().date() + timedelta(days=7)).isoformat())
    assert office.sync().ok
    blobs = fleet.hub.sql().execute("SELECT content FROM hub.sealed").fetchall()
    payloads = " ".join(row[0] for row in fleet.hub.sql().execute("SELECT payload FROM hub.events"))
    assert len(blobs) == 1 and NOTE.encode() not in blobs[0][0] and NOTE not in payloads
    door_b = fleet.join("door-b")
    opened = checkins.read_notes(checkins.unlock(door_b.db, IC_PASSPHRASE, "Amara Mensah", "door-b"), "42", "C01")
    assert opened.note == NOTE
    assert checkins.overview(door_b.db, "42") == checkins.overview(office.db, "42")


def test_content_resealed_before_it_was_pushed_reaches_the_hub_resealed(fleet, cheap_kdf):
    """The IC records a check-in and changes the passphrase before the office syncs: the old sealing is gone
    from the office already, and the hub takes the history without it."""
    office = fleet.office
    session = checkins.set_passphrase(office.db, IC_PASSPHRASE, "Amara Mensah", OFFICE)
    checkins.record(session, "42", "C01", "ok", note=NOTE)
    old = office.db.execute("SELECT digest FROM sealed").fetchall()
    retention.change_passphrase(office.db, IC_PASSPHRASE, "a brand new passphrase here", "Amara Mensah", OFFICE)
    new = office.db.execute("SELECT digest FROM sealed").fetchall()
    assert office.sync().ok
    assert fleet.hub.sql().execute("SELECT digest FROM hub.sealed").fetchall() == new
    assert fleet.hub.sql().execute("SELECT digest FROM hub.erased").fetchall() == old
    door_b = fleet.join("door-b")
    unlocked = checkins.unlock(door_b.db, "a brand new passphrase here", "Amara Mensah", "door-b")
    assert checkins.read_notes(unlocked, "42", "C01").note == NOTE


def test_content_erased_elsewhere_is_erased_here_too(fleet, cheap_kdf):
    office, door_b = fleet.office, fleet.join("door-b")
    session = checkins.set_passphrase(office.db, IC_PASSPHRASE, "Amara Mensah", OFFICE)
    checkins.record(session, "42", "C01", "ok", note=NOTE)
    settle(fleet.machines)
    held = door_b.db.execute("SELECT digest FROM sealed").fetchall()
    assert len(held) == 1
    retention.change_passphrase(office.db, IC_PASSPHRASE, "another passphrase entirely", "Amara Mensah", OFFICE)
    settle(fleet.machines)
    assert door_b.db.execute("SELECT digest FROM sealed").fetchall() == office.db.execute(
        "SELECT digest FROM sealed").fetchall() != held
    assert tables(door_b.db) == tables(office.db)


def test_the_hub_never_holds_a_working_badge_code(fleet):
    door_a = fleet.join("door-a")
    for code in fleet.codes.values():
        door.scan(door_a.db, "42", code, "set", "door-a")
        door.scan(door_a.db, "42", code[:-1] + ("A" if code[-1] != "A" else "B"), "set", "door-a")  # a misread
    door.scan(door_a.db, "42", f"  {fleet.codes['P01']}  ", "monitors", "door-a")
    settle(fleet.machines)
    text = " ".join(row[0] for row in fleet.hub.sql().execute("SELECT payload FROM hub.events")).upper()
    assert not [ref for ref, code in fleet.codes.items() if code.upper() in text
                or code.replace("-", "").upper() in text.replace("-", "")]


def test_each_sync_reports_the_clock_and_a_skew_of_hours_is_flagged(fleet):
    door_a = fleet.join("door-a")
    ahead = door_a.sync(clock=lambda: datetime.now(UTC) + timedelta(hours=2))
    assert ahead.skew_flagged and ahead.skew_seconds < -7100
    assert "clock off by 2 h" in ahead.line(datetime.now(UTC) + timedelta(hours=2))
    shown = {device.name: device for device in status(fleet.hub.admin_dsn, fleet.hub.password).devices}
    assert shown["door-a"].clock_flagged and not shown[OFFICE].clock_flagged
    assert not door_a.sync().skew_flagged


def test_events_recorded_here_as_another_device_are_reported_not_lost_silently(fleet):
    door_a = fleet.join("door-a")
    scenes.approve(door_a.db, "42", ("R01",), "Sam Whitfield", "laptop-7")  # recorded under another id
    result = door_a.sync()
    assert result.ok and result.stranded == {"laptop-7": 1}


def test_an_event_edited_in_the_file_is_not_sent_and_nothing_of_the_push_is_held(fleet):
    """A kiosk checks its own events before it sends them: the hub checks the envelope's form, not the inside of
    the body, and an event not in canonical form would stop every kiosk that pulls it."""
    door_a = fleet.join("door-a")
    for ref in ("P01", "P02"):
        door.scan(door_a.db, "42", fleet.codes[ref], "set", "door-a")
    door_a.db.execute("DROP TRIGGER IF EXISTS events_no_update")
    door_a.db.execute("""UPDATE events SET payload = replace(payload, '"decision":"admit"', '"decision": "admit"')
                         WHERE id = (SELECT max(id) FROM events WHERE device = 'door-a')""")  # the last
    with pytest.raises(Exception, match="canonical") as refused:
        door_a.sync()
    assert not service.failed(door_a.db, "door-a", refused.value).retry
    assert hub_events(fleet.hub, "door-a") == []
