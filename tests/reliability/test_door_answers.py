"""The door's answer follows the record at once, through the command line: a lifted set stays lifted until it
is reopened on record (findings 6), a re-issued or revoked badge is refused inside the duplicate window and the
window has a sane bound (7), and a scan id replays only the scan it named (8).

Each proof is the first release's probe, run as a crew would run it, with what it answered then.
"""

from __future__ import annotations

import json
import os

import pytest

from kiosk.services import badges, door, production
from kiosk.store import connect
from tests.reliability.support import IC_PASSPHRASE, KIOSK, health


@pytest.fixture
def kiosk_cli(cli, production_file):
    """`kiosk --db FILE ARGS` in-process on the proofs' production: (exit code, stdout, stderr)."""
    path, codes = production_file

    def run(*args) -> tuple[int, str, str]:
        return cli("--db", path, "--kiosk-id", KIOSK, *args)

    return run, path, codes


def answer(run, *args) -> dict:
    status, out, err = run("scan", *args, "--json")
    assert status in (0, 1) and not err, (status, err)
    return json.loads(out)


def test_a_lifted_set_is_reopened_only_on_record_and_as_a_new_run(kiosk_cli, ic_file, monkeypatch, figures):
    """First release: `kiosk scene open 42` after `kiosk scene close 42` put the set back in force silently, a
    temporary approval made at the door before the lift admitted again, and the second lift opened no check-in
    for a performer already checked in after the first."""
    run, path, codes = kiosk_cli
    assert answer(run, "42", codes["C01"])["decision"] == "admit"
    db = connect(path)
    escalated = door.escalate(db, "42", "G01", "set", coordinator="Amara Mensah", ad="Sam Whitfield", kiosk=KIOSK)
    db.close()
    assert escalated.decision == "admit"  # Marcus Reid, not on the list: the E key at the door
    assert run("scene", "close", "42")[0] == 0
    monkeypatch.setenv("KIOSK_IC_PASSPHRASE", IC_PASSPHRASE)
    assert run("checkin", "42", "C01", "--status", "ok", "--by", "Amara Mensah")[0] == 0

    status, _, err = run("scene", "open", "42")
    assert status == 2 and "lifted" in err and "kiosk scene reopen 42" in err, err
    refused_while_lifted = answer(run, "42", codes["C01"])
    assert refused_while_lifted["decision"] != "admit"
    for blank in (["--by", "Helen Marsh", "--reason", " "], ["--by", "\u200b", "--reason", "one more take"]):
        status, _, err = run("scene", "reopen", "42", *blank)
        assert status == 2 and "Traceback" not in err, err
    assert run("scene", "reopen", "42", "--by", "Helen Marsh", "--reason", "one more take")[0] == 0
    status, _, err = run("scene", "reopen", "42", "--by", "Helen Marsh", "--reason", "again")
    assert status == 2 and "not lifted" in err, err

    temporary = answer(run, "42", codes["G01"])
    assert (temporary["decision"], temporary["reason"]) == ("deny", "not_approved"), temporary
    assert answer(run, "42", codes["C01"])["decision"] == "admit"  # the performers' approvals stand
    assert run("scene", "close", "42")[0] == 0
    status, out, _ = run("checkins", "42", "--json")
    states = sorted((row["ref"], row["state"]) for row in json.loads(out))
    assert states == [("C01", "done"), ("C01", "pending"), ("C02", "pending"), ("C02", "pending"),
                      ("G01", "offered")], states  # G01, let in on a temporary approval, is offered one

    status, out, _ = run("log", "42", "--json")
    reopened = [row for row in json.loads(out) if row["to"] == "open" and row["by"] == "Helen Marsh"]
    assert len(reopened) == 1, "the reopening is on record, with who"
    assert health(path)[:2] == ("ok", True)
    figures.update(open_after_lift_exit=2, temporary_approval_after_reopen=temporary["reason"],
                   checkins_after_two_lifts=len(states), reopen_recorded=len(reopened))


