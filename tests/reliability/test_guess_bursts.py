"""Guessing in parallel: many real `kiosk` processes at once, each with its secret in the environment (never on
the command line), against the supervisor PIN and the IC passphrase at their real scrypt cost (finding 1).

First release: the lock was read before the slow check and the attempt counted after it, so every guess in
flight was checked - `kiosk pin` x 100 at once checked 100 wrong PINs in 25 s - and a right PIN among them
cleared the lock: with `kiosk checkins passphrase --forgotten --yes`, 40 wrong PINs then the right one were
accepted, erasing every note.  Now each attempt is committed, and counted, before its check starts.
"""

from __future__ import annotations

import os
import random
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from kiosk.core.secrets import verify_secret
from kiosk.services import access, checkins
from kiosk.services.attempts import LOCKOUT_SECONDS, MAX_TRIES
from kiosk.services.lift import lift
from kiosk.store import audit, connect, queries
from tests.reliability.conftest import IC_PASSPHRASE, KIOSK, size

RIGHT_PIN = "482913"
NOTE = "said the second take felt rushed"
TOLD = re.compile(r"Warning: (\d+) failed attempts? to unlock IC mode since your last unlock")


def guesser(path: Path, number: int, args: list[str], secrets: dict[str, str]) -> subprocess.Popen:
    """One `kiosk` process of the burst: its secrets come from the environment only."""
    command = [sys.executable, "-m", "kiosk", "--kiosk-id", f"guess-{number}", *args]
    assert not set(secrets.values()) & set(command)
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "KIOSK_DB": str(path), "KIOSK_IC_NAME": "Mallory", **secrets})


def events(path: Path, sql: str, *parameters) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # another reader: committed rows only
    try:
        return conn.execute(sql, parameters).fetchone()[0]
    finally:
        conn.close()


def supervisor_attempts(path: Path) -> int:
    return events(path, "SELECT COUNT(*) FROM events WHERE key = 'attempts/supervisor' AND type = 'secret.attempt'")


def note_kept(db) -> bool:
    session = checkins.unlock(db, IC_PASSPHRASE, "Amara Mensah", KIOSK)
    return [row.note for row in checkins.notes(session, "42") if row.ref == "C01"] == [NOTE]


def test_a_burst_of_pin_guesses_checks_no_more_than_the_allowed_tries(production_file, figures):
    """N processes guess the PIN at once (`kiosk pin` and `kiosk checkins passphrase --forgotten --yes`), and
    the right PIN is sent, twice, once the lock has begun while the burst is still arriving.  At most
    ``MAX_TRIES`` guesses are checked in the lock period; the right PIN is refused; the PIN and the notes stay."""
    path, _ = production_file
    db = connect(path)
    access.set_pin(db, RIGHT_PIN, KIOSK)  # the real cost: scrypt N = 2**16
    checkins.set_passphrase(db, IC_PASSPHRASE, "Amara Mensah", KIOSK)
    lift(db, "42", KIOSK)
    checkins.record(checkins.unlock(db, IC_PASSPHRASE, "Amara Mensah", KIOSK), "42", "C01", "ok", note=NOTE)
    stored_pin = queries.setting(db, "supervisor_pin")
    burst = size("pin_burst")
    commands = (["pin"], ["checkins", "passphrase", "--forgotten", "--yes"])
    new = {"KIOSK_NEW_PIN": "999999", "KIOSK_IC_NEW_PASSPHRASE": "an attacker's new passphrase"}
    started = time.monotonic()
    wrong = [guesser(path, number, commands[number % 2], {"KIOSK_SUPERVISOR_PIN": f"100{number:03d}", **new})
             for number in range(burst)]
    while supervisor_attempts(path) < MAX_TRIES:  # the lock begins with the last allowed try
        assert time.monotonic() - started < 120, "the burst never reached the lock"
        time.sleep(0.01)
    still_arriving = sum(process.poll() is None for process in wrong)
    right = [guesser(path, burst + number, commands[number], {"KIOSK_SUPERVISOR_PIN": RIGHT_PIN, **new})
             for number in range(2)]
    outcomes = {"checked_wrong": 0, "locked": 0}
    for process in wrong + right:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 1 and "Traceback" not in err, (process.returncode, err)
        if "Refused: Wrong PIN" in err:
            outcomes["checked_wrong"] += 1
        else:
            assert "Refused: Too many wrong tries: the supervisor menu is locked for" in err, err
            outcomes["locked"] += 1
    took = time.monotonic() - started
    assert took < LOCKOUT_SECONDS, "the whole burst fell in one lock period"
    assert outcomes["checked_wrong"] == MAX_TRIES, outcomes
    assert outcomes["locked"] == burst - MAX_TRIES + len(right), outcomes
    assert supervisor_attempts(path) == MAX_TRIES  # checked: exactly the attempts recorded before a check
    assert events(path, "SELECT COUNT(*) FROM events WHERE key = 'attempts/supervisor' AND reason = 'locked'") == \
        burst - MAX_TRIES + len(right), "every guess refused unchecked is on record too"
    assert queries.setting(db, "supervisor_pin") == stored_pin and verify_secret(RIGHT_PIN, stored_pin)
    assert note_kept(db), "the right PIN during the lock erased the notes"
    assert audit.verify(db).ok
    db.close()
    figures.update(burst=burst, still_arriving_when_locked=still_arriving, right_pin_during_lock=len(right),
                   checked=outcomes["checked_wrong"], refused_unchecked=outcomes["locked"], right_pin_refused=2,
                   pin_unchanged=True, notes_kept=True, burst_seconds=round(took, 1))


