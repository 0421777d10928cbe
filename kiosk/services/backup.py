"""Backups of one laptop's kiosk file, and putting one back.

A backup is SQLite's online backup of the file as it is when the backup starts (the door goes on scanning
meanwhile), written beside the destination under a private temporary name, then checked - ``PRAGMA
integrity_check`` and the whole audit, the log's chains and every table against a rebuild - and only then moved
into place in one rename, readable by its owner only.  A copy that fails a check is never left as a backup.

``auto_backup`` keeps a rotating set in a folder (a USB stick): a new copy once the newest is ``every`` seconds
old, the oldest removed beyond ``keep``.  ``restore`` checks a backup the same way before anything else, keeps
the current file aside, and puts the backup in its place whole.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiosk.core.audit import AuditResult
from kiosk.files import overwrite_problem
from kiosk.services import ServiceError
from kiosk.services import audit as auditing
from kiosk.services.lookup import get_production
from kiosk.store import Store, connect, refuse_unless_kiosk_file
from kiosk.store import backup as files
from kiosk.store.db import check_file
from kiosk.store.schema import FileKind, probe
from kiosk.store.sync import synced_before

KEEP = 5  # backups kept in a folder
EVERY_SECONDS = 300  # how often the door makes one, when it has a folder for them
STAMP = "%Y%m%dT%H%M%SZ"


class BackupFailed(ServiceError):
    """A copy that did not pass its checks, or a file that cannot be restored: nothing was put in place."""


@dataclass(frozen=True)
class Backup:
    path: Path
    rows: int  # events in the copy
    anchor: str  # the copy's audit anchor
    size: int  # bytes


def _intact(path: Path, what: str) -> None:
    problem = files.integrity(path)
    if problem != "ok":
        raise BackupFailed(f"{what} is damaged (integrity check: {problem}). Nothing was put in place.")


def _audited(path: Path, what: str) -> AuditResult:
    """The audit of a single-file copy (the log's chains, then every table against a rebuild)."""
    copy = files.open_readonly(path)
    try:
        found = auditing.check(copy)
    finally:
        copy.close()
    if not found.ok:
        raise BackupFailed(f"{what} does not pass the audit ({found.result.problem}). Nothing was put in place.")
    return found.log


def backup(db: Store, dest: Path) -> Backup:
    """A checked copy of the open kiosk file at ``dest`` (replaced whole if it exists)."""
    dest = Path(dest)
    if dest.is_dir():
        raise ServiceError(f"{dest} is a folder: name the backup file, or give the folder with --folder.")
    if not dest.parent.is_dir():
        raise ServiceError(f"{dest.parent} is not a folder here (is the USB stick in?). Nothing was written.")
    if dest.exists() and dest.resolve() == Path(db.path).resolve():
        raise ServiceError(f"{dest} is the kiosk file itself: back it up somewhere else.")
    if problem := overwrite_problem(dest, database_ok=True):  # an older backup there may be replaced
        raise ServiceError(f"{problem}: name another backup file. Nothing was written.")
    temp = files.temporary(dest)
    try:
        files.copy(db, temp)
        _intact(temp, "The copy")
        log = _audited(temp, "The copy")
        files.place(temp, dest, replace=True)
    finally:
        files.discard(temp)
    return Backup(dest, log.rows, log.anchor, dest.stat().st_size)


def _backups(folder: Path, stem: str, kiosk: str) -> list[tuple[datetime, Path]]:
    """The backups this kiosk made of its file named ``stem`` in ``folder``, oldest first: never another door's,
    on a stick the doors share (every laptop's file is ``kiosk.db`` unless told otherwise)."""
    pattern = re.compile(rf"{re.escape(stem)}-{re.escape(kiosk)}-(\d{{8}}T\d{{6}}Z)\.db")
    found = []
    for path in folder.iterdir():
        matched = pattern.fullmatch(path.name)
        if matched:
            found.append((datetime.strptime(matched[1], STAMP).replace(tzinfo=UTC), path))
    return sorted(found)


def backup_to_folder(db: Store, folder: Path, kiosk: str, keep: int = KEEP, now: datetime | None = None) -> Backup:
    """A checked copy in ``folder``, named after the kiosk file, this kiosk and the time
    (``kiosk-stage-door-20261201T140200Z.db``); then this kiosk's oldest beyond the newest ``keep`` are removed."""
    if keep < 1:
        raise ServiceError("Keep at least one backup.")
    folder = Path(folder)
    if not folder.is_dir():
        raise ServiceError(f"{folder} is not a folder here (is the USB stick in?). Nothing was written.")
    stem = Path(db.path).stem
    made = backup(db, folder / f"{stem}-{kiosk}-{(now or datetime.now(UTC)).strftime(STAMP)}.db")
    for _, old in _backups(folder, stem, kiosk)[:-keep]:
        old.unlink(missing_ok=True)
    return made


def auto_backup(
    db: Store, folder: Path, kiosk: str, keep: int = KEEP, every: float = EVERY_SECONDS, now: datetime | None = None
) -> Backup | None:
    """A new backup in ``folder`` when the newest there is ``every`` seconds old or more (None: not due yet).
    Call it as often as you like (the door: every minute, from a thread with its own connection)."""
    now = now or datetime.now(UTC)
    made = _backups(Path(folder), Path(db.path).stem, kiosk) if Path(folder).is_dir() else []
    if made and (now - made[-1][0]).total_seconds() < every:
        return None
    return backup_to_folder(db, folder, kiosk, keep, now)


# --- restore ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Restored:
    path: Path
    aside: Path | None  # where the file it replaced is kept (None: there was none)
    production: str
    rows: int
    anchor: str
    synced_before: bool  # the backup's kiosk synced with a hub: sync before the door scans again


_REFUSED = {
    FileKind.FOREIGN: "holds another program's database",
    FileKind.EMPTY: "is an empty file",
    FileKind.NEWER: "was made by a newer version of the kiosk",
}


def _production_id(db: Store) -> str | None:
    """The production's first event: what two copies of one production share, whatever else differs (None:
    none found, or a file this version cannot read that way)."""
    try:
        row = db.execute("SELECT event_id FROM events WHERE key = 'production' ORDER BY id LIMIT 1").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def restore(target: Path, source: Path, kiosk: str) -> Restored:
    """Put the backup ``source`` in place of the kiosk file ``target``: only a kiosk file of this version or an
    older one, intact and passing the audit; the current file, if any, is kept aside (never while a kiosk is
    running on it, and never for a backup of another production)."""
    target, source = Path(target), Path(source)
    if not source.is_file():
        raise ServiceError(f"{source}: no backup file here.")
    if target.exists() and source.resolve() == target.resolve():
        raise ServiceError(f"{source} is the kiosk file itself: name the backup to restore from.")
    check_file(source)
    if target.exists():
        refuse_unless_kiosk_file(target)  # another program's file, or a newer kiosk's, is never replaced
    temp = files.temporary(target)
    try:
        try:
            kind = probe(source)
            if kind in _REFUSED:
                raise BackupFailed(f"{source} {_REFUSED[kind]}: it is not restored. Nothing was changed.")
            files.copy_file(source, temp)
        except sqlite3.DatabaseError as error:
            raise BackupFailed(
                f"{source} cannot be read as a kiosk file ({error}): it is not restored. Nothing was changed."
            ) from None
        _intact(temp, f"The backup {source}")
        db = connect(temp, device=kiosk)  # a backup from an older version is brought up to date here
        try:
            identity, production, synced = _production_id(db), get_production(db)["name"], synced_before(db)
            files.single_file(db)
        except ServiceError:
            raise BackupFailed(f"{source} holds no production: it is not restored. Nothing was changed.") from None
        finally:
            db.close()
        log = _audited(temp, f"The backup {source}")
        aside = None
        if target.exists():
            with files.taken(target) as current:
                if current is not None and _production_id(current) not in (identity, None):
                    raise BackupFailed(
                        f"{source} is a backup of another production than {target}: it is not "
                        "restored. Nothing was changed."
                    )
                aside = target.with_name(f"{target.name}.before-restore-{datetime.now(UTC).strftime(STAMP)}")
                files.set_aside(target, aside)
                files.place(temp, target, replace=False)
        else:
            files.place(temp, target, replace=False)
    finally:
        files.discard(temp)
    return Restored(target, aside, production, log.rows, log.anchor, synced)
