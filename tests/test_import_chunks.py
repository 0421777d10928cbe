"""A long crew list recorded in chunks, all-or-nothing by the log (kiosk.core.imports): its events are inert until
the closing event, for the fold on this file, the audit's rebuild, the door and every machine the events travel
to.  Chunks are made small here (``CHUNK_ROWS``) so that a short list takes several; the real size is proved by
tests/reliability/test_long_writes*.py with a real ``kiosk people import``."""

from __future__ import annotations

import shutil

import pytest

from kiosk.core import imports
from kiosk.errors import ServiceError
from kiosk.services import door, roster
from kiosk.services.lookup import get_person
from kiosk.store import audit as store_audit
from kiosk.store import batch as batch_records
from kiosk.store import connect, record
from kiosk.store.db import write
from tests.support import KIOSK

CHUNK = 3


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(roster, "CHUNK_ROWS", CHUNK)
    monkeypatch.setattr(roster, "CHUNK_PAUSE", 0.0)


def crew_list(count: int, name: str = "Person") -> bytes:
    return ("Ref,Name,Kind\n" + "".join(f"N{i:03d},{name} {i:03d},crew\n" for i in range(1, count + 1))).encode()


def listed(db) -> dict[str, str]:
    return dict(db.execute("SELECT ref, name FROM people WHERE ref LIKE 'N%' ORDER BY ref"))


def sound(db) -> None:
    """The chain intact and every table what the log alone makes."""
    assert store_audit.verify(db).ok
    assert store_audit.differences(db) == []


class Cut(Exception):
    pass


def cut_before_the_close(monkeypatch) -> None:
    """The import dies once its chunks are on disk, before its closing event (as a kill -9 there would)."""
    def die(*_args, **_kwargs):
        raise Cut

    monkeypatch.setattr(batch_records, "close_import", die)


def test_a_long_list_is_written_in_chunks_and_put_in_force_by_one_event(db, crew, small_chunks):
    before = db.writes_done
    result = roster.import_people(db, crew_list(10), KIOSK)
    assert result.ok and len(result.added) == 10
    assert db.writes_done - before == 4 + 1  # four chunks of at most three, then the close
    assert len(listed(db)) == 10
    named = {row[0] for row in db.execute("SELECT json_extract(payload, '$.body.import') FROM events "
                                          "WHERE type = 'person.saved' AND key LIKE 'person/N%'")}
    assert len(named) == 1 and None not in named
    closing = db.execute("SELECT key, json_extract(payload, '$.body.people') FROM events WHERE type = ?",
                         [imports.IMPORTED]).fetchall()
    assert closing == [(imports.import_key(named.pop()), 10)]
    sound(db)


def test_a_short_list_is_still_one_transaction_with_no_closing_event(db, crew, small_chunks):
    before = db.writes_done
    assert roster.import_people(db, crew_list(CHUNK), KIOSK).ok
    assert db.writes_done - before == 1
    assert db.execute("SELECT COUNT(*) FROM events WHERE type = ?", [imports.IMPORTED]).fetchone()[0] == 0
    sound(db)


def test_an_import_cut_off_before_its_close_counts_nobody_and_a_rerun_counts_all(db, crew, small_chunks,
                                                                                 monkeypatch):
    assert roster.import_people(db, crew_list(2, "Old"), KIOSK).ok  # N001, N002 on the roster already
    with monkeypatch.context() as patched:
        cut_before_the_close(patched)
        with pytest.raises(Cut):
            roster.import_people(db, crew_list(10, "New"), KIOSK)
    inert = db.execute("SELECT COUNT(*) FROM events WHERE type = 'person.saved' AND "
                       "json_extract(payload, '$.body.import') IS NOT NULL").fetchone()[0]
    assert inert == 10  # on record, in force for nobody
    assert listed(db) == {"N001": "Old 001", "N002": "Old 002"}  # the changed people unchanged, nobody added
    with pytest.raises(ServiceError, match="Nobody with the ref 'N007'"):
        get_person(db, "N007")
    with pytest.raises(ServiceError):
        door.admit_by_lookup(db, "42", "N007", "set", "forgot the badge", KIOSK)
    assert record.fold_from_log(db, "person/N001").winner.body["name"] == "Old 001"
    sound(db)  # the rebuild leaves the inert events out too
    with write(db):
        store_audit.rebuild(db)
    assert listed(db) == {"N001": "Old 001", "N002": "Old 002"}

    result = roster.import_people(db, crew_list(10, "New"), KIOSK)  # the same list again: all of it
    assert sorted(result.updated) == ["N001", "N002"] and len(result.added) == 8
    assert listed(db) == {f"N{i:03d}": f"New {i:03d}" for i in range(1, 11)}
    sound(db)


