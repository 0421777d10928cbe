"""Attack: guessed, near-miss, foreign, revoked and superseded codes are never admitted; files are private;
the supervisor PIN resists guessing offline (scrypt) and online (lockout)."""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from kiosk.cli import main
from kiosk.core import codes, secrets
from kiosk.core.door import Decision
from kiosk.services import access, attempts, badges, checkins, door, ic_session, retention
from kiosk.store import audit, connect, queries
from tests.reliability.support import IC_PASSPHRASE, KIOSK, build_production, ic_passphrase_rows, size


def near_misses(code: str):
    """Every single-symbol change and every swap of two neighbours of ``code``."""
    for position, symbol in itertools.product(range(len(code)), codes.ALPHABET):
        if symbol != code[position]:
            yield code[:position] + symbol + code[position + 1:]
    for position in range(len(code) - 1):
        swapped = code[:position] + code[position + 1] + code[position] + code[position + 2:]
        if swapped != code:
            yield swapped


@pytest.fixture
def attacked(production_file, tmp_path):
    """The production with one badge revoked and one re-issued, and another production's codes."""
    path, real = production_file
    db = connect(path)
    badges.revoke_badge(db, "D01", "lost on set", KIOSK)
    cards = badges.plan_badges(db, ["P02"])
    badges.record_badges(db, cards, KIOSK)
    dead = {"revoked": real["D01"], "superseded": real["P02"]}
    foreign = build_production(tmp_path / "other.db", "Another Film")
    yield db, {**real, "P02": cards[0].code, "D01": None}, dead, list(foreign.values())
    db.close()


def attack_codes(real: list[str], dead: list[str], foreign: list[str], total: int, chooser: random.Random):
    """Near misses of every code we know first, then random guesses (half with a valid check symbol)."""
    known = [*dead, *foreign]
    misses = [candidate for code in [*real, *known] for candidate in near_misses(code)]
    chooser.shuffle(misses)
    yield from known
    yield from misses[: max(0, total - len(known))]
    for number in range(total - len(known) - len(misses)):
        if number % 2:
            yield codes.new_code()
        else:
            yield "".join(chooser.choice(codes.ALPHABET) for _ in range(codes.LENGTH))


def test_a_million_guesses_admit_nobody(attacked, figures):
    db, real, dead, foreign = attacked
    active = [code for code in real.values() if code]
    chooser = random.Random()
    total, sample_size = size("attack_codes"), size("attack_scans")
    tried = well_formed = found = 0
    sample = []
    for candidate in attack_codes(active, list(dead.values()), foreign, total, chooser):
        tried += 1
        parsed = codes.parse(candidate)
        if parsed.code:
            well_formed += 1
            holder = queries.badge_holder(db, codes.digest(parsed.code))
            if holder:
                found += 1
                assert holder["status"] != "active", f"{candidate} opens the door as {holder['ref']}"
        if len(sample) < sample_size:
            sample.append(candidate)
        elif chooser.random() < sample_size / tried:
            sample[chooser.randrange(sample_size)] = candidate
    sample[: len(dead) + len(foreign)] = [*dead.values(), *foreign]  # the dangerous ones all go to the door
    verdicts = [door.scan(db, "42", candidate, chooser.choice(["set", "monitors"]), KIOSK) for candidate in sample]
    assert not [verdict for verdict in verdicts if verdict.decision != Decision.DENY]
    reasons = {}
    for verdict in verdicts:
        reasons[verdict.reason] = reasons.get(verdict.reason, 0) + 1
    assert tried == total
    figures.update(codes_tried=tried, well_formed=well_formed, matched_a_dead_badge=found, admitted=0,
                   near_misses_per_code=len(list(near_misses(active[0]))), through_door_scan=len(sample),
                   door_reasons=reasons)


def test_a_badge_from_another_production_is_refused(attacked):
    db, real, dead, foreign = attacked
    assert door.scan(db, "42", real["P01"], "set", KIOSK).decision == Decision.ADMIT  # the door does open
    for code in foreign:
        verdict = door.scan(db, "42", code, "set", KIOSK)
        assert (verdict.decision, verdict.reason) == (Decision.DENY, "unknown")
    for reason, code in dead.items():
        assert (door.scan(db, "42", code, "set", KIOSK).reason, reason) in {("revoked", "revoked"),
                                                                              ("superseded", "superseded")}


def owner_only(path) -> bool:
    return stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0


