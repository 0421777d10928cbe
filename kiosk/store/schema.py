"""The schema, as ordered sqlite-utils migrations.  Add a step (a function, listed in ``STEPS``) to change it;
never edit an old one."""

from __future__ import annotations

import sqlite3
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.store import ledger
from kiosk.store.db import Store, write

if TYPE_CHECKING:
    from sqlite_utils import Database, Migrations

MIGRATION_SET = "kiosk"
APPLIED = "_sqlite_migrations"  # where sqlite-utils records the migrations it has applied


def m001_door(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE production (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            name TEXT NOT NULL,
            created_at TEXT NOT NULL,
            duplicate_window REAL NOT NULL DEFAULT 5
        );
        CREATE TABLE people (
            id INTEGER PRIMARY KEY,
            ref TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            department TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL DEFAULT '',
            kind TEXT NOT NULL CHECK (kind IN ('cast', 'crew')),
            updated_at TEXT NOT NULL
        );
        CREATE TABLE badges (
            id INTEGER PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES people(id),
            code TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL CHECK (status IN ('active', 'revoked', 'superseded')),
            issued_at TEXT NOT NULL,
            ended_at TEXT,
            end_reason TEXT
        );
        CREATE UNIQUE INDEX one_active_badge ON badges(person_id) WHERE status = 'active';
        CREATE TABLE scenes (
            id INTEGER PRIMARY KEY,
            ref TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            location TEXT NOT NULL DEFAULT '',
            date TEXT NOT NULL DEFAULT '',
            coordinator_id INTEGER REFERENCES people(id),
            state TEXT NOT NULL DEFAULT 'draft'
                CHECK (state IN ('draft', 'open', 'rolling', 'hold', 'lifted')),
            created_at TEXT NOT NULL
        );
        CREATE TABLE performers (
            scene_id INTEGER NOT NULL REFERENCES scenes(id),
            person_id INTEGER NOT NULL REFERENCES people(id),
            PRIMARY KEY (scene_id, person_id)
        );
        -- The approved list as it stands now; every change to it is also a row of the log.
        CREATE TABLE approvals (
            scene_id INTEGER NOT NULL REFERENCES scenes(id),
            person_id INTEGER NOT NULL REFERENCES people(id),
            zone TEXT NOT NULL CHECK (zone IN ('set', 'monitors')),
            approved_by TEXT NOT NULL,
            approved_at TEXT NOT NULL,
            temporary INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (scene_id, person_id, zone)
        );
        -- The append-only, hash-chained record of everything that happened at the door.
        CREATE TABLE log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            kiosk TEXT NOT NULL,
            kind TEXT NOT NULL,
            scan_id TEXT UNIQUE,
            scene_id INTEGER,
            person_id INTEGER,
            badge_id INTEGER,
            zone TEXT,
            decision TEXT,
            reason TEXT,
            raw TEXT,
            layout TEXT,
            detail TEXT,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE INDEX log_presence ON log(scene_id, person_id, zone, id);
        CREATE INDEX log_badge ON log(badge_id, id);
        CREATE INDEX log_scene ON log(scene_id, id);
        CREATE TRIGGER log_no_update BEFORE UPDATE ON log
            BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
        CREATE TRIGGER log_no_delete BEFORE DELETE ON log
            BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
        -- The newest row's id and hash, so that cutting rows off the end of the log is detected too.
        CREATE TABLE log_head (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            last_id INTEGER NOT NULL,
            last_hash TEXT NOT NULL
        );
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """
    )


def m002_checkins(db: Database) -> None:
    db.executescript(
        """
        -- Post-scene wellbeing check-ins.  In the clear: who, which scene, the status, dates and times.
        -- Everything the IC writes (note, signposting, follow-up owner) is in ``sealed``: AES-GCM under a key
        -- derived from the IC's passphrase, bound to this row; NULL while pending and after a purge.
        CREATE TABLE checkins (
            id INTEGER PRIMARY KEY,
            scene_id INTEGER NOT NULL REFERENCES scenes(id),
            person_id INTEGER NOT NULL REFERENCES people(id),
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'ok', 'needs-a-moment', 'follow-up', 'declined')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            checked_in_at TEXT,
            follow_up_due TEXT,
            follow_up_done_on TEXT,
            notes_read_at TEXT,
            purged_at TEXT,
            sealed BLOB,
            UNIQUE (scene_id, person_id)
        );
        CREATE INDEX checkins_follow_up ON checkins(follow_up_done_on, follow_up_due);
        CREATE INDEX checkins_updated ON checkins(updated_at);
        """
    )


RECORD_SCHEMA = """
    -- The record: every change, hash-chained (see kiosk.store.record).  Rows are never updated or deleted.
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        device TEXT NOT NULL,
        seq INTEGER NOT NULL,
        hlc TEXT NOT NULL,
        at TEXT NOT NULL,
        type TEXT NOT NULL,
        key TEXT NOT NULL,
        payload TEXT NOT NULL,
        hash TEXT NOT NULL,
        chain TEXT NOT NULL,
        scene TEXT, person TEXT, badge TEXT, zone TEXT, decision TEXT, reason TEXT
    );
    -- Few indexes, each one a question the door asks: every index a scan touches is a page written at each scan.
    -- A device's events in order are found by its head (chains) and the rows' ids; a report reads the
    -- whole log once.
    CREATE INDEX events_key ON events(key, hlc, device, seq) WHERE decision IS NULL;  -- all but door answers
    CREATE INDEX events_door ON events(scene, person, zone, hlc, device, seq) WHERE decision IS NOT NULL;
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the record is append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the record is append-only'); END;
    -- The heads of the chains, in one small table (one page written per change): each device's newest event
    -- here (where its next one must follow on), and under the device '' the local chain's newest row (seq: its
    -- id), so that rows cut off the end show, with the newest clock reading seen.
    CREATE TABLE chains (device TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL, hlc TEXT);
    INSERT INTO chains VALUES ('', 0, '0000000000000000000000000000000000000000000000000000000000000000',
                               '0000000000000-0000');
    -- Sealed check-in content, named by its digest from the event that recorded it; erased by a purge.
    CREATE TABLE sealed (digest TEXT PRIMARY KEY, blob BLOB NOT NULL);

    -- Projections: each row made by the events of one key (source_key), decided by one of them (set_by).
    -- heads: per key, the deciding event (its id, its local id) and the frontier (parents of the key's next event).
    CREATE TABLE heads (key TEXT PRIMARY KEY, event_id TEXT NOT NULL, event INTEGER NOT NULL, parents TEXT NOT NULL);
    CREATE TABLE conflicts (key TEXT NOT NULL, kept TEXT NOT NULL, lost TEXT NOT NULL, words TEXT NOT NULL,
                            PRIMARY KEY (key, kept, lost));
    CREATE TABLE production (id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL, created_at TEXT NOT NULL,
                             source_key TEXT NOT NULL, set_by INTEGER NOT NULL);
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL, source_key TEXT NOT NULL,
                           set_by INTEGER NOT NULL);
    CREATE TABLE people (
        ref TEXT PRIMARY KEY, name TEXT NOT NULL, department TEXT NOT NULL, role TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('cast', 'crew')), updated_at TEXT NOT NULL,
        source_key TEXT NOT NULL, set_by INTEGER NOT NULL);
    CREATE INDEX people_name ON people(name COLLATE NOCASE);
    CREATE TABLE badges (
        digest TEXT PRIMARY KEY, person TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'revoked', 'superseded')),
        issued_at TEXT NOT NULL, ended_at TEXT, end_reason TEXT, source_key TEXT NOT NULL, set_by INTEGER NOT NULL);
    CREATE INDEX badges_person ON badges(person, status);
    CREATE TABLE scenes (
        ref TEXT PRIMARY KEY, title TEXT NOT NULL, location TEXT NOT NULL, date TEXT NOT NULL, coordinator TEXT,
        created_at TEXT NOT NULL, source_key TEXT NOT NULL, set_by INTEGER NOT NULL);
    CREATE TABLE scene_states (
        scene TEXT PRIMARY KEY, state TEXT NOT NULL CHECK (state IN ('draft', 'open', 'rolling', 'hold', 'lifted')),
        run INTEGER NOT NULL, state_at TEXT NOT NULL, source_key TEXT NOT NULL, set_by INTEGER NOT NULL);
    CREATE TABLE performers (scene TEXT NOT NULL, person TEXT NOT NULL, source_key TEXT NOT NULL,
                             set_by INTEGER NOT NULL, PRIMARY KEY (scene, person));
    CREATE TABLE approvals (
        scene TEXT NOT NULL, person TEXT NOT NULL, zone TEXT NOT NULL CHECK (zone IN ('set', 'monitors')),
        approved_by TEXT NOT NULL, approved_at TEXT NOT NULL, temporary INTEGER NOT NULL,
        source_key TEXT NOT NULL, set_by INTEGER NOT NULL, PRIMARY KEY (scene, person, zone));
    CREATE TABLE checkins (
        scene TEXT NOT NULL, run INTEGER NOT NULL, person TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'ok', 'needs-a-moment', 'follow-up', 'declined')),
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL, checked_in_at TEXT, follow_up_due TEXT,
        follow_up_done_on TEXT, notes_read_at TEXT, purged_at TEXT, sealed TEXT, binding TEXT,
        source_key TEXT NOT NULL, set_by INTEGER NOT NULL, PRIMARY KEY (scene, run, person));
    CREATE INDEX checkins_follow_up ON checkins(follow_up_done_on, follow_up_due);
    CREATE INDEX badges_source ON badges(source_key);
    CREATE INDEX settings_source ON settings(source_key);
    CREATE INDEX checkins_source ON checkins(source_key);