def test_a_change_made_between_the_chunks_is_folded_with_the_import(db, crew, small_chunks, monkeypatch):
    """Someone saves a person of the list while it is being imported: the close folds those keys from the log
    again (the rows kept by the chunks may be out of date), and the tables stay what the log says."""
    pauses = iter(range(100))

    def meanwhile(_seconds):
        if next(pauses) == 1:
            roster.add_person(db, "office-2", "Changed Meanwhile", "crew", ref="N002")

    monkeypatch.setattr(roster.time, "sleep", meanwhile)
    assert roster.import_people(db, crew_list(10), KIOSK).ok
    assert len(listed(db)) == 10
    sound(db)


def exchange(source, target, split_type: str | None = None) -> None:
    """What a sync does: ``target`` receives the events of ``source`` it lacks, in order (in two pulls, the
    second from the first event of ``split_type``)."""
    known = {row[0] for row in target.execute("SELECT event_id FROM events")}
    lacking = [item.event for item in record.all_events(source) if item.event.id not in known]
    cut = next((i for i, event in enumerate(lacking) if event.type == split_type), len(lacking))
    for part in (lacking[:cut], lacking[cut:]):
        with write(target):
            record.receive_all(target, part)


def test_the_events_travel_and_every_machine_folds_them_alike(db, db_path, crew, small_chunks, monkeypatch,
                                                              tmp_path):
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(db_path, tmp_path / "b.db")
    other = connect(tmp_path / "b.db", device="door-b")
    try:
        with monkeypatch.context() as patched:
            cut_before_the_close(patched)
            with pytest.raises(Cut):
                roster.import_people(db, crew_list(10, "Cut"), KIOSK)
        exchange(db, other)
        assert listed(other) == {} and listed(db) == {}
        sound(other)

        assert roster.import_people(db, crew_list(10), KIOSK).ok
        exchange(db, other, split_type=imports.IMPORTED)  # the chunks in one pull, the closing event in the next
        assert listed(other) == listed(db) and len(listed(other)) == 10
        sound(other)
        sound(db)
    finally:
        other.close()


def test_a_long_writes_quick_tries_take_the_lock_once_free_and_give_up_at_the_busy_timeout(db, db_path,
                                                                                           monkeypatch):
    import sqlite3
    import threading

    from kiosk.errors import StoreError
    from kiosk.store import db as store_db

    holder = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    threading.Timer(0.3, holder.rollback).start()
    with write(db, poll=store_db.LONG_WRITE_POLL):
        db.execute("INSERT INTO sealed (digest, blob) VALUES ('x', x'00')")
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == store_db.BUSY_TIMEOUT_MS  # put back
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 200)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="busy"), write(db, poll=store_db.LONG_WRITE_POLL):
            pass
    finally:
        holder.rollback()
        holder.close()


def test_a_long_lists_photos_are_kept_with_its_close_and_not_before(db, crew, small_chunks, monkeypatch, tmp_path):
    import io

    from PIL import Image

    from kiosk.services import photos

    face = io.BytesIO()
    Image.new("RGB", (400, 500), (120, 90, 60)).save(face, "PNG")
    (tmp_path / "n005.png").write_bytes(face.getvalue())
    data = ("Ref,Name,Kind,Photo\n" + "".join(f"N{i:03d},Person {i:03d},crew,{'n005.png' if i == 5 else ''}\n"
                                             for i in range(1, 11))).encode()
    with monkeypatch.context() as patched:
        cut_before_the_close(patched)
        with pytest.raises(Cut):
            roster.import_people(db, data, KIOSK, base=tmp_path)
    assert photos.photo_of(db, "N005") is None
    assert roster.import_people(db, data, KIOSK, base=tmp_path).ok
    assert photos.photo_of(db, "N005") is not None and len(listed(db)) == 10
    sound(db)
