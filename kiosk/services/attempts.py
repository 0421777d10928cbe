"""Count the attempt, then check: a guess at a secret is on record before the slow check can answer it.

A PIN or a passphrase is checked by a scrypt derivation (0.2-0.4 s, 64 MiB).  Recorded only after the check,
an attempt is lost when the process is killed mid-check, and parallel guesses run ahead of the record.  So
``attempt`` first appends an ``attempt`` row to the log and counts it, in a short transaction of its own that
is committed before the check starts; the check runs holding no lock; then its outcome is a second row,
``right`` (the count starts again) or ``wrong``.  An attempt with no outcome (killed, or still being checked on
another kiosk) stays counted as not right.  The log is the record; the setting ``Guard.counter`` is its running
count since the last right attempt, so reading it costs one row however long the log.

    with attempt(db, GUARD, kiosk, WrongSecret, by=who) as tried:
        check(secret)        # slow; raises WrongSecret when it is wrong
    tried.failed_before      # attempts since the previous right one that were not right
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from kiosk.services import now
from kiosk.store import log
from kiosk.store.db import Store, write
from kiosk.store.queries import put_setting, setting


@dataclass(frozen=True)
class Guard:
    """Where the attempts at one secret go: the kind of their log rows and the setting that counts them."""

    kind: str
    counter: str


@dataclass
class Tried:
    """One attempt: its log row, and (once right) how many attempts before it, since the last right one, were not."""

    attempt_id: int
    failed_before: int = 0


def _count(db: Store, guard: Guard) -> int:
    return int(setting(db, guard.counter) or 0)


@contextlib.contextmanager
def attempt(db: Store, guard: Guard, kiosk: str, wrong: type[Exception], **detail: str) -> Iterator[Tried]:
    """Record and count an attempt, then run the caller's check (the block); record how it ended.

    ``wrong`` is the exception the check raises for a wrong secret: it is recorded as ``wrong`` and raised on.
    Any other exception leaves the attempt counted, with no outcome.  ``detail`` goes into every row (who...).
    """
    with write(db):
        put_setting(db, guard.counter, str(_count(db, guard) + 1))
        row = log.append(db, at=now(), kiosk=kiosk, kind=guard.kind, detail={"event": "attempt", **detail})
    tried = Tried(row["id"])
    try:
        yield tried
    except wrong:
        with write(db):
            log.append(db, at=now(), kiosk=kiosk, kind=guard.kind,
                       detail={"event": "wrong", "attempt": tried.attempt_id, **detail})
        raise
    with write(db):
        tried.failed_before = max(0, _count(db, guard) - 1)
        put_setting(db, guard.counter, None)
        log.append(db, at=now(), kiosk=kiosk, kind=guard.kind,
                   detail={"event": "right", "attempt": tried.attempt_id, "failed_before": tried.failed_before,
                           **detail})
