"""The supervisor PIN: set at first run, asked before anything that leaves the door screen.

Stored only as a salted scrypt hash (``kiosk.core.secrets``).  Online guessing is slowed further: after
``MAX_FAILURES`` wrong PINs in a row the supervisor menu stays locked for ``LOCKOUT_SECONDS``.  Every
attempt, right or wrong, is a row of the log, so the record shows who tried to leave the door screen.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kiosk.core.secrets import hash_secret, verify_secret
from kiosk.services import ServiceError, now
from kiosk.store import log
from kiosk.store.db import Store, write
from kiosk.store.queries import put_setting, setting

PIN_MIN_LENGTH, PIN_MAX_LENGTH = 6, 32
MAX_FAILURES = 5
LOCKOUT_SECONDS = 300

_HASH, _FAILURES, _LOCKED_UNTIL = "supervisor_pin", "supervisor_pin_failures", "supervisor_locked_until"


class PinRefused(ServiceError):
    """A wrong PIN, or the menu is locked after too many; the message says which and for how long."""


def check_pin_format(pin: str) -> None:
    if not pin.isdigit() or not PIN_MIN_LENGTH <= len(pin) <= PIN_MAX_LENGTH:
        raise ServiceError(f"The supervisor PIN must be {PIN_MIN_LENGTH} to {PIN_MAX_LENGTH} digits.")


def pin_is_set(db: Store) -> bool:
    return setting(db, _HASH) is not None


def set_pin(db: Store, pin: str, kiosk: str, current: str | None = None) -> None:
    """Set the PIN at first run; changing it later needs the current one."""
    check_pin_format(pin)
    if pin_is_set(db):
        if current is None:
            raise ServiceError("A supervisor PIN is set already: give the current PIN to change it.")
        check_pin(db, current, kiosk)
    stored = hash_secret(pin)  # slow: done before taking the write lock
    with write(db):
        put_setting(db, _HASH, stored)
        log.append(db, at=now(), kiosk=kiosk, kind="supervisor", detail={"event": "pin_set"})


def _remaining_lock(db: Store, at: str) -> float:
    until = setting(db, _LOCKED_UNTIL)
    return max(0.0, (datetime.fromisoformat(until) - datetime.fromisoformat(at)).total_seconds()) if until else 0.0


def check_pin(db: Store, pin: str, kiosk: str) -> None:
    """Return when ``pin`` is right; raise ``PinRefused`` when it is wrong or the menu is locked."""
    stored = setting(db, _HASH)
    if stored is None:
        raise ServiceError("No supervisor PIN is set yet.")
    locked = _remaining_lock(db, now())
    if locked:
        with write(db):  # an attempt while locked is an attempt too: on record, and not even checked
            log.append(db, at=now(), kiosk=kiosk, kind="supervisor", detail={"event": "while_locked"})
        raise PinRefused(f"Too many wrong PINs: the supervisor menu is locked for {_minutes(locked)}.")
    right = verify_secret(pin, stored)  # slow: done before taking the write lock
    with write(db):
        at = now()
        failures = 0 if right else int(setting(db, _FAILURES) or 0) + 1
        lock = failures >= MAX_FAILURES
        put_setting(db, _FAILURES, str(failures) if failures and not lock else None)
        put_setting(db, _LOCKED_UNTIL,
                    (datetime.fromisoformat(at) + timedelta(seconds=LOCKOUT_SECONDS)).isoformat() if lock else None)
        log.append(db, at=at, kiosk=kiosk, kind="supervisor",
                   detail={"event": "unlock" if right else "wrong_pin", "locked": lock})
    if lock:
        raise PinRefused(f"Wrong PIN, {MAX_FAILURES} times: the supervisor menu is locked for "
                         f"{_minutes(LOCKOUT_SECONDS)}.")
    if not right:
        raise PinRefused(f"Wrong PIN - {MAX_FAILURES - failures} tries left before a "
                         f"{_minutes(LOCKOUT_SECONDS)} lock.")


def _minutes(seconds: float) -> str:
    whole = int(seconds + 0.999)
    return f"{whole // 60} min {whole % 60:02d} s" if whole >= 60 else f"{whole} s"
