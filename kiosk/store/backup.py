"""Whole copies of a kiosk file: made with SQLite's online backup API, checked, and put in place whole.

A copy is written to a private temporary file beside where it goes, checked there, flushed to disk, then moved
into place in one rename: whoever looks at the destination finds the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from kiosk.errors import StoreError
from kiosk.store.db import Store, explain

SIDECARS = ("-wal", "-shm")  # the files SQLite keeps beside a database in write-ahead-log mode
IN_USE_WAIT_MS = 500  # how long to wait for a file's other users before saying it is in use


def temporary(beside: Path) -> Path:
    """A new, empty, private (0600) file in ``beside``'s folder, named after it."""
    for _ in range(10):
        path = beside.with_name(f".{beside.name}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        return path
    raise StoreError(f"{beside.parent}: no temporary file could be made there.")


def discard(path: Path) -> None:
    """Remove a temporary database and anything SQLite left beside it."""
    for suffix in ("", *SIDECARS):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _single_file(conn: sqlite3.Connection) -> None:
    """Leave the database in one file (no write-ahead log beside it): a copy that can be moved or carried."""
    if conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] != "delete":
        raise StoreError("the copy could not be made a single file")


def copy(db: Store, target: Path) -> None:
    """Copy the open database into the empty file ``target`` in one step: the copy is the database as it was
    when the step began, every transaction committed before then and none after; the door goes on writing
    meanwhile (the copy only reads, and in write-ahead-log mode a reader holds up no writer)."""
    dest = sqlite3.connect(target, isolation_level=None)
    try:
        db.conn.backup(dest)
        _single_file(dest)
    finally:
        dest.close()


def copy_file(source: Path, target: Path) -> None:
    """Copy the database file ``source`` into ``target`` without writing a byte of ``source``
    (``sqlite3.DatabaseError`` when it cannot be read)."""
    wal = Path(f"{source}-wal").exists()
    conn = sqlite3.connect(f"{source.resolve().as_uri()}?{'mode=ro' if wal else 'immutable=1'}", uri=True)
    try:
        copy(Store(conn, source), target)
    finally:
        conn.close()


def open_readonly(path: Path) -> Store:
    """A read-only connection to a single-file copy (one made by ``copy``)."""
    return Store(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None), path)


def integrity(path: Path) -> str:
    """``PRAGMA integrity_check`` of a single-file copy: "ok", or the first problem found."""
    db = open_readonly(path)
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        return str(error)
    finally:
        db.close()


def single_file(db: Store) -> None:
    """Leave an open kiosk database in one file, before it is closed and moved (``place``)."""
    _single_file(db.conn)


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def place(temp: Path, dest: Path, *, replace: bool) -> None:
    """Move the finished file ``temp`` to ``dest`` in one rename, once its content is on disk; ``replace``
    False refuses (FileExistsError) a ``dest`` that exists, however late it appeared."""
    with open(temp, "rb+") as handle:
        os.fsync(handle.fileno())
    if replace:
        os.replace(temp, dest)
    else:
        os.link(temp, dest)
        temp.unlink()
    _sync_folder(dest.parent)


@contextlib.contextmanager
def taken(path: Path) -> Iterator[Store | None]:
    """The kiosk file at ``path`` held so that nothing else can use it while it is moved aside: yields a
    connection to read it (None when it is too damaged to read); ``StoreError`` when another program (a
    running kiosk) has it open.  Its write-ahead log is folded into it first, so the file alone is the whole."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=IN_USE_WAIT_MS / 1000)
    try:
        try:
            mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
            conn.execute("PRAGMA locking_mode = EXCLUSIVE")
            conn.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise StoreError(
                    f"{path} is in use (is the kiosk running on it?): close it first. Nothing was changed."
                ) from None
            raise StoreError(explain(path, error)) from None
        except sqlite3.DatabaseError:
            yield None  # damaged: it is moved aside as it is
            return
        if mode != "delete":
            raise StoreError(f"{path} is in use (is the kiosk running on it?): close it first. Nothing was changed.")
        yield Store(conn, path)
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def set_aside(path: Path, aside: Path) -> None:
    """Rename the kiosk file ``path`` (and anything SQLite keeps beside it) to ``aside``."""
    os.rename(path, aside)
    for suffix in SIDECARS:
        if Path(f"{path}{suffix}").exists():
            os.rename(f"{path}{suffix}", f"{aside}{suffix}")
    _sync_folder(path.parent)
