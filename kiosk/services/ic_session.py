"""IC mode's key: the IC's passphrase, the session that holds the key derived from it, and the sealing,
opening and erasing of what the key protects.

The passphrase is checked by opening a sealed known value: a guess costs a full scrypt derivation, and nothing
stored allows a cheaper test.  Every attempt (unlock, change) is on record before that check
(``kiosk.services.attempts``), and the next unlock tells the IC how many failed since their last one
(``ICSession.failed_attempts``).  The passphrase's parameters and check value are a credential event, so a
kiosk that joins the production opens the same notes with the same passphrase.

Sealed text lives in the ``sealed`` table, named by its digest from the event that recorded it, so that an
erasure (a purge, a lost passphrase) removes it for good while the record of what happened stays.  Erasing
turns on ``secure_delete`` and empties the WAL as far as readers allow, so freed pages do not keep old
ciphertext.
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3

from kiosk.core import checkins as rules
from kiosk.core import record as events
from kiosk.core import text
from kiosk.core.secrets import KdfParams, SealBroken, derive_key, seal, unseal
from kiosk.errors import StoreError
from kiosk.services import ServiceError, checked
from kiosk.services.attempts import IC, Locked, attempt
from kiosk.services.facts import on_record
from kiosk.store import record
from kiosk.store.db import Store, write
from kiosk.store.ledger import DAMAGED
from kiosk.store.queries import setting

LOST_PASSPHRASE_WARNING = (
    "Only the IC knows this passphrase and nobody can recover it. If it is lost, every check-in note, "
    "signposting and follow-up owner is lost with it, for good (statuses and times stay). Keep it somewhere "
    "safe that only you can reach."
)
KDF, CHECK = "ic_passphrase_kdf", "ic_passphrase_check"
_CHECK_TEXT, _CHECK_BINDING = b"closed-set-kiosk IC passphrase", b"ic-passphrase-check"
CHECKPOINT_WAIT_MS = 200  # how long an erasure waits for readers before leaving the WAL to empty itself later


class PassphraseRefused(ServiceError):
    """A wrong IC passphrase: nothing was read or changed."""


class ICSession:
    """IC mode, unlocked: the key derived from the passphrase and who is reading, for the audit.

    Keep it only while IC mode is open and ``lock()`` it on leaving.  A session stops working when the
    passphrase is changed (it would otherwise seal with a key nobody can derive any more).
    ``failed_attempts``: attempts at the passphrase that failed since the last unlock before this one.
    """

    def __init__(self, db: Store, key: bytes, kdf: str, reader: str, kiosk: str, failed_attempts: int = 0):
        self.db, self.reader, self.kiosk, self.failed_attempts = db, reader, kiosk, failed_attempts
        self._key: bytes | None = key
        self._kdf = kdf
        db.execute("PRAGMA secure_delete = ON")  # freed space is zeroed, not left holding old ciphertext

    @property
    def locked(self) -> bool:
        return self._key is None

    def lock(self) -> None:
        self._key = None

    def key(self) -> bytes:
        """The key, checked to be the one in use; call inside the write transaction that uses it."""
        if self._key is None:
            raise ServiceError("IC mode is locked - unlock it with the IC passphrase.")
        if setting(self.db, KDF) != self._kdf:
            raise ServiceError("The IC passphrase was changed since IC mode was unlocked - unlock again.")
        return self._key


def reader_name(name: str) -> str:
    name = checked(text.line, name, "reader's name")
    if not name:
        raise ServiceError("Say who is reading, for the audit (your name).")
    return name


# --- sealed text ----------------------------------------------------------------------------------------------


def binding(row: dict) -> bytes:
    """What a check-in's sealed text is bound to: it opens only as that check-in's (``row["binding"]`` for one
    carried over from the first release)."""
    return (row.get("binding") or f"checkin/{row['scene']}/{row['run']}/{row['person']}").encode()


def store_sealed(db: Store, blob: bytes) -> str:
    digest = hashlib.sha256(blob).hexdigest()
    db.execute("INSERT OR IGNORE INTO sealed (digest, blob) VALUES (?, ?)", [digest, blob])
    return digest


def open_sealed(db: Store, key: bytes, row: dict) -> bytes | None:
    """The plaintext of a check-in's sealed text; None when there is none (pending, or erased)."""
    if row["sealed"] is None:
        return None
    found = db.execute("SELECT blob FROM sealed WHERE digest = ?", [row["sealed"]]).fetchone()
    if found is None:
        return None
    try:
        return unseal(key, found[0], binding(row))
    except SealBroken:
        raise ServiceError(
            f"The check-in of {row['person']} for scene {row['scene']} cannot be opened: it was "
            "altered or moved in the database file. Nothing was changed."
        ) from None


