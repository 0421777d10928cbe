"""Opening the database file durably and safely, and write transactions that never see "locked".

Durability: WAL with ``synchronous=FULL``, so a committed transaction is on disk when COMMIT returns.
Concurrency: every write starts with ``BEGIN IMMEDIATE`` (take the write lock first, waiting up to
``BUSY_TIMEOUT_MS``), so two kiosks on one file queue up instead of failing with "database is locked".
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.errors import StoreError
from kiosk.files import private_folder

if TYPE_CHECKING:
    import sqlite_utils

__all__ = ["Store", "StoreError", "explain", "open_connection", "snapshot", "write"]

BUSY_TIMEOUT_MS = 30_000
SQLITE_HEADER = b"SQLite format 3\x00"


class Store:
    """One open kiosk database: its connection for plain SQL, and sqlite-utils' table tools on demand.

    The door's own work (a scan, the door view, the log) is plain SQL on the connection.  sqlite-utils
    (``utils``: table inserts and upserts, savepoints, migrations) is imported the first time something
    needs it, which keeps its imports (about 50 ms, see BENCHMARKS.md) off the door's start-up and scans.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn, self.path = conn, path

    def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, parameters)

    @functools.cached_property
    def utils(self) -> sqlite_utils.Database:
        import sqlite_utils

        return sqlite_utils.Database(self.conn, execute_plugins=False)  # no third-party hooks at the door

    def __getitem__(self, table: str) -> sqlite_utils.db.Table:
        """``db["people"].upsert(...)``: a sqlite-utils table on this connection."""
        return self.utils.table(table)

    def explain(self, error: sqlite3.Error) -> str:
        """Plain words for a SQLite failure on this file (see ``explain``)."""
        return explain(self.path, error)

    def close(self) -> None:
        self.conn.close()


def check_file(path: Path) -> None:
    """Refuse, with advice, a file that is not a SQLite database; never overwrite it."""
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except PermissionError:
        raise StoreError(f"{path}: permission denied - run the kiosk as the user who owns this file.") from None
    except OSError as error:
        raise StoreError(f"{path}: cannot be read ({error.strerror}).") from None
    if header and header != SQLITE_HEADER:
        raise StoreError(
            f"{path} is not a kiosk database (not a SQLite file). It was left untouched - "
            "check the path, or restore the database from a backup."
        )


def create_private(path: Path) -> None:
    """Create an empty file readable by its owner only; SQLite gives -wal and -shm the same mode."""
    private_folder(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(descriptor)


def open_connection(path: Path) -> Store:
    """A connection to the SQLite file at ``path`` with the durable pragmas (WAL, ``synchronous=FULL``).

    The file must be one the caller has checked (``kiosk.store.connect``): switching to WAL writes to it.
    """
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] != "wal":
            conn.close()
            raise StoreError(f"{path}: the database cannot use its write-ahead log here (read-only or network disk?).")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA recursive_triggers = ON")  # as sqlite-utils has it: REPLACE fires DELETE triggers
    except sqlite3.DatabaseError as error:
        raise StoreError(explain(path, error)) from None
    return Store(conn, path)


def explain(path: str | Path, error: sqlite3.Error) -> str:
    """Plain words for a SQLite failure, naming the file and what to do."""
    text = str(error).lower()
    if "locked" in text or "busy" in text:
        return f"{path} is busy: another program holds it locked. NOT RECORDED - close that program and try again."
    if "readonly" in text or "read-only" in text:
        return f"{path} (or its folder) is read-only: the kiosk must be able to write there. NOT RECORDED."
    if "full" in text:
        return f"The disk holding {path} is full. NOT RECORDED - free some space; the kiosk resumes by itself."
    if "disk i/o error" in text:  # e.g. no room left for the shared-memory index when a kiosk starts
        return (f"{path} could not be read or written (disk I/O error): the disk is full or failing. "
                "NOT RECORDED - free some space or check the disk, then try again.")
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return (f"{path} is damaged ({error}). It was left untouched - restore it from a backup, "
                "or keep it for inspection and start a new file.")
    if "unable to open" in text:
        return f"{path} cannot be opened: check that the folder exists and is writable."
    return f"{path}: database error ({error})."


@contextlib.contextmanager
def write(db: Store) -> Iterator[Store]:
    """One atomic write: all of it is on disk when the block ends, or none of it is.

    ``BEGIN IMMEDIATE`` takes the write lock up front, so reads made inside the block (the last hash of the
    log, who is inside) cannot be changed by another kiosk before this block commits.  Nested blocks become
    savepoints through sqlite-utils' ``atomic()``.  A failure of the file itself (disk full, read-only, busy)
    leaves as a ``StoreError`` in plain words, so every caller (CLI, door screen) can show it as it is.
    """
    if db.conn.in_transaction:
        with db.utils.atomic():
            yield db
        return
    try:
        db.execute("BEGIN IMMEDIATE")
        yield db
        db.execute("COMMIT")
    except BaseException as error:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        if isinstance(error, sqlite3.OperationalError):  # disk full, read-only, busy: say so, and NOT RECORDED
            raise StoreError(explain(db.path, error)) from error
        raise


@contextlib.contextmanager
def snapshot(db: Store) -> Iterator[Store]:
    """One read transaction: every query in the block sees the file as it was at the block's first read, however
    many writes commit meanwhile (WAL keeps that snapshot for the reader without holding up the writer)."""
    db.execute("BEGIN DEFERRED")
    try:
        yield db
    finally:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")  # nothing to keep: a reader only ends its snapshot
