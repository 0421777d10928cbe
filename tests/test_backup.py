"""Backups of one laptop's kiosk file and putting one back: checked before they count, private, whole or not at
all, and a restore that refuses what it should not put in place and keeps the current file aside."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.errors import ServiceError, StoreError
from kiosk.services import audit, backup, door
from kiosk.store import backup as files
from kiosk.store import connect
from tests.support import KIOSK

FIXTURE = Path(__file__).parent / "fixtures" / "release-1.db"


def events(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT id, event_id, hash FROM events ORDER BY id").fetchall()
    finally:
        conn.close()


def test_a_backup_is_a_private_single_file_that_passes_the_audit(db, crew, tmp_path):
    door.scan(db, "42", crew["P01"], "set", KIOSK)
    made = backup.backup(db, tmp_path / "copy.db")
    assert made.path.stat().st_mode & 0o777 == 0o600 and made.size == made.path.stat().st_size
    assert not Path(f"{made.path}-wal").exists() and events(made.path) == events(db.path)
    copy = connect(made.path)
    assert audit.check(copy).ok and made.anchor == audit.check(db).log.anchor
    copy.close()
    assert [path.name for path in tmp_path.iterdir() if path.name.endswith(".tmp")] == []


def test_a_copy_that_fails_its_check_never_replaces_the_backup_there(db, crew, tmp_path, monkeypatch):
    dest = tmp_path / "copy.db"
    dest.write_bytes(b"yesterday's backup")
    monkeypatch.setattr(files, "integrity", lambda path: "*** in database main *** Page 7: btree broken")
    with pytest.raises(backup.BackupFailed, match="damaged"):
        backup.backup(db, dest)
    assert dest.read_bytes() == b"yesterday's backup"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["copy.db", "kiosk.db", "kiosk.db-shm",
                                                                 "kiosk.db-wal"]


def test_backups_to_a_folder_rotate_and_come_when_due(db, crew, tmp_path):
    folder = tmp_path / "usb"
    with pytest.raises(ServiceError, match="USB stick"):
        backup.backup_to_folder(db, folder, KIOSK)
    folder.mkdir()
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    for minutes in (0, 5, 10, 15):
        backup.backup_to_folder(db, folder, KIOSK, keep=3, now=start + timedelta(minutes=minutes))
    mine = f"kiosk-{KIOSK}-20261201T"
    assert sorted(path.name for path in folder.iterdir()) == [f"{mine}090500Z.db", f"{mine}091000Z.db",
                                                              f"{mine}091500Z.db"]
    assert backup.auto_backup(db, folder, KIOSK, keep=3, every=300, now=start + timedelta(minutes=19)) is None
    made = backup.auto_backup(db, folder, KIOSK, keep=3, every=300, now=start + timedelta(minutes=20))
    assert made is not None and made.path.name == f"{mine}092000Z.db" and len(list(folder.iterdir())) == 3


def test_doors_sharing_a_stick_keep_their_own_backups(db, crew, tmp_path):
    """Every laptop's file is kiosk.db: the backups are named by the kiosk too, and each prunes only its own (a
    second reader lost one door's only backup to another door's --keep 1)."""
    folder = tmp_path / "usb"
    folder.mkdir()
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    for minutes, kiosk in ((0, "stage-door"), (1, "side-door"), (2, "side-door")):
        backup.backup_to_folder(db, folder, kiosk, keep=1, now=start + timedelta(minutes=minutes))
    assert sorted(path.name for path in folder.iterdir()) == ["kiosk-side-door-20261201T090200Z.db",
                                                              "kiosk-stage-door-20261201T090000Z.db"]
    assert backup.auto_backup(db, folder, "stage-door", every=300, now=start + timedelta(minutes=3)) is None


def test_a_restore_keeps_the_current_file_aside_and_puts_the_backup_in_place(db, crew, tmp_path):
    made = backup.backup(db, tmp_path / "copy.db")
    door.scan(db, "42", crew["P01"], "set", KIOSK)  # after the backup: the restore goes back before it
    db.close()
    current = events(tmp_path / "kiosk.db")
    restored = backup.restore(tmp_path / "kiosk.db", made.path, KIOSK)
    assert events(tmp_path / "kiosk.db") == events(made.path) == current[:-1]
    assert restored.aside is not None and events(restored.aside) == current
    assert restored.production == "Night Garden" and not restored.synced_before
    again = connect(tmp_path / "kiosk.db")
    assert audit.check(again).ok
    again.close()


def test_a_restore_refuses_what_it_should_not_put_in_place(db, crew, tmp_path):
    target = tmp_path / "kiosk.db"
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE invoices (id INTEGER)").connection.close()
    newer = tmp_path / "newer.db"
    backup.backup(db, newer)
    conn = sqlite3.connect(newer)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('kiosk', 'm999', '')")
    conn.commit()
    conn.close()
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(backup.backup(db, tmp_path / "good.db").path.read_bytes()[:8192])
    empty = tmp_path / "empty.db"
    empty.touch()
    text = tmp_path / "crew.csv"
    text.write_text("ref,name\n")
    before = events(target)
    for source, words in ((foreign, "another program"), (newer, "newer version"), (empty, "empty"),
                          (damaged, "damaged"), (tmp_path / "missing.db", "no backup file")):
        with pytest.raises(ServiceError, match=words):
            backup.restore(target, source, KIOSK)
    with pytest.raises(StoreError, match="not a SQLite file"):
        backup.restore(target, text, KIOSK)
    with pytest.raises(StoreError, match="in use"):  # the kiosk is running on it (this test's connection)
        backup.restore(target, tmp_path / "good.db", KIOSK)
    db.close()
    other = tmp_path / "other.db"
    other_db = connect(other, create=True)
    from kiosk.services import production

    production.init_production(other_db, "Another Show", KIOSK)
    other_db.close()
    with pytest.raises(ServiceError, match="another production"):
        backup.restore(target, other, KIOSK)
    assert events(target) == before
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.endswith(".tmp")) == []


def test_a_backup_made_by_the_first_release_is_brought_up_to_date_as_it_is_restored(tmp_path):
    source = tmp_path / "release-1.db"
    shutil.copy(FIXTURE, source)
    (tmp_path / "new").mkdir()
    restored = backup.restore(tmp_path / "new" / "kiosk.db", source, "spare")
    assert restored.aside is None and restored.rows > 0
    assert source.read_bytes() == FIXTURE.read_bytes()  # the backup itself is never written to


def test_backup_and_restore_from_the_command_line(db, crew, cli, tmp_path):
    code, out, err = cli("backup", tmp_path / "copy.db")
    assert code == 0 and "Backup written to" in out and "audit checked" in out
    assert cli("backup")[0] == 2 and cli("backup", tmp_path / "x.db", "--folder", tmp_path)[0] == 2
    code, _, err = cli("backup", "--folder", tmp_path / "no-such-stick")
    assert code == 2 and "USB stick" in err and "Traceback" not in err
    code, _, err = kiosk("restore", tmp_path / "copy.db")
    assert code == 3 and "in use" in err  # this test's own connection is the kiosk running on it
    db.close()
    code, out, err = kiosk("restore", tmp_path / "copy.db")
    assert code == 0 and "Restored 'Night Garden'" in out and "kept as" in out
    (tmp_path / "bad.db").write_bytes(b"SQLite format 3\x00" + bytes(100))
    code, _, err = kiosk("restore", tmp_path / "bad.db")
    assert code == 1 and "cannot be read" in err and "Traceback" not in err


def kiosk(*args) -> tuple[int, str, str]:
    """`kiosk ARGS` in a process of its own, as a crew runs it (the in-process runs keep their files open)."""
    done = subprocess.run([sys.executable, "-m", "kiosk", *map(str, args)], capture_output=True, text=True,
                          check=False)
    return done.returncode, done.stdout, done.stderr