def erase_sealed(db: Store, digests: list[str]) -> None:
    for digest in digests:
        db.execute("DELETE FROM sealed WHERE digest = ?", [digest])


def empty_wal(db: Store) -> bool:
    """Copy the WAL into the file and empty it, so no old page survives there; False if readers held it.

    Waits at most ``CHECKPOINT_WAIT_MS`` for readers: a long wait would hold every kiosk's writes behind it.  The
    pages are copied first by a passive checkpoint, which takes no lock, so that the truncating one, which holds
    the write lock while it works, has little left to copy (a WAL grown by a big import took seconds).
    """
    db.execute("PRAGMA wal_checkpoint(PASSIVE)")  # the copying, done without the write lock: the door writes on
    db.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
    try:
        busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()  # the lock, for what is left
    except sqlite3.OperationalError:
        busy = 1
    finally:
        from kiosk.store.db import BUSY_TIMEOUT_MS

        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return busy == 0


# --- the passphrase -------------------------------------------------------------------------------------------


def passphrase_is_set(db: Store) -> bool:
    return setting(db, KDF) is not None


def new_key(passphrase: str) -> tuple[bytes, str, str]:
    """A key from a fresh salt, its parameters, and the sealed known value that checks it (slow)."""
    checked(rules.check_passphrase, passphrase)
    params = KdfParams.fresh()
    key = derive_key(passphrase, params)
    return key, params.encode(), base64.b64encode(seal(key, _CHECK_TEXT, _CHECK_BINDING)).decode()


def record_key(db: Store, kdf: str, check: str, kiosk: str, by: str, why: str) -> None:
    record.record(
        db,
        kiosk,
        events.CREDENTIAL,
        events.credential_key("ic"),
        {"values": {KDF: kdf, CHECK: check}, "by": by, "why": why},
    )


def key_of(db: Store, passphrase: str, reader: str, kiosk: str, via: str) -> tuple[bytes, str, int]:
    """The key ``passphrase`` derives, its parameters, and how many attempts failed since the last right one;
    ``PassphraseRefused`` if it is wrong (slow).  The attempt is on record before the check."""
    # as the log holds them: parameters or a check value swapped in the settings table are refused as damage
    kdf, check = (on_record(db, events.credential_key("ic"), name) for name in (KDF, CHECK))
    if kdf is None or check is None:
        raise ServiceError(
            "No IC passphrase is set yet: the intimacy coordinator sets one first (`kiosk checkins passphrase`)."
        )
    try:
        with attempt(db, IC, kiosk, PassphraseRefused, by=reader, via=via) as tried:
            try:
                key = derive_key(passphrase, KdfParams.decode(kdf))
                opened = base64.b64decode(check)
            except (ValueError, TypeError, KeyError):
                raise StoreError(
                    DAMAGED.format(what="the IC passphrase's parameters on record are not readable")
                ) from None
            try:
                unseal(key, opened, _CHECK_BINDING)
            except SealBroken:
                raise PassphraseRefused(
                    "Wrong IC passphrase - nothing was read or changed; the attempt is recorded."
                ) from None
    except Locked as locked:
        raise PassphraseRefused(str(locked)) from None
    return key, kdf, tried.failed_before


def set_passphrase(db: Store, passphrase: str, reader: str, kiosk: str) -> ICSession:
    """The IC sets their passphrase the first time; show ``LOST_PASSPHRASE_WARNING`` before asking for it."""
    reader = reader_name(reader)
    if passphrase_is_set(db):
        raise ServiceError("An IC passphrase is set already: change it with the current one.")
    key, kdf, check = new_key(passphrase)  # slow: before taking the write lock
    with write(db):
        if passphrase_is_set(db):
            raise ServiceError("An IC passphrase was set meanwhile on another kiosk; nothing was changed.")
        record_key(db, kdf, check, kiosk, reader, "set")
    return ICSession(db, key, kdf, reader, kiosk)


def unlock(db: Store, passphrase: str, reader: str, kiosk: str) -> ICSession:
    """Open IC mode; ``PassphraseRefused`` for a wrong passphrase.  Either way the attempt is on record; the
    session says how many attempts failed since the last unlock (``failed_attempts``)."""
    reader = reader_name(reader)
    key, kdf, failed = key_of(db, passphrase, reader, kiosk, "unlock")
    return ICSession(db, key, kdf, reader, kiosk, failed)