def test_files_are_created_readable_by_their_owner_only(tmp_path, capsys):
    previous = os.umask(0o022)  # a usual, permissive umask
    try:
        folder = tmp_path / "new" / "folder"
        path = folder / "kiosk.db"
        with pytest.raises(SystemExit) as exit_info:
            main(["--db", str(path), "init", "--production", "Night Garden"])
        assert exit_info.value.code == 0
        db = connect(path)
        with pytest.raises(SystemExit):
            main(["--db", str(path), "people", "add", "--name", "Ana Lima", "--kind", "crew"])
        created = [path, path.with_name("kiosk.db-wal"), path.with_name("kiosk.db-shm")]
        assert all(name.exists() for name in created)
        assert all(owner_only(name) for name in created), [oct(os.stat(name).st_mode) for name in created]
        assert owner_only(folder)
        db.close()
    finally:
        os.umask(previous)


def test_scrypt_parameters_protect_the_stored_pin(db, figures):
    access.set_pin(db, "482913", KIOSK)
    stored = queries.setting(db, "supervisor_pin")
    name, n, r, p, _salt, _digest = stored.split("$")
    assert (name, int(n), int(r), int(p)) == ("scrypt", 2**16, 8, 1)
    assert len(secrets.KdfParams.decode("$".join(stored.split("$")[:5])).salt) == 16
    assert "482913" not in stored and secrets.hash_secret("482913") != stored  # salted
    started = time.perf_counter()
    assert secrets.verify_secret("482913", stored)
    guess = time.perf_counter() - started
    figures.update(n=2**16, r=8, p=1, salt_bytes=16, memory_mib=128 * 2**16 * 8 // 2**20,
                   seconds_per_guess=round(guess, 3),
                   core_hours_all_6_digit_pins=round(guess * 10**6 / 3600, 1))


def test_five_wrong_pins_lock_the_supervisor_menu_for_five_minutes(db, monkeypatch):
    access.set_pin(db, "482913", KIOSK)
    clock = [datetime(2026, 11, 23, 22, 0, tzinfo=UTC)]
    monkeypatch.setattr(attempts, "now", lambda: clock[0].isoformat())
    for left in (4, 3, 2, 1):
        with pytest.raises(access.PinRefused, match=f"{left} tries left"):
            access.check_pin(db, "000000", KIOSK)
    with pytest.raises(access.PinRefused, match="locked for 5 min 00 s"):
        access.check_pin(db, "000001", KIOSK)
    clock[0] += timedelta(seconds=299)
    with pytest.raises(access.PinRefused, match="locked for 1 s"):
        access.check_pin(db, "482913", KIOSK)  # even the right PIN, while locked
    clock[0] += timedelta(seconds=2)
    access.check_pin(db, "482913", KIOSK)
    events = [row[0] or "attempt" for row in db.execute(
        "SELECT reason FROM events WHERE key = 'attempts/supervisor' ORDER BY id")]
    assert events == [*["attempt", "wrong"] * 5, "locked", "attempt", "right"]  # every attempt on record
    assert access.MAX_FAILURES == 5 and access.LOCKOUT_SECONDS == 300


