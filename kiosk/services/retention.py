"""Check-ins' sealed text over time: erased for good after the retention period (``purge``), re-sealed under a
new IC passphrase, or erased when the passphrase is lost.  Statuses and times stay for the record; each erasure
and re-seal is an event."""

from __future__ import annotations

import time
from datetime import datetime

from kiosk.core import checkins as rules
from kiosk.core import record as events
from kiosk.core.secrets import seal
from kiosk.services import ServiceError, checked, now
from kiosk.services.access import check_pin
from kiosk.services.checkins import COLUMNS, FROM, change
from kiosk.services.ic_session import (
    ICSession,
    empty_wal,
    erase_sealed,
    key_of,
    new_key,
    open_sealed,
    passphrase_is_set,
    reader_name,
    record_key,
    store_sealed,
)
from kiosk.store.db import LONG_WRITE_POLL, Store, write
from kiosk.store.queries import many, setting


def _erase(db: Store, rows: list[dict], kiosk: str, by: str, why: str) -> int:
    for row in rows:
        change(db, kiosk, events.CHECKIN_PURGED, row, by=by, why=why, erase=[row["sealed"]])
        erase_sealed(db, [row["sealed"]])
    return len(rows)


PURGE_CHUNK = 50  # check-ins erased per transaction
PURGE_PAUSE = 0.1  # seconds between transactions, for the door's scans (SQLite's busy wait polls, 1-100 ms)


def purge(session: ICSession, older_than: str) -> dict:
    """Erase for good the sealed text of check-ins last changed longer ago than ``older_than`` (``30d``, ``12w``).

    Open follow-ups are kept until done.  Statuses and times stay for the record; each erasure is an event.
    Each erasure stands alone, so they are recorded ``PURGE_CHUNK`` at a time, each batch a short transaction
    with a pause after it that the door's scans come in by (a purge cut off half way is finished by running it
    again).
    """
    period = checked(rules.parse_period, older_than)
    db = session.db
    session.key()
    cutoff = (datetime.fromisoformat(now()) - period).isoformat(timespec="microseconds")
    why = f"older than {rules.format_period(period)}"
    old = many(db, f"SELECT {COLUMNS} {FROM} WHERE c.sealed IS NOT NULL AND c.updated_at < ?", [cutoff])
    due = [row for row in old if not rules.follow_up_open(row["follow_up_due"], row["follow_up_done_on"])]
    erased = 0
    for start in range(0, len(due), PURGE_CHUNK):  # short transactions: the door writes between them
        with write(db, poll=LONG_WRITE_POLL):  # tries often: a busy door's scans leave short gaps
            session.key()
            current = {
                (row["scene"], row["run"], row["person"], row["sealed"])
                for row in many(
                    db, f"SELECT {COLUMNS} {FROM} WHERE c.sealed IS NOT NULL AND c.updated_at < ?", [cutoff]
                )
            }
            chunk = [
                row
                for row in due[start : start + PURGE_CHUNK]  # as read, unless changed meanwhile
                if (row["scene"], row["run"], row["person"], row["sealed"]) in current
            ]
            erased += _erase(db, chunk, session.kiosk, session.reader, why)
        if start + PURGE_CHUNK < len(due):
            time.sleep(PURGE_PAUSE)  # give way: a door waiting for the lock polls for it, and would miss a gap
    return {
        "erased": erased,
        "kept_open_follow_ups": len(old) - len(due),
        "older_than": rules.format_period(period),
        "cutoff": cutoff,
        "wal_emptied": empty_wal(db),
    }


def change_passphrase(db: Store, current: str, new: str, reader: str, kiosk: str) -> ICSession:
    """Re-seal every check-in under the new passphrase in one transaction; the old one opens nothing after."""
    reader = reader_name(reader)
    if new == current:
        raise ServiceError("The new IC passphrase is the same as the current one; nothing was changed.")
    checked(rules.check_passphrase, new)  # before the slow check of the current one
    old_key, old_kdf, failed = key_of(db, current, reader, kiosk, "change")
    key, kdf, check = new_key(new)
    session = ICSession(db, key, kdf, reader, kiosk, failed)
    with write(db):
        if setting(db, "ic_passphrase_kdf") != old_kdf:
            raise ServiceError("The IC passphrase was changed meanwhile on another kiosk; nothing was changed.")
        rows = many(db, f"SELECT {COLUMNS} {FROM} WHERE c.sealed IS NOT NULL")
        for row in rows:
            text = open_sealed(db, old_key, row)
            if text is None:
                continue
            digest = store_sealed(db, seal(key, text, f"checkin/{row['scene']}/{row['run']}/{row['person']}".encode()))
            change(db, kiosk, events.CHECKIN_RESEALED, row, by=reader, sealed=digest, erase=[row["sealed"]])
            erase_sealed(db, [row["sealed"]])
        record_key(db, kdf, check, kiosk, reader, f"changed; {len(rows)} check-in(s) resealed")
    empty_wal(db)
    return session


def reset_lost_passphrase(db: Store, new: str, supervisor_pin: str, reader: str, kiosk: str) -> ICSession:
    """The passphrase is lost: erase every sealed record for good and set a new passphrase.

    Needs the supervisor PIN, so that nobody erases the IC's records on a whim; statuses and times stay.
    """
    reader = reader_name(reader)
    if not passphrase_is_set(db):
        raise ServiceError("No IC passphrase is set yet: set one instead.")
    checked(rules.check_passphrase, new)
    check_pin(db, supervisor_pin, kiosk)
    key, kdf, check = new_key(new)
    session = ICSession(db, key, kdf, reader, kiosk)
    with write(db):
        rows = many(db, f"SELECT {COLUMNS} {FROM} WHERE c.sealed IS NOT NULL")
        erased = _erase(db, rows, kiosk, reader, "IC passphrase lost")
        record_key(db, kdf, check, kiosk, reader, f"reset after the passphrase was lost; {erased} erased")
    empty_wal(db)
    return session
