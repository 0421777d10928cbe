"""The ``events`` table's shape, and the check that it is still that shape.

Every column but the row's place (``id``), its text (``payload``), its hash and the local chain is *generated*
from the payload by SQLite itself (``GENERATED ALWAYS AS (json_extract(payload, ...)) STORED``): an UPDATE of
``decision``, ``key``, ``type``, ``hlc``... is refused by SQLite, triggers or no triggers, so no edit of an
indexed column can hide an event from the door's questions or change what it means.  The payload is covered by
the event's hash and the chain.  Only rebuilding the table could make the columns say something else, and that
changes the table's text in ``sqlite_master``: ``check`` compares it with ``EVENTS_TABLE`` when a file is
opened and, cheaply (``PRAGMA schema_version``), before every write transaction.
"""

from __future__ import annotations

import sqlite3

from kiosk.errors import StoreError

# name -> the payload's path; STORED, so that the door's reads never parse JSON.
GENERATED = (
    ("event_id", "$.id", "TEXT NOT NULL UNIQUE"),
    ("device", "$.device", "TEXT NOT NULL"),
    ("seq", "$.seq", "INTEGER NOT NULL"),
    ("hlc", "$.hlc", "TEXT NOT NULL"),
    ("at", "$.at", "TEXT NOT NULL"),
    ("type", "$.type", "TEXT NOT NULL"),
    ("key", "$.key", "TEXT NOT NULL"),
    ("scene", "$.body.scene", "TEXT"),
    ("person", "$.body.person", "TEXT"),
    ("badge", "$.body.badge", "TEXT"),
    ("zone", "$.body.zone", "TEXT"),
    ("decision", "$.body.decision", "TEXT"),
    ("reason", "$.body.reason", "TEXT"),
)

EVENTS_TABLE = (
    "CREATE TABLE events (id INTEGER PRIMARY KEY, payload TEXT NOT NULL, hash TEXT NOT NULL, "
    "chain TEXT NOT NULL, "
    + ", ".join(
        f"{name} {kind} GENERATED ALWAYS AS (json_extract(payload, '{path}')) STORED" for name, path, kind in GENERATED
    )
    + ")"
)

EVENTS_EXTRAS = """
    CREATE INDEX events_key ON events(key, hlc, device, seq) WHERE decision IS NULL;  -- all but door answers
    CREATE INDEX events_door ON events(scene, person, zone, hlc, device, seq) WHERE decision IS NOT NULL;
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the record is append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the record is append-only'); END;
"""

DAMAGED = (
    "The record is damaged: {what} - run `kiosk audit verify` and call the supervisor (restore the file "
    "from a backup, or keep it for inspection)"
)


def problem(conn: sqlite3.Connection) -> str:
    """What is wrong with the events table's shape (empty: nothing)."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'").fetchone()
    if row is None:
        return "the events table is gone"
    if row[0] != EVENTS_TABLE:
        return "the events table was rebuilt outside the kiosk (its columns may no longer be what each event says)"
    return ""


def check(conn: sqlite3.Connection, seen: list[int], version: int) -> None:
    """Refuse (``StoreError``) a file whose events table is not the kiosk's; ``version`` is the file's schema
    version now (``PRAGMA schema_version``), ``seen`` the one last found good on this connection, so that the
    table's text is read again only when the schema moved."""
    if seen and seen[0] == version:
        return
    found = problem(conn)
    if found:
        raise StoreError(DAMAGED.format(what=found))
    seen[:] = [version]
