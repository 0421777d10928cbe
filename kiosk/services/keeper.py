"""The door's automatic backups: a checked copy of the kiosk file in a folder (a USB stick) every few minutes,
made beside the door with a connection of its own (``kiosk.store.reopen``) while the door goes on scanning.

``BackupKeeper`` looks every ``look`` seconds whether a copy is due (``kiosk.services.backup.auto_backup``: the
newest in the folder is ``every`` seconds old, or there is none) and makes it.  Nothing it meets stops the door:
a full, pulled or read-only stick, a copy that fails its checks - each is told in ``status`` (a ``BackupStatus``,
and ``on_status``, called after each try) in plain words, and it tries again at the next look.  The folder is
made private (0700) when the keeper starts: created if missing (its parent must be there), tightened if it is
this user's and open to others; each copy is 0600 (``kiosk.store.backup.temporary``)"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiosk.errors import KioskError
from kiosk.services.backup import EVERY_SECONDS, KEEP, Backup, BackupFailed, auto_backup
from kiosk.store import Store, reopen

LOOK_SECONDS = 60.0  # how often the keeper looks whether a copy is due
FOLDER_MODE = 0o700

_SHORT = {
    errno.ENOSPC: "the backup folder is full",
    errno.EDQUOT: "the backup folder is full",
    errno.EROFS: "the backup folder is read-only",
    errno.EACCES: "no permission to write there",
    errno.EPERM: "no permission to write there",
    errno.ENOENT: "the backup folder is gone (USB stick out?)",
    errno.ENODEV: "the backup folder is gone (USB stick out?)",
    errno.EIO: "the USB stick does not answer",
}


@dataclass(frozen=True)
class BackupStatus:
    """Where the door's automatic backups stand: the last good copy, and the last failure since then."""

    folder: Path
    made: Backup | None = None  # the last good copy this session
    made_at: datetime | None = None
    failure: str | None = None  # a short reason, for the door's one line (None: the last try worked)
    words: str | None = None  # the whole of it, for a notification
    failed_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    def line(self, brief: bool = False) -> str:
        """For the door's hub line: "backup 14:05", "backup FAILED 14:10 - the backup folder is full" (``brief``:
        without the reason, which the notification holds whole)."""
        if self.failure is not None and self.failed_at is not None:
            return f"backup FAILED {_local(self.failed_at)}" + ("" if brief else f" - {self.failure}")
        if self.made_at is not None:
            return f"backup {_local(self.made_at)}"
        return "backup: first copy under way"


def _local(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M")


def explain(error: BaseException, folder: Path) -> tuple[str, str]:
    """A failed backup in a few words (the line) and in full (a notification)."""
    if isinstance(error, OSError) and error.errno in _SHORT:
        return _SHORT[error.errno], f"Backup to {folder} failed: {error.strerror or error}. The door goes on."
    if isinstance(error, BackupFailed):
        return "the copy failed its check", f"{error} The door goes on; the next try is in a minute."
    if isinstance(error, KioskError) and "is not a folder here" in str(error):
        return "the backup folder is gone (USB stick out?)", f"{error} The door goes on."
    if isinstance(error, sqlite3.Error) and "full" in str(error):
        return "the backup folder is full", f"Backup to {folder} failed: {error}. The door goes on."
    if isinstance(error, sqlite3.Error) and "I/O" in str(error):
        return "the USB stick does not answer", f"Backup to {folder} failed: {error}. The door goes on."
    return "see the message", f"Backup to {folder} failed ({type(error).__name__}: {error}). The door goes on."


def private_folder(folder: Path) -> None:
    """Make ``folder`` 0700: created when missing (not its parents: a stick that is not in is not made up on
    the laptop's own disk), its mode tightened when it is this user's own.  A file system without modes (a FAT
    stick) keeps what it has."""
    try:
        folder.mkdir(mode=FOLDER_MODE)
    except FileExistsError:
        pass
    except OSError:
        return  # the first try says why, in words
    try:
        found = folder.stat()
        if found.st_uid == os.getuid() and stat.S_IMODE(found.st_mode) & 0o077:
            folder.chmod(FOLDER_MODE)
    except OSError:
        pass


class BackupKeeper:
    """Automatic backups of the kiosk file at ``path`` into ``folder``: ``run()`` looks until ``stop`` is set
    (``start()`` runs it in a thread of its own; the door runs it in a process of its own)."""

    def __init__(
        self,
        path: Path,
        folder: Path,
        kiosk: str,
        *,
        every: float = EVERY_SECONDS,
        keep: int = KEEP,
        look: float = LOOK_SECONDS,
        on_status: Callable[[BackupStatus], object] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.path, self.folder, self.kiosk = Path(path), Path(folder), kiosk
        self.every, self.keep, self.look = every, keep, look
        self._on_status = on_status
        self._stop = stop or threading.Event()
        self._lock = threading.Lock()
        self._status = BackupStatus(self.folder)
        self._thread = threading.Thread(target=self.run, name="kiosk-backup", daemon=True)

    @property
    def status(self) -> BackupStatus:
        with self._lock:
            return self._status

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _tell(self, status: BackupStatus) -> None:
        with self._lock:
            self._status = status
        if self._on_status is not None:
            self._on_status(status)

    def run(self) -> None:
        private_folder(self.folder)
        db: Store | None = None
        try:
            while not self._stop.is_set():
                try:
                    db = db or reopen(self.path)
                    self.try_once(db)
                except Exception as error:  # the kiosk file itself: said, and tried again at the next look
                    short, words = explain(error, self.folder)
                    self._tell(_failed(self.status, short, words))
                self._stop.wait(self.look)
        finally:
            if db is not None:
                db.close()

    def try_once(self, db: Store) -> Backup | None:
        """One look: a copy when one is due (None: not due); a failure is told, never raised."""
        try:
            made = auto_backup(db, self.folder, self.kiosk, self.keep, self.every)
        except Exception as error:  # whatever a stick does when pulled: the door must go on
            short, words = explain(error, self.folder)
            self._tell(_failed(self.status, short, words))
            return None
        if made is not None or not self.status.ok:
            now = datetime.now(UTC)
            known = self.status
            self._tell(BackupStatus(self.folder, made or known.made, now if made else known.made_at))
        return made


def _failed(known: BackupStatus, short: str, words: str) -> BackupStatus:
    return BackupStatus(known.folder, known.made, known.made_at, short, words, datetime.now(UTC))
