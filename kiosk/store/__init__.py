"""SQLite: the door's plain SQL, sqlite-utils for tables and migrations, queries, and the append-only log.

``connect`` is the one way to open a kiosk database: it refuses, unchanged, any file that is not one.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from pathlib import Path

from kiosk.core.events import device_name
from kiosk.store.db import (
    Store,
    StoreError,
    check_file,
    create_private,
    explain,
    open_connection,
)
from kiosk.store.schema import FileKind, is_current, migrate, probe

__all__ = ["Store", "StoreError", "connect", "read_only", "reopen"]


def default_device() -> str:
    """The kiosk id a file is opened as when none is given: ``$KIOSK_ID``, else the host name."""
    return os.environ.get("KIOSK_ID") or device_name(socket.gethostname())


def connect(path: str | Path, *, create: bool = False, device: str | None = None) -> Store:
    """Open the kiosk database at ``path`` with the durable pragmas and the current schema.

    Only ``create`` (``kiosk init``, ``kiosk demo``) makes a new database, in a new or empty file.  Any other
    file (another program's database, or one made by a newer kiosk) is refused with ``StoreError`` and left
    byte for byte as it was, as is every file in any way that makes it unusable.  A file from the first release
    is brought up to date, its history becoming events of ``device`` (the kiosk opening it).
    """
    path = Path(path)
    if not path.exists():
        if not create:
            raise StoreError(f"{path}: no database here - create one with `kiosk init --production NAME`.")
        try:
            create_private(path)
        except OSError as error:
            raise StoreError(f"{path}: cannot create the database here ({error.strerror}).") from None
    refuse_unless_kiosk_file(path, create=create)
    db = open_connection(path)
    try:
        migrate(db, device or default_device())
    except sqlite3.DatabaseError as error:
        db.close()
        raise StoreError(explain(path, error)) from None
    except BaseException:
        db.close()
        raise
    db.guarded = True
    return db


def refuse_unless_kiosk_file(path: Path, *, create: bool = False) -> FileKind:
    """What the existing file at ``path`` is, or ``StoreError`` in plain words when it is not a kiosk database of
    this version or an older one (an empty file passes only with ``create``); never changes a byte of it."""
    try:
        kind = probe(path)  # through SQLite first: reading the file outside it could drop this process's locks
    except sqlite3.DatabaseError as error:
        check_file(path)  # SQLite cannot read it: say why in plain words (not SQLite at all, permissions)
        raise StoreError(explain(path, error)) from None
    if kind is FileKind.FOREIGN:
        raise StoreError(
            f"{path} is not a kiosk database (it holds another program's tables). It was left "
            "untouched - check the path."
        )
    if kind is FileKind.NEWER:
        raise StoreError(
            f"{path} was made by a newer version of the kiosk. It was left untouched - use that "
            "version, or upgrade this one."
        )
    if kind is FileKind.EMPTY and not create:
        raise StoreError(
            f"{path} is an empty file, not a kiosk database - create one with `kiosk init --production NAME`."
        )
    return kind


def reopen(path: str | Path) -> Store:
    """Another connection to the kiosk file at ``path``, which this process has open already through
    ``connect`` (for another thread: the hub's follower, a backup): no checks and no migration, only a refusal
    of a file not at this version's schema.  (``connect`` reads a file outside SQLite only when SQLite cannot
    read it: closing any descriptor of a file drops every POSIX lock this process holds on it, which would let
    another kiosk or a restore take a file still in use.)"""
    db = open_connection(Path(path))
    if not is_current(db):
        db.close()
        raise StoreError(f"{path}: open it with the kiosk first (it is not at this version's schema).")
    db.guarded = True
    return db


def read_only(path: str | Path) -> Store:
    """A connection for long reads beside the door's writer (``reopen``, then ``query_only``: it cannot change
    the file).  In WAL a reader never blocks the writer nor waits for it; read inside ``store.db.snapshot()``."""
    db = reopen(path)
    db.execute("PRAGMA query_only = ON")
    return db
