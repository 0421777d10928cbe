"""Attack: guessed, near-miss, foreign, revoked and superseded codes are never admitted; files are private;
the supervisor PIN resists guessing offline (scrypt) and online (lockout)."""

from __future__ import annotations

import itertools
import os
import random
import stat
import time
from datetime import UTC, datetime, timedelta

import pytest

from kiosk.cli import main
from kiosk.core import codes, secrets
from kiosk.core.door import Decision
from kiosk.services import access, badges, door
from kiosk.store import connect, queries
from tests.reliability.conftest import KIOSK, build_production, size


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
            holder = queries.badge_holder(db, parsed.code)
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
    monkeypatch.setattr(access, "now", lambda: clock[0].isoformat())
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
    events = [row[0] for row in db.execute(
        "SELECT json_extract(detail, '$.event') FROM log WHERE kind = 'supervisor' ORDER BY id")]
    assert events == ["pin_set", *["wrong_pin"] * 5, "while_locked", "unlock"]  # every attempt on record
    assert access.MAX_FAILURES == 5 and access.LOCKOUT_SECONDS == 300
