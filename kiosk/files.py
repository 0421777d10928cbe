"""Files the kiosk writes that hold personal data or codes are readable by their owner only, whatever the umask;
folders it makes for them are its owner's only too."""

from __future__ import annotations

import os
import stat
from pathlib import Path

SQLITE_HEADER = b"SQLite format 3\x00"  # the first bytes of every SQLite database file
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")  # the files SQLite keeps beside a database while it is in use


def owner_only(path: str, flags: int) -> int:
    """An ``opener`` for ``open()``: the file it creates is 0600 (``open(path, "xb", opener=owner_only)``)."""
    return os.open(path, flags, 0o600)


def private_folder(folder: Path) -> list[Path]:
    """Make ``folder`` and each missing parent 0700 (``mkdir(parents=True)`` gives the parents the umask's mode);
    a folder there already is left as it is.  Returns the folders made, deepest first."""
    missing = [parent for parent in (folder, *folder.parents) if not parent.exists()]
    for parent in reversed(missing):
        try:
            parent.mkdir(mode=0o700)
        except FileExistsError:  # made meanwhile by another program
            continue
        os.chmod(parent, 0o700)  # mkdir's mode is masked by the umask; 0700 itself whatever it is
    return missing


def is_database(path: Path) -> bool:
    """Whether the plain file at ``path`` is a SQLite database (by its first bytes)."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def overwrite_problem(path: Path, *, database_ok: bool = False) -> str | None:
    """Why a file the kiosk writes (a report, a roll-call, a badge sheet, a backup) must not replace what is at
    ``path`` (None: nothing is there, or an ordinary file is).  Refused: anything that is not a plain file (a
    device, a pipe, a link), a SQLite database - the kiosk's own record, or another's - unless
    ``database_ok`` (a backup over an older backup), and the write-ahead log, index or journal beside one: a
    report written over the kiosk's file, or a backup over its ``-wal``, would lose the record."""
    for suffix in SQLITE_COMPANIONS:  # there or not: SQLite would take a file of that name for the database's
        beside = path.with_name(path.name.removesuffix(suffix))
        if path.name.endswith(suffix) and beside != path and is_database(beside):
            return f"{path} is SQLite's own file beside the database {beside.name}"
    try:
        found = path.lstat()
    except (FileNotFoundError, NotADirectoryError):  # nothing there (writing it fails with its own words)
        return None
    except OSError as error:
        return f"{path} cannot be checked ({error.strerror})"
    if not stat.S_ISREG(found.st_mode):
        return f"{path} is not a plain file (a link, a device or a pipe)"
    if not database_ok and is_database(path):
        return f"{path} is a database (the kiosk's record, or another's)"
    return None