"""


LEGACY = (
    "production",
    "people",
    "badges",
    "scenes",
    "performers",
    "approvals",
    "log",
    "log_head",
    "settings",
    "checkins",
)


def m003_record(db: Database) -> None:
    """The log becomes the record of truth: the tables are projections of ``events``.  The first release's
    tables are kept as ``legacy_*`` until ``kiosk.store.upgrade`` has made their content events and drops them."""
    for table in LEGACY:
        db.execute(f"ALTER TABLE {table} RENAME TO legacy_{table}")
    for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger') "
        "AND tbl_name LIKE 'legacy_%' AND sql IS NOT NULL"
    ).fetchall():
        kind = db.execute("SELECT type FROM sqlite_master WHERE name = ?", [name]).fetchone()[0]
        db.execute(f"DROP {kind} {name}")
    db.executescript(RECORD_SCHEMA)


def m004_sync(db: Database) -> None:
    """What this file knows of the hub (kiosk.store.sync): never part of the record, only where syncing stands."""
    db.executescript(
        """
        -- Per hub device this file syncs as: every event of it up to local row pushed_id is held by the hub,
        -- which said (after committing) that it holds up to held_seq; the last sync that got through, since
        -- when none has, why, and the clock skew the hub measured.
        CREATE TABLE sync (
            device TEXT PRIMARY KEY,
            pushed_id INTEGER NOT NULL DEFAULT 0,
            held_seq INTEGER NOT NULL DEFAULT 0,
            last_success TEXT,
            offline_since TEXT,
            last_error TEXT,
            last_reason TEXT,
            skew REAL,
            skew_flagged INTEGER NOT NULL DEFAULT 0
        );
        """
    )


_CHECKIN_COLUMNS = (
    "scene, run, person, status, created_at, updated_at, checked_in_at, follow_up_due, "
    "follow_up_done_on, notes_read_at, purged_at, sealed, binding, source_key, set_by"
)


def m005_protocol(db: Database) -> None:
    """The closed-set protocol: photos (their bytes apart, erasable), the production's checklist and each
    scene's readiness, the performers' riders and their own choice to work without an IC, holds that wait for
    the IC, and check-ins offered to everyone who was inside (closed as not needed when so)."""
    db.executescript(
        f"""
        ALTER TABLE scene_states ADD COLUMN waiting_for TEXT CHECK (waiting_for IN ('ic'));
        ALTER TABLE checkins RENAME TO checkins_before;
        DROP INDEX checkins_follow_up;
        DROP INDEX checkins_source;
        CREATE TABLE checkins (
            scene TEXT NOT NULL, run INTEGER NOT NULL, person TEXT NOT NULL,
            status TEXT NOT NULL
                CHECK (status IN ('pending', 'ok', 'needs-a-moment', 'follow-up', 'declined', 'not-needed')),
            offered INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL, checked_in_at TEXT, follow_up_due TEXT,
            follow_up_done_on TEXT, notes_read_at TEXT, purged_at TEXT, sealed TEXT, binding TEXT,
            source_key TEXT NOT NULL, set_by INTEGER NOT NULL, PRIMARY KEY (scene, run, person));
        INSERT INTO checkins ({_CHECKIN_COLUMNS}) SELECT {_CHECKIN_COLUMNS} FROM checkins_before;
        DROP TABLE checkins_before;
        CREATE INDEX checkins_follow_up ON checkins(follow_up_done_on, follow_up_due);
        CREATE INDEX checkins_source ON checkins(source_key);

        -- A person's photo: the bytes (a small JPEG) named by their digest, apart from the log so that removing
        -- a photo erases it for good; the event that set it names the digest.
        CREATE TABLE photo_blobs (digest TEXT PRIMARY KEY, image BLOB NOT NULL);
        CREATE TABLE photos (
            person TEXT PRIMARY KEY, digest TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
            added_by TEXT NOT NULL, added_at TEXT NOT NULL, source_key TEXT NOT NULL, set_by INTEGER NOT NULL);
        -- The production's own changes to the default checklist (kiosk.core.protocol has the defaults).
        CREATE TABLE checklist_items (
            item TEXT PRIMARY KEY, words TEXT NOT NULL, required INTEGER NOT NULL, removed INTEGER NOT NULL,
            changed_at TEXT NOT NULL, source_key TEXT NOT NULL, set_by INTEGER NOT NULL);
        CREATE TABLE readiness (
            scene TEXT NOT NULL, item TEXT NOT NULL, confirmed_by TEXT NOT NULL, confirmed_at TEXT NOT NULL,
            source_key TEXT NOT NULL, set_by INTEGER NOT NULL, PRIMARY KEY (scene, item));
        CREATE TABLE riders (
            scene TEXT NOT NULL, person TEXT NOT NULL, agreed_on TEXT NOT NULL, recorded_by TEXT NOT NULL,
            recorded_at TEXT NOT NULL, source_key TEXT NOT NULL, set_by INTEGER NOT NULL,
            PRIMARY KEY (scene, person));
        CREATE TABLE no_ic (
            scene TEXT NOT NULL, person TEXT NOT NULL, chosen_at TEXT NOT NULL, source_key TEXT NOT NULL,
            set_by INTEGER NOT NULL, PRIMARY KEY (scene, person));
        """
    )


def m006_generated_columns(db: Database) -> None:
    """The events table's columns become generated from each event's payload (kiosk.store.ledger): SQLite refuses
    an UPDATE of them, so no edit of ``decision``, ``key`` or any other column can hide an event from the door or
    change what it means.  The rows are copied as they are (id, payload, hash, chain): the chain is unchanged."""
    db.execute("ALTER TABLE events RENAME TO events_before_m006")
    db.execute(ledger.EVENTS_TABLE)
    db.execute(
        "INSERT INTO events (id, payload, hash, chain) SELECT id, payload, hash, chain FROM events_before_m006 "
        "ORDER BY id"
    )
    db.execute("DROP TABLE events_before_m006")  # its indexes and triggers with it
    db.executescript(ledger.EVENTS_EXTRAS)


STEPS = (m001_door, m002_checkins, m003_record, m004_sync, m005_protocol, m006_generated_columns)


def migrations() -> Migrations:
    """The steps as sqlite-utils ``Migrations``, which records what it applies in ``APPLIED``."""
    from sqlite_utils import Migrations

    steps = Migrations(MIGRATION_SET)
    for step in STEPS:
        steps()(step)
    return steps


class FileKind(Enum):
    EMPTY = "empty"  # a new or empty SQLite file: a kiosk database may be made in it
    KIOSK = "kiosk"  # a kiosk database this version knows (perhaps one to bring up to date)
    NEWER = "newer"  # a kiosk database with steps this version does not know: made by a newer kiosk
    FOREIGN = "foreign"  # another program's database


def probe(path: Path) -> FileKind:
    """What the SQLite file at ``path`` holds, found without changing a byte of it.

    Without a write-ahead log beside it, the file is read as immutable: SQLite then takes no lock and makes no
    -wal or -shm file.  With one, that log may hold the newest schema, so it is read as usual (the files exist
    already).
    """
    wal = Path(f"{path}-wal").exists()
    uri = f"{path.resolve().as_uri()}?{'mode=ro' if wal else 'immutable=1'}"
    conn = sqlite3.connect(uri, uri=True)
    try:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return FileKind.EMPTY
        if APPLIED not in tables:
            return FileKind.FOREIGN
        applied = {
            name for (name,) in conn.execute(f"SELECT name FROM {APPLIED} WHERE migration_set = ?", [MIGRATION_SET])
        }
    finally:
        conn.close()
    if not applied:
        return FileKind.FOREIGN
    return FileKind.NEWER if applied - {step.__name__ for step in STEPS} else FileKind.KIOSK


def is_current(db: Store) -> bool:
    """Whether every step is applied, asked in plain SQL: a kiosk opening its usual file skips sqlite-utils."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [APPLIED]).fetchone() is None:
        return False
    applied = {name for (name,) in db.execute(f"SELECT name FROM {APPLIED} WHERE migration_set = ?", [MIGRATION_SET])}
    return applied >= {step.__name__ for step in STEPS}


def migrate(db: Store, device: str) -> None:
    """Bring the file to the current schema in one transaction; safe when several kiosks open a new file at once.

    A file from the first release is carried over (``kiosk.store.upgrade``), its history becoming events of
    ``device``, the kiosk that opens it.
    """
    if is_current(db):
        return
    from kiosk.store import upgrade

    db.execute("PRAGMA secure_delete = ON")  # the first release's tables held badge codes: zeroed as dropped
    with write(db):
        migrations().apply(db.utils)
        carried = upgrade.carry_over(db, device)
    if carried:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # and the file itself no longer holds the old pages