def test_every_failed_ic_unlock_is_on_record_and_told_to_the_ic(ic_file, capsys, monkeypatch, figures):
    """A wrong IC passphrase once left no trace.  Each failure (unlock, change, the CLI) is now a row naming who
    and which kiosk, and the IC is told how many at the next unlock (`failed_attempts`, stderr on the CLI)."""
    db = connect(ic_file)
    for _ in range(3):
        with pytest.raises(checkins.PassphraseRefused):
            checkins.unlock(db, "not the passphrase at all", "Mallory", "door-2")
    with pytest.raises(checkins.PassphraseRefused):
        retention.change_passphrase(db, "not the passphrase at all", "a brand new passphrase", "Mallory", "door-2")
    monkeypatch.setenv("KIOSK_DB", str(ic_file))
    monkeypatch.setenv("KIOSK_IC_NAME", "Mallory")
    monkeypatch.setenv("KIOSK_IC_PASSPHRASE", "not the passphrase at all")
    with pytest.raises(SystemExit) as exit_info:
        main(["--kiosk-id", "door-3", "checkins", "--notes"])
    assert exit_info.value.code == 1 and "Wrong IC passphrase" in capsys.readouterr().err
    wrong = ic_passphrase_rows(db, "wrong")
    assert [(row["kiosk"], json.loads(row["detail"])["by"]) for row in wrong] == [("door-2", "Mallory")] * 4 + [
        ("door-3", "Mallory")] and all(row["at"] for row in wrong)
    monkeypatch.setenv("KIOSK_IC_PASSPHRASE", IC_PASSPHRASE)
    monkeypatch.setenv("KIOSK_IC_NAME", "Amara Mensah")
    with pytest.raises(SystemExit) as exit_info:
        main(["checkins", "--notes"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 0 and "5 failed attempts to unlock IC mode since your last unlock" in err, err
    assert checkins.unlock(db, IC_PASSPHRASE, "Amara Mensah", KIOSK).failed_attempts == 0  # told once
    with pytest.raises(checkins.PassphraseRefused):
        checkins.unlock(db, "not the passphrase at all", "Mallory", "door-2")
    assert retention.change_passphrase(db, IC_PASSPHRASE, "a brand new passphrase", "Amara", KIOSK).failed_attempts == 1
    db.close()
    figures.update(failed=6, rows=len(ic_passphrase_rows(connect(ic_file), "wrong")), told=[5, 0, 1])


def test_an_ic_unlock_attempt_is_counted_before_the_slow_check(ic_file, monkeypatch):
    """Killed (or interrupted) in the middle of the scrypt check, an attempt still counts: it was committed, in
    a transaction of its own, before the check began."""
    db = connect(ic_file)
    derive = ic_session.derive_key
    seen_before_check = []

    def killed_mid_check(secret, params):
        watcher = sqlite3.connect(ic_file)  # another connection: only committed rows show
        seen_before_check.append(watcher.execute(
            "SELECT COUNT(*) FROM events WHERE key = 'attempts/ic' AND type = 'secret.attempt'").fetchone()[0])
        watcher.close()
        raise KeyboardInterrupt

    monkeypatch.setattr(ic_session, "derive_key", killed_mid_check)
    for attempt in (lambda: checkins.unlock(db, "a wrong guess of a phrase", "Mallory", "door-2"),
                    lambda: retention.change_passphrase(db, "a wrong guess of a phrase", "another new passphrase",
                                                       "Mallory", "door-2")):
        with pytest.raises(KeyboardInterrupt):
            attempt()
    assert seen_before_check == [1, 2]
    monkeypatch.setattr(ic_session, "derive_key", derive)
    assert checkins.unlock(db, IC_PASSPHRASE, "Amara Mensah", KIOSK).failed_attempts == 2
    db.close()


def anonymous_memory_mib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            return next(int(line.split()[1]) // 1024 for line in status if line.startswith("RssAnon:"))
    except (FileNotFoundError, ProcessLookupError, StopIteration):
        return 0


def test_parallel_guesses_killed_mid_check_are_all_counted(production_file, figures):
    """Real `kiosk checkins --notes` processes guessing in parallel at the real scrypt cost; half of them are
    killed with SIGKILL in the middle of the check, seen from outside as the 64 MiB scrypt filling their memory
    (anonymous memory past a random point between 24 and 56 MiB; the kiosk holds about 10 MiB before it).
    Each one that began its check counts: the IC is told exactly how many guessed."""
    path, _ = production_file
    db = connect(path)
    checkins.set_passphrase(db, IC_PASSPHRASE, "Amara Mensah", KIOSK)  # the real cost: N = 2**16
    chooser = random.Random()
    total, wave = size("guess_processes"), 3
    killed = refused = 0
    env = {**os.environ, "KIOSK_DB": str(path), "KIOSK_IC_PASSPHRASE": "a wrong guess of a phrase",
           "KIOSK_IC_NAME": "Mallory"}
    for start in range(0, total, wave):
        guessers = [(subprocess.Popen([sys.executable, "-m", "kiosk", "--kiosk-id", f"guess-{number}", "checkins",
                                       "--notes"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env),
                     chooser.choice([None, chooser.randint(24, 56)])) for number in range(start, start + wave)]
        while any(process.poll() is None for process, _ in guessers):
            for process, kill_at in guessers:
                if kill_at and process.poll() is None and anonymous_memory_mib(process.pid) >= kill_at:
                    process.send_signal(signal.SIGKILL)
            time.sleep(0.002)
        for process, _ in guessers:
            _, err = process.communicate()
            if process.returncode == -signal.SIGKILL:
                killed += 1
            else:
                assert process.returncode == 1 and "Wrong IC passphrase" in err, (process.returncode, err)
                refused += 1
    assert checkins.unlock(db, IC_PASSPHRASE, "Amara Mensah", KIOSK).failed_attempts == total
    assert len(ic_passphrase_rows(db, "wrong")) == refused
    assert audit.verify(db).ok
    db.close()
    figures.update(guessers=total, parallel=wave, killed_mid_check=killed, refused=refused, counted=total)
