"""Opening the database: the schema check the door makes without sqlite-utils agrees with sqlite-utils."""

from __future__ import annotations

import sqlite3

from kiosk.store import Store, connect, schema


def bare_store(path) -> Store:
    return Store(sqlite3.connect(path, isolation_level=None), path)


def pending(db: Store) -> list[str]:
    return [migration.name for migration in schema.migrations().pending(db.utils)]


def test_a_new_file_gets_every_step_and_is_then_current(tmp_path):
    path = tmp_path / "kiosk.db"
    db = connect(path, create=True)
    assert schema.is_current(db) and pending(db) == []
    assert {"events", "checkins"} <= set(db.utils.table_names())


def test_an_older_file_is_brought_up_to_date_when_opened(tmp_path):
    path = tmp_path / "old.db"
    old = bare_store(path)
    schema.migrations().apply(old.utils, stop_before="m002_checkins")
    assert not schema.is_current(old) and pending(old) == ["m002_checkins", "m003_record", "m004_sync"]
    old.close()
    db = connect(path)
    assert schema.is_current(db) and pending(db) == []
    assert "checkins" in db.utils.table_names()


def test_steps_of_another_migration_set_do_not_count(tmp_path):
    path = tmp_path / "other.db"
    other = bare_store(path)
    other.execute(f"CREATE TABLE {schema.APPLIED} (migration_set TEXT, name TEXT, applied_at TEXT)")
    other.execute(f"INSERT INTO {schema.APPLIED} VALUES ('another-app', 'm001_door', ''), "
                  "('another-app', 'm002_checkins', '')")
    assert not schema.is_current(other)
    assert pending(other) == [step.__name__ for step in schema.STEPS]
