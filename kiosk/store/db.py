"""Opening the database file durably and safely, and write transactions that never see "locked".

Durability: WAL with ``synchronous=FULL``, so a committed transaction is on disk when COMMIT returns.
Concurrency: every write starts with ``BEGIN IMMEDIATE`` (take the write lock first, waiting up to
``BUSY_TIMEOUT_MS``), so two kiosks on one file queue up instead of failing with "database is locked".
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.errors import StoreError
from kiosk.files import SQLITE_HEADER, private_folder
from kiosk.store import ledger
from kiosk.store.memo import Memo

if TYPE_CHECKING:
    import sqlite_utils

__all__ = ["Store", "StoreError", "explain", "open_connection", "snapshot", "write"]

BUSY_TIMEOUT_MS = 30_000
LONG_WRITE_POLL = 0.002  # seconds between tries for the lock of a long write done in short transactions (``_begin``)
MIN_ROOM = 1 << 20  # free bytes under which a disk I/O error is taken for a full disk


class Store:
    """One open kiosk database: its connection for plain SQL, and sqlite-utils' table tools on demand.

    The door's own work (a scan, the door view, the log) is plain SQL on the connection.  sqlite-utils
    (``utils``: table inserts and upserts, savepoints, migrations) is imported the first time something
    needs it, which keeps its imports (about 50 ms, see BENCHMARKS.md) off the door's start-up and scans.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn, self.path = conn, path
        self.guarded = False  # set once the file is at the current schema: each write checks the events table
        self.schema_seen: list[int] = []  # the schema version last found good (kiosk.store.ledger.check)
        self.writes_begun = self.writes_done = 0  # this connection's write transactions (see ``write``)
        self.memo = Memo()  # what the door read at its last scan, while nothing else changed the file
        self._opened = {suffix: identity(f"{path}{suffix}") for suffix in ("", "-wal")}  # the files it holds
        self._lost = ""  # why its files are no longer the ones it opened, once found
        self.unrecorded_tries = 0  # PIN tries checked once nothing could be recorded any more (``lost``)

    @property
    def lost(self) -> bool:
        """Whether its files were found deleted or replaced: it reads still, but records nothing any more."""
        return bool(self._lost)

    def check_files(self) -> None:
        """Refuse, with ``StoreError``, to go on when the database file or its write-ahead log at ``path`` is no
        longer the file this connection opened (deleted, or replaced by another): SQLite would go on writing
        into the deleted file, and every scan after it would be lost when the kiosk stops.

        Two ``os.stat`` calls, a few microseconds beside a commit's fsync.  Before refusing, what this
        connection still holds is saved where a person can get it back (``rescue``).
        """
        main, wal = identity(self.path), identity(f"{self.path}-wal")
        if self._opened["-wal"] is None and wal is not None and main == self._opened[""]:
            self._opened["-wal"] = wal  # the log appears with the first write of a file opened without one
        if main == self._opened[""] and wal == self._opened["-wal"]:
            return
        if self._lost:  # told already: the same words, saved once
            raise StoreError(self._lost)
        which = "database file" if main != self._opened[""] else "write-ahead log (-wal file)"
        shown = self.path if main != self._opened[""] else f"{self.path}-wal"
        self._lost = (
            f"{shown}: the {which} was deleted or replaced while the kiosk ran: this scan is NOT "
            f"RECORDED - do not admit. {self.rescue(main == self._opened[''])} Then restart the kiosk "
            "(F10, supervisor PIN, Exit the kiosk) and check the day's record (`kiosk audit verify`)."
        )
        raise StoreError(self._lost)

    def rescue(self, main_intact: bool) -> str:
        """Save what this connection can still read after its files were deleted or replaced, and say where.

        The main file still there: the log this connection writes to (deleted, but still open) is copied into
        it (a checkpoint).  The main file gone or replaced: the whole database as this connection sees it is
        written to a new private file beside it, for ``kiosk restore``.
        """
        try:
            if main_intact:
                busy, _, _ = self.conn.execute("PRAGMA wal_checkpoint(FULL)").fetchone()
                if busy:
                    return "The records up to now could not be saved into the database file (it is busy)."
                return f"The records up to now were saved into {self.path}."
            saved = self.path.with_name(f"{self.path.name}.rescued-{time.strftime('%Y%m%dT%H%M%S')}")
            create_private(saved)
            self.conn.execute("VACUUM INTO ?", [str(saved)])
            return (
                f"The records up to now were saved to {saved}: the supervisor puts them back with "
                f"`kiosk --db {self.path} restore {saved}`."
            )
        except (OSError, sqlite3.Error) as error:
            return f"The records could not be saved ({error}): keep this kiosk running and call the supervisor."

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