def test_a_burst_of_passphrase_guesses_is_counted_whole_and_told_to_the_ic(production_file, figures):
    """N processes guess the IC passphrase at once (`kiosk checkins --notes`), the IC's own unlock among them at
    a random place.  The passphrase has no lock by design (a lock would let anyone at the door keep the IC out):
    every guess is on record before it is checked, the IC is let in, and between that unlock and the next the
    IC is told of every one of the N."""
    path, _ = production_file
    db = connect(path)
    checkins.set_passphrase(db, IC_PASSPHRASE, "Amara Mensah", KIOSK)  # the real cost
    db.close()
    burst = size("passphrase_burst")
    ic_at = random.randrange(burst + 1)
    processes = []
    for number in range(burst + 1):
        passphrase = IC_PASSPHRASE if number == ic_at else f"a wrong guess of a phrase {number}"
        processes.append(guesser(path, number, ["checkins", "--notes"], {"KIOSK_IC_PASSPHRASE": passphrase}))
    refused = 0
    for number, process in enumerate(processes):
        _, err = process.communicate(timeout=600)
        assert "Traceback" not in err, err
        if number == ic_at:
            assert process.returncode == 0, err
            told = TOLD.search(err)
            told_first = int(told.group(1)) if told else 0
        else:
            assert process.returncode == 1 and "Wrong IC passphrase" in err, (process.returncode, err)
            refused += 1
    db = connect(path)
    told_next = checkins.unlock(db, IC_PASSPHRASE, "Amara Mensah", KIOSK).failed_attempts
    assert refused == burst and told_first + told_next == burst, (told_first, told_next)
    wrong_rows = events(path, "SELECT COUNT(*) FROM events WHERE key = 'attempts/ic' AND reason = 'wrong'")
    assert wrong_rows == burst
    assert audit.verify(db).ok
    db.close()
    figures.update(burst=burst, ic_unlock_at=ic_at, refused=refused, told_at_that_unlock=told_first,
                   told_at_the_next=told_next, counted=told_first + told_next)


def test_a_guess_made_while_the_ic_unlocks_is_told_at_the_next_unlock(ic_file, monkeypatch):
    """Found by the burst above: a wrong guess that began while the IC's own unlock was being checked was
    counted in neither unlock (the count ran from the right attempt's outcome, recorded after the guess)."""
    from kiosk.services import ic_session

    db = connect(ic_file)
    derive, guessed = ic_session.derive_key, []

    def guess_meanwhile(secret, params):
        if secret == IC_PASSPHRASE and not guessed:  # the IC's check is under way: another kiosk guesses now
            other = connect(ic_file)
            try:
                checkins.unlock(other, "a wrong guess of a phrase", "Mallory", "door-2")
            except checkins.PassphraseRefused:
                guessed.append(True)
            finally:
                other.close()
        return derive(secret, params)

    monkeypatch.setattr(ic_session, "derive_key", guess_meanwhile)
    assert checkins.unlock(db, IC_PASSPHRASE, "Amara Mensah", KIOSK).failed_attempts == 0
    assert guessed and checkins.unlock(db, IC_PASSPHRASE, "Amara Mensah", KIOSK).failed_attempts == 1
    db.close()
