"""Count the attempt, then check: a guess at a secret is on record before the slow check can answer it.

A PIN or a passphrase is checked by a scrypt derivation (0.2-0.4 s, 64 MiB).  Recorded only after the check, an
attempt is lost when the process is killed mid-check, and guesses made in parallel all run ahead of the count.
So ``attempt`` first records a ``secret.attempt`` event in a short transaction of its own, committed before the
check starts, and in that same transaction refuses it unchecked when the secret is locked; the check runs
holding no lock; then its outcome is a ``secret.result`` event, right (the count starts again) or wrong.  An
attempt with no outcome (killed, or still being checked on another kiosk) counts as not right.

``MAX_TRIES`` attempts since the last right one lock the secret for ``LOCKOUT_SECONDS`` from the last of them:
whatever arrives at once, no more than ``MAX_TRIES`` guesses are ever checked per lock period.

    with attempt(db, SUPERVISOR, kiosk, WrongSecret, by=who) as tried:
        check(secret)        # slow; raises WrongSecret when it is wrong
    tried.failed_before      # attempts since the previous right one that were not right
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk.core import record as rules
from kiosk.services import ServiceError, now
from kiosk.store import record
from kiosk.store.db import Store, write

MAX_TRIES = 5
LOCKOUT_SECONDS = 300


@dataclass(frozen=True)
class Guard:
    """One secret that is guessed at: its name in the record and in words."""

    secret: str  # "supervisor", "ic"
    words: str  # what it opens, for the message when it is locked: "the supervisor menu"
    locks: bool = True  # whether too many tries lock it for a while


SUPERVISOR = Guard("supervisor", "the supervisor menu")
# The IC's passphrase is not locked: a guess at it costs a full scrypt derivation, and a lock would let anyone at
# the door keep the IC out of IC mode when a performer needs them.  Every try is counted and told to the IC.
IC = Guard("ic", "IC mode", locks=False)


class Locked(ServiceError):
    """Too many attempts: this one was recorded and not checked."""


@dataclass
class Tried:
    """One attempt: its event, and how many attempts before it, since the last right one, were not right."""

    event: int
    failed_before: int = 0


@dataclass(frozen=True)
class Standing:
    tries: int  # attempts since the last right one (or since the last lock ran out)
    failed: int  # attempts since the last right one that were not right, locks included
    locked_until: datetime | None


def standing(db: Store, guard: Guard, at: datetime) -> Standing:
    """What the record says of the attempts at ``guard``'s secret since it was last given right.

    "Since" is from the right attempt itself, not from its outcome: an attempt that began while the right one
    was being checked came after it, and counts until the next right one (else a guess made during the IC's own
    unlock would be told to nobody).
    """
    key = rules.attempts_key(guard.secret)
    rows = db.execute(
        "SELECT type, at FROM events WHERE key = ? AND decision IS NULL AND (type = ? OR reason = 'locked') AND id > "
        "(SELECT COALESCE(MAX(COALESCE(json_extract(payload, '$.body.attempt'), id)), 0) FROM events "
        "WHERE key = ? AND decision IS NULL AND reason = 'right') ORDER BY id",
        [key, rules.ATTEMPT, key],
    ).fetchall()
    tries, locked_until = 0, None
    for kind, when in rows:
        if kind != rules.ATTEMPT:  # tried while locked: counted as not right, never checked
            continue
        tried_at = datetime.fromisoformat(when)
        if locked_until is not None and tried_at >= locked_until:
            tries, locked_until = 0, None
        tries += 1
        if tries >= MAX_TRIES:
            locked_until = tried_at + timedelta(seconds=LOCKOUT_SECONDS)
    if locked_until is not None and at >= locked_until:
        tries, locked_until = 0, None
    return Standing(tries, len(rows), locked_until)


@contextlib.contextmanager
def attempt(db: Store, guard: Guard, kiosk: str, wrong: type[Exception], **detail: str) -> Iterator[Tried]:
    """Record and count an attempt, then run the caller's check (the block); record how it ended.

    ``wrong`` is the exception the check raises for a wrong secret: it is recorded as wrong and raised on.
    Any other exception leaves the attempt counted, with no outcome.  ``detail`` goes into every event (who...).
    """
    key = rules.attempts_key(guard.secret)
    with write(db):
        at = now()
        before = standing(db, guard, datetime.fromisoformat(at))
        locked = guard.locks and before.locked_until is not None
        if locked:  # on record, and not checked: committed before the refusal is raised
            record.append(
                db, kiosk, rules.ATTEMPT_RESULT, key, {"secret": guard.secret, "reason": "locked", **detail}, at=at
            )
        else:
            stored = record.append(db, kiosk, rules.ATTEMPT, key, {"secret": guard.secret, **detail}, at=at)
    if locked:
        assert before.locked_until is not None
        raise Locked(
            f"Too many wrong tries: {guard.words} is locked for "
            f"{_minutes((before.locked_until - datetime.fromisoformat(at)).total_seconds())}."
        )
    tried = Tried(stored.id, before.failed)
    try:
        yield tried
    except wrong:
        with write(db):
            left = MAX_TRIES - standing(db, guard, datetime.fromisoformat(now())).tries
            record.append(
                db,
                kiosk,
                rules.ATTEMPT_RESULT,
                key,
                {"secret": guard.secret, "reason": "wrong", "attempt": stored.id, "left": left, **detail},
                at=now(),
            )
        raise
    with write(db):
        record.append(
            db,
            kiosk,
            rules.ATTEMPT_RESULT,
            key,
            {
                "secret": guard.secret,
                "reason": "right",
                "attempt": stored.id,
                "failed_before": tried.failed_before,
                **detail,
            },
            at=now(),
        )


def tries_left(db: Store, guard: Guard) -> int:
    return max(0, MAX_TRIES - standing(db, guard, datetime.fromisoformat(now())).tries)


def _minutes(seconds: float) -> str:
    whole = int(seconds + 0.999)
    return f"{whole // 60} min {whole % 60:02d} s" if whole >= 60 else f"{whole} s"