def identity(path: str | Path) -> tuple[int, int] | None:
    """The device and inode of the file at ``path`` (``None`` when there is none): which file it is."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


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
    if "disk i/o error" in text and wal_lost(Path(path)):
        return (
            f"{path}-wal (the database's write-ahead log) is missing or empty while its index (-shm) is in "
            "use: it was most likely deleted under a kiosk still running on this file. NOT RECORDED - do "
            "not admit. That kiosk saves what it holds at its next scan: quit it (F10, supervisor PIN, Exit the "
            "kiosk), start it again, then check the record (`kiosk audit verify`)."
        )
    if "disk i/o error" in text:  # e.g. no room left for the shared-memory index when a kiosk starts
        return (
            f"{path} could not be read or written (disk I/O error): the disk is full or failing. "
            "NOT RECORDED - free some space or check the disk, then try again."
        )
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return (
            f"{path} is damaged ({error}). It was left untouched - restore it from a backup, "
            "or keep it for inspection and start a new file."
        )
    if "unable to open" in text:
        return f"{path} cannot be opened: check that the folder exists and is writable."
    return f"{path}: database error ({error})."


def wal_lost(path: Path) -> bool:
    """Whether a disk I/O error on ``path`` is its write-ahead log deleted under a running kiosk rather than a
    full or failing disk: the -shm index is there and filled, the -wal gone or empty, and the disk has room.
    Only ``os.stat``: opening a file SQLite holds and closing it would drop this process's locks on it."""
    try:
        index = os.stat(f"{path}-shm").st_size
        log = os.stat(f"{path}-wal").st_size if os.path.exists(f"{path}-wal") else 0
        room = shutil.disk_usage(path.parent).free
    except OSError:
        return False
    return index > 0 and log == 0 and room > MIN_ROOM


def _begin(db: Store, poll: float | None) -> None:
    """``BEGIN IMMEDIATE``: SQLite's busy wait (polls from 1 ms apart to 100 ms apart), or with ``poll`` a try every
    ``poll`` seconds, for as long (``BUSY_TIMEOUT_MS``): a long write done in short transactions uses it, so that
    it finds the gaps between a busy door's scans instead of waiting ever longer between tries."""
    if poll is None:
        db.execute("BEGIN IMMEDIATE")
        return
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    db.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                db.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
            time.sleep(poll)
    finally:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


@contextlib.contextmanager
def write(db: Store, memo: bool = False, poll: float | None = None) -> Iterator[Store]:
    """One atomic write: all of it is on disk when the block ends, or none of it is.

    ``BEGIN IMMEDIATE`` takes the write lock up front, so reads made inside the block (the last hash of the
    log, who is inside) cannot be changed by another kiosk before this block commits.  Nested blocks become
    savepoints through sqlite-utils' ``atomic()``.  A failure of the file itself (disk full, read-only, busy)
    leaves as a ``StoreError`` in plain words, so every caller (CLI, door screen) can show it as it is; so
    does a database file or write-ahead log deleted or replaced under the kiosk (``Store.check_files``, before
    and after the commit).  ``writes_done`` counts the writes that reached the disk.  ``memo``: a scan, which
    may keep what it reads for the next one (``kiosk.store.memo``).  ``poll``: see ``_begin``.
    """
    if db.conn.in_transaction:
        with db.utils.atomic():
            yield db
        return
    db.writes_begun += 1
    db.check_files()  # files deleted since the last write: refuse before writing into them
    try:
        _begin(db, poll)
        if db.guarded or memo:
            schema_version = db.conn.execute("PRAGMA schema_version").fetchone()[0]
            if db.guarded:
                ledger.check(db.conn, db.schema_seen, schema_version)
            if memo:
                db.memo.open(db.conn, schema_version)
        yield db
        db.execute("COMMIT")
        db.check_files()  # deleted while this one was written: it is in no file anyone will read
        db.writes_done += 1
        db.memo.committed(db.conn)
    except BaseException as error:
        db.memo.forget()
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        if isinstance(error, sqlite3.OperationalError):  # disk full, read-only, busy: say so, and NOT RECORDED
            raise StoreError(explain(db.path, error)) from error
        raise


@contextlib.contextmanager
def snapshot(db: Store) -> Iterator[Store]:
    """One read transaction: every query in the block sees the file as it was at the block's first read, however
    many writes commit meanwhile (WAL keeps that snapshot for the reader without holding up the writer).  Inside
    a transaction already (a write, or an outer snapshot) the block is part of it: it sees one state too."""
    if db.conn.in_transaction:
        yield db
        return
    db.execute("BEGIN DEFERRED")
    try:
        yield db
    finally:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")  # nothing to keep: a reader only ends its snapshot
