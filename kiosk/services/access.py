"""The supervisor PIN: set at first run, asked before anything that leaves the door screen.

Stored only as a salted scrypt hash (``kiosk.core.secrets``), as a credential event like any other change.
Online guessing is bounded by ``kiosk.services.attempts``: every try is on record before it is checked, and
after ``MAX_TRIES`` the supervisor menu stays locked for ``LOCKOUT_SECONDS``, however many tries arrive at once.
"""

from __future__ import annotations

from kiosk.core import record as rules
from kiosk.core.secrets import hash_secret, verify_secret
from kiosk.errors import StoreError
from kiosk.services import ServiceError
from kiosk.services.attempts import LOCKOUT_SECONDS, MAX_TRIES, SUPERVISOR, Locked, attempt, tries_left
from kiosk.services.facts import on_record
from kiosk.store import record
from kiosk.store.db import Store, write
from kiosk.store.ledger import DAMAGED
from kiosk.store.queries import setting

PIN_MIN_LENGTH, PIN_MAX_LENGTH = 6, 32
MAX_FAILURES = MAX_TRIES
_HASH = "supervisor_pin"

__all__ = ["LOCKOUT_SECONDS", "MAX_FAILURES", "PinRefused", "check_pin", "pin_is_set", "set_pin"]


class PinRefused(ServiceError):
    """A wrong PIN, or the menu is locked after too many; the message says which and for how long."""


class _Wrong(Exception):
    pass


def check_pin_format(pin: str) -> None:
    if not pin.isdigit() or not PIN_MIN_LENGTH <= len(pin) <= PIN_MAX_LENGTH:
        raise ServiceError(f"The supervisor PIN must be {PIN_MIN_LENGTH} to {PIN_MAX_LENGTH} digits.")


def pin_is_set(db: Store) -> bool:
    return setting(db, _HASH) is not None or pin_on_record(db, repairing=True) is not None


def set_pin(db: Store, pin: str, kiosk: str, current: str | None = None) -> None:
    """Set the PIN at first run; changing it later needs the current one."""
    check_pin_format(pin)
    if pin_is_set(db):
        if current is None:
            raise ServiceError("A supervisor PIN is set already: give the current PIN to change it.")
        check_pin(db, current, kiosk)
    stored = hash_secret(pin)  # slow: done before taking the write lock
    with write(db):
        record.record(
            db,
            kiosk,
            rules.CREDENTIAL,
            rules.credential_key("supervisor"),
            {"values": {_HASH: stored}, "by": "supervisor"},
        )


def check_pin_to_leave(db: Store, pin: str) -> None:
    """The PIN, when the kiosk's files were deleted under it (``Store.lost``) and no try can be recorded: only so
    that the supervisor can leave the kiosk and start it again, as its words ask.  Each try is counted in memory
    before it is checked, and after ``MAX_TRIES`` none is checked any more (restart the laptop)."""
    assert db.lost, "only for a kiosk whose files are gone: otherwise every try is recorded (check_pin)"
    stored = pin_on_record(db, repairing=True)  # what the connection still reads of the log
    if stored is None or db.unrecorded_tries >= MAX_TRIES:
        raise PinRefused("The PIN cannot be checked any more: the database is gone. Restart the laptop.")
    db.unrecorded_tries += 1
    if not verify_secret(pin, stored):
        raise PinRefused(f"Wrong PIN - {MAX_TRIES - db.unrecorded_tries} tries left.")


def pin_on_record(db: Store, repairing: bool = False) -> str | None:
    """The PIN's hash as the log holds it (its credential event), never the settings table's copy alone: a hash
    swapped in the table is refused, with the way out (``repairing``: the rebuild, which checks the PIN against
    the log and then rewrites the table from it)."""
    try:
        return on_record(db, rules.credential_key("supervisor"), _HASH, trust_log=repairing)
    except StoreError:
        raise StoreError(
            "The record is damaged: the supervisor PIN in the settings table is not the one the log "
            "holds (the table was edited), so no PIN is accepted. Recovery: `kiosk audit verify` names "
            "what was edited; `kiosk audit rebuild`, with the supervisor PIN on record, rewrites the "
            "tables from the log."
        ) from None


def check_pin(db: Store, pin: str, kiosk: str, repairing: bool = False) -> None:
    """Return when ``pin`` is right; raise ``PinRefused`` when it is wrong or the menu is locked.

    An empty PIN is no try at all: it is neither recorded nor counted.  The PIN is checked against the hash the
    log holds (``pin_on_record``); ``repairing`` (the rebuild) alone accepts it when the table's copy differs.
    """
    stored = pin_on_record(db, repairing)
    if stored is None:
        raise ServiceError("No supervisor PIN is set yet.")
    if not pin:
        raise PinRefused("Type the supervisor PIN, then Enter.")
    try:
        with attempt(db, SUPERVISOR, kiosk, _Wrong):
            try:
                right = verify_secret(pin, stored)  # slow: no lock is held while it runs
            except (ValueError, TypeError, KeyError):
                raise StoreError(DAMAGED.format(what="the supervisor PIN on record is not a PIN hash")) from None
            if not right:
                raise _Wrong
    except Locked as locked:
        raise PinRefused(str(locked)) from None
    except _Wrong:
        left = tries_left(db, SUPERVISOR)
        raise PinRefused(
            f"Wrong PIN - {left} tries left before a {LOCKOUT_SECONDS // 60} min lock."
            if left
            else f"Wrong PIN, {MAX_TRIES} times: the supervisor menu is locked for {LOCKOUT_SECONDS // 60} min 00 s."
        ) from None
