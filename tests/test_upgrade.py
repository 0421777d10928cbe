"""A database made by the first release, upgraded in place: its history becomes events, its tables a snapshot,
and from then on the chain, the rebuild and the door hold.  On a copy of ``tests/fixtures/release-1.db``."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from kiosk.core import codes
from kiosk.core.secrets import SALT_BYTES
from kiosk.services import access, audit, checkins, door, scenes
from kiosk.services.lift import lift
from kiosk.store import audit as store_audit
from kiosk.store import connect, schema

FIXTURE = Path(__file__).parent / "fixtures" / "release-1.db"
MADE = json.loads(FIXTURE.with_suffix(".json").read_text(encoding="utf-8"))
CODES = MADE["codes"]


@pytest.fixture
def old_file(tmp_path) -> Path:
    path = tmp_path / "kiosk.db"
    shutil.copyfile(FIXTURE, path)
    return path


def legacy_rows(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT id, hash, kind FROM log ORDER BY id").fetchall()
    finally:
        conn.close()


def test_the_fixture_is_a_first_release_file():
    conn = sqlite3.connect(f"{FIXTURE.as_uri()}?immutable=1", uri=True)
    applied = [name for (name,) in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY name")]
    conn.close()
    assert applied == ["m001_door", "m002_checkins"] and SALT_BYTES == 16


def test_the_upgrade_keeps_the_tables_and_the_door_as_they_were(old_file):
    old = legacy_rows(old_file)
    db = connect(old_file, device="door-a")
    assert schema.is_current(db)
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "log" not in tables and not [name for name in tables if name.startswith("legacy_")]
    assert audit.check(db).ok
    # every old row is an event, in its place, with its old hash
    rows = db.execute("SELECT id, json_extract(payload, '$.body.legacy.hash') FROM events WHERE id <= ?",
                      [len(old)]).fetchall()
    assert rows == [(row_id, digest) for row_id, digest, _ in old]
    # no working code is kept anywhere in the file
    raw = old_file.read_bytes() + (Path(f"{old_file}-wal").read_bytes() if Path(f"{old_file}-wal").exists() else b"")
    assert not [ref for ref, code in CODES.items() if code.encode() in raw]
    # the door: who was inside is still inside, badges printed before the upgrade still work
    assert sorted((row.ref, row.zone) for row in door.inside(db, "43")) == [("C03", "monitors"), ("P01", "set")]
    assert door.scan(db, "43", CODES["P01"], "set", "door-a").decision == "exit"
    assert door.scan(db, "43", CODES["P01"], "set", "door-a").decision == "admit"
    assert door.scan(db, "42", CODES["P02"], "set", "door-a").reason == "lifted"
    assert door.scan(db, "43", MADE["superseded"]["G01"], "set", "door-a").reason == "superseded"
    assert door.scan(db, "43", CODES["D01"], "set", "door-a").reason == "revoked"
    # approvals, performers, the lift's temporary approval and the scenes' states
    approved = {(row.ref, row.zone, row.approved_by) for row in scenes.approved_list(db, "42")}
    assert ("R01", "set", "IC Amara Mensah and AD Sam Whitfield") in approved
    assert scenes.get_scene(db, "42")["state"] == "lifted" and scenes.get_scene(db, "43")["state"] == "open"
    # the PIN and the IC's notes, sealed under the first release's binding, open as before
    access.check_pin(db, MADE["pin"], "door-a")
    session = checkins.unlock(db, MADE["ic_passphrase"], "Amara Mensah", "door-a")
    note = checkins.read_notes(session, "42", "C01")
    assert note.note == "FIXTURE-NOTE said the take felt rushed" and note.follow_up_owner == "Amara"
    assert checkins.completion(db, "42").pending == 1  # P01, added by the IC, not yet seen
    assert audit.check(db).ok


def test_an_anchor_filed_before_the_upgrade_still_checks(old_file):
    last_id, last_hash, _ = legacy_rows(old_file)[-1]
    db = connect(old_file, device="door-a")
    assert store_audit.verify(db, f"{last_id}:{last_hash[:16]}").ok
    assert not store_audit.verify(db, f"{last_id}:{'0' * 16}").ok


def test_a_broken_old_log_stays_visible_after_the_upgrade(old_file):
    conn = sqlite3.connect(old_file)
    conn.execute("DROP TRIGGER log_no_update")
    conn.execute("UPDATE log SET decision = 'admit' WHERE id = 60")
    conn.commit()
    conn.close()
    result = store_audit.verify(connect(old_file, device="door-a"))
    assert not result.ok and "row 60 of the log before the upgrade" in result.problem


def test_after_the_upgrade_the_record_goes_on(old_file):
    db = connect(old_file, device="door-a")
    scenes.reopen(db, "42", "Helen Marsh", "one more take", "door-a")
    assert door.scan(db, "42", CODES["P01"], "set", "door-a").decision == "admit"
    assert door.scan(db, "42", CODES["R01"], "set", "door-a").reason == "not_approved"  # temporary: ended
    lift(db, "42", "door-a")
    assert {row.run for row in checkins.ic_list(checkins.unlock(db, MADE["ic_passphrase"], "Amara", "door-a"),
                                                "42")} == {1, 2}
    assert audit.check(db).ok
    assert codes.digest(CODES["P01"]) in {digest for (digest,) in db.execute("SELECT digest FROM badges")}