def test_a_reissued_or_revoked_badge_is_refused_inside_the_duplicate_window(kiosk_cli, figures):
    """First release: admit P01, re-issue P01's badge, scan the old code within the 5 s window: ADMIT (the
    earlier verdict, replayed as a duplicate).  A re-issue or a revoke changes the answer at once."""
    run, path, codes = kiosk_cli
    db = connect(path)
    production.set_duplicate_window(db, 5, KIOSK)
    db.close()
    assert answer(run, "42", codes["P01"])["decision"] == "admit"
    again = answer(run, "42", codes["P01"])
    assert again["duplicate"] and again["decision"] == "admit"  # the window itself works: same scan, no toggle

    db = connect(path)
    badges.record_badges(db, badges.plan_badges(db, ["P01"]), KIOSK)  # re-issued: the old badge is superseded
    db.close()
    old = answer(run, "42", codes["P01"])
    assert (old["decision"], old["reason"], old["duplicate"]) == ("deny", "superseded", False), old

    assert answer(run, "42", codes["P02"])["decision"] == "admit"
    assert run("badge", "revoke", "P02", "--reason", "lost on set")[0] == 0
    revoked = answer(run, "42", codes["P02"])
    assert (revoked["decision"], revoked["reason"], revoked["duplicate"]) == ("deny", "revoked", False), revoked
    figures.update(window_seconds=5, superseded_within_window=old["reason"], revoked_within_window=revoked["reason"])


@pytest.mark.parametrize("window", ["nan", "inf", "-inf", "3600", "60.001", "-1"])
def test_the_duplicate_window_is_0_to_60_seconds(cli, tmp_path, window):
    """First release: `kiosk init --duplicate-window` took inf, nan (then a database error, exit 3) and 3600.
    Now exit 2 naming the bound, and no file made."""
    path = tmp_path / "new.db"
    status, _, err = cli("--db", path, "init", "--production", "Night Garden", "--duplicate-window", window)
    assert status == 2 and "0 to 60 seconds" in err and "Traceback" not in err, err
    assert not path.exists() and not os.listdir(tmp_path)


def test_a_window_set_in_the_record_is_bounded_too(production_file):
    path, _ = production_file
    db = connect(path)
    for window in (float("nan"), float("inf"), 3600.0, -0.5):
        with pytest.raises(production.ServiceError, match="0 to 60 seconds"):
            production.set_duplicate_window(db, window, KIOSK)
    production.set_duplicate_window(db, 60, KIOSK)
    db.close()


def test_a_scan_id_replays_only_the_scan_it_named(kiosk_cli, figures):
    """First release: `kiosk scan 43 NOT-A-BADGE --scan-id <an old admit id>` printed ADMIT for scene 42 with
    exit 0.  A resent scan (same scene, code and zone) gets its stored verdict; any other content under a used id
    is a conflict: exit 2, nothing recorded."""
    run, path, codes = kiosk_cli
    status, out, err = run("scan", "42", codes["P01"], "--scan-id", "door-1-0001", "--json")
    assert status == 0 and json.loads(out)["decision"] == "admit"
    rows = health(path)[2]
    resent = answer(run, "42", codes["P01"], "--scan-id", "door-1-0001")
    assert resent["replay"] and resent["decision"] == "admit"
    conflicts = (["43", "NOT-A-BADGE"], ["42", "NOT-A-BADGE"], ["42", codes["P02"]],
                 ["42", codes["P01"], "--zone", "monitors"])
    for other in conflicts:
        status, out, err = run("scan", *other, "--scan-id", "door-1-0001")
        assert status == 2 and "was used for another scan" in err and not out and "Traceback" not in err, err
    assert health(path) == ("ok", True, rows), "a conflict records nothing"
    status, out, _ = run("--kiosk-id", "door-2", "scan", "42", "NOT-A-BADGE", "--scan-id", "door-1-0001", "--json")
    assert status == 1 and not json.loads(out)["replay"]  # another kiosk's id names a scan of its own
    figures.update(conflicts=len(conflicts), conflict_exit=2, replay_of_same_scan="admit, stored once")
