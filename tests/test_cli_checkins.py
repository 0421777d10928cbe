"""`kiosk checkin`, `kiosk checkins` and `kiosk followups` through the real entry point."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest

from kiosk.store import connect
from kiosk.store.queries import many

PASSPHRASE = "tangerine orbit lantern velvet"
NOTE = "Felt rushed in take 3, ZEBRA-PAPAYA-7431"
SOON = (date.today() + timedelta(days=7)).isoformat()


@pytest.fixture
def lifted(cli_production, capsys, monkeypatch, cheap_kdf, cli):
    """Scene 42 lifted (pending check-ins for C01 and C02) and the IC passphrase set from the environment."""
    monkeypatch.delenv("KIOSK_IC_PASSPHRASE", raising=False)
    assert cli("scene", "open", "42")[0] == 0
    assert cli("scene", "close", "42")[0] == 0
    monkeypatch.setenv("KIOSK_IC_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("KIOSK_IC_NAME", "Amara Mensah")
    status, out, _ = cli("checkins", "passphrase")
    assert status == 0 and "lost with it, for good" in out and "IC passphrase set." in out
    return cli_production


def log_count(db_path) -> int:
    return len(many(connect(db_path), "SELECT id FROM events"))


def test_no_passphrase_and_no_terminal_is_a_clear_error(lifted, capsys, monkeypatch, cli):
    monkeypatch.delenv("KIOSK_IC_PASSPHRASE")
    status, _, err = cli("checkin", "42", "C01", "--status", "ok")
    assert status == 2 and "KIOSK_IC_PASSPHRASE" in err


def test_record_list_and_read(lifted, capsys, cli):
    status, out, _ = cli("checkins", "42", "--json")
    assert status == 0 and sorted(row["state"] for row in json.loads(out)) == ["pending", "pending"]
    status, out, _ = cli("checkin", "42", "C01", "--status", "needs-a-moment", "--note", NOTE,
                           "--signposting", "Equity helpline")
    assert status == 0 and "Needs a moment" in out and NOTE not in out
    status, out, _ = cli("checkin", "42", "Łukasz Nowak", "--status", "follow-up",
                           "--follow-up-owner", "Amara", "--due", SOON, "--json")
    assert status == 0 and json.loads(out)["state"] == "follow-up open" and "Amara" not in out
    for args in (("checkins", "42"), ("checkins",), ("checkins", "list", "42", "--json"), ("checkins", "--json")):
        status, out, _ = cli(*args)
        assert status == 0 and NOTE not in out and "needs-a-moment" not in out and "Needs a moment" not in out
    assert "0 offered, 1 done, 1 follow-up open" in cli("checkins", "42")[1]
    reads = log_count(lifted)
    status, out, _ = cli("checkins", "42", "--notes", "--json")
    rows = {row["ref"]: row for row in json.loads(out)}
    assert status == 0 and rows["C01"]["note"] == NOTE and rows["C02"]["follow_up_owner"] == "Amara"
    assert log_count(lifted) == reads + 2 + 2  # the two records opened, and the unlock: its attempt, then right
    status, out, _ = cli("log", "42")
    assert "checkin.read" in out and "Amara Mensah" in out and NOTE not in out


def test_note_from_standard_input(lifted, capsys, monkeypatch, cli):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(NOTE.encode() + b"\n")))
    assert cli("checkin", "42", "C01", "--status", "ok", "--note", "-")[0] == 0
    _status, out, _ = cli("checkins", "--notes", "--json")
    assert json.loads(out)[0]["note"] == NOTE


def test_wrong_passphrase_is_refused_and_changes_nothing(lifted, capsys, monkeypatch, cli):
    cli("checkin", "42", "C01", "--status", "ok", "--note", NOTE)
    before = log_count(lifted)
    monkeypatch.setenv("KIOSK_IC_PASSPHRASE", "tangerine orbit lantern velvet!")
    for args in (("checkins", "--notes"), ("checkin", "42", "C02", "--status", "ok"), ("followups",),
                 ("checkins", "purge", "--older-than", "1d")):
        status, out, err = cli(*args)
        assert status == 1 and "Wrong IC passphrase" in err and NOTE not in out
    added = many(connect(lifted), "SELECT key, COALESCE(reason, 'attempt') AS event FROM events WHERE id > ?",
                 [before])
    assert added == [{"key": "attempts/ic", "event": event} for event in ("attempt", "wrong")] * 4


def test_change_passphrase_from_the_environment(lifted, capsys, monkeypatch, cli):
    cli("checkin", "42", "C01", "--status", "ok", "--note", NOTE)
    monkeypatch.setenv("KIOSK_IC_NEW_PASSPHRASE", "a completely different phrase")
    status, out, _ = cli("checkins", "passphrase")
    assert status == 0 and "re-sealed" in out
    assert cli("checkins", "--notes")[0] == 1
    monkeypatch.setenv("KIOSK_IC_PASSPHRASE", "a completely different phrase")
    status, out, _ = cli("checkins", "--notes", "--json")
    assert status == 0 and NOTE in out


def test_follow_ups_and_done(lifted, capsys, cli):
    cli("checkin", "42", "C01", "--status", "follow-up", "--follow-up-owner", "Jonas", "--due", SOON)
    status, out, _ = cli("followups")
    assert status == 0 and "Jonas" in out and "open" in out
    status, out, _ = cli("followups", "done", "42", "C01", "--on", date.today().isoformat())
    assert status == 0 and "done on" in out
    status, out, _ = cli("followups", "--json")
    assert status == 0 and json.loads(out)[0]["open"] is False
    assert cli("followups", "done", "42", "C01")[0] == 2


def test_purge_and_bad_input(lifted, capsys, cli):
    cli("checkin", "42", "C01", "--status", "ok", "--note", NOTE)
    status, out, _ = cli("checkins", "purge", "--older-than", "30d", "--json")
    assert status == 0 and json.loads(out)["erased"] == 0
    assert cli("checkins", "purge", "--older-than", "30 days")[0] == 2
    assert cli("checkin", "42", "C01", "--status", "fine")[0] == 2
    assert cli("checkin", "42", "C01", "--status", "ok", "--due", SOON)[0] == 2
    status, out, _ = cli("checkins", "add", "42", "P01", "Tom Brennan")
    assert status == 0 and "Tom Brennan (pending)" in out
    status, out, _ = cli("checkins", "--help")
    assert status == 0 and "purge" in out and "passphrase" in out


def test_forgotten_passphrase_needs_the_pin_and_erases_the_notes(lifted, capsys, monkeypatch, cli):
    from kiosk.services import access

    cli("checkin", "42", "C01", "--status", "needs-a-moment", "--note", NOTE)
    access.set_pin(connect(lifted), "246810", "test")
    monkeypatch.setenv("KIOSK_IC_NEW_PASSPHRASE", "a fresh start phrase")
    status, _, err = cli("checkins", "passphrase", "--forgotten")
    assert status == 2 and "Nothing was erased" in err
    monkeypatch.setenv("KIOSK_SUPERVISOR_PIN", "135790")
    status, _, err = cli("checkins", "passphrase", "--forgotten", "--yes")
    assert status == 1 and "Wrong PIN" in err
    monkeypatch.setenv("KIOSK_SUPERVISOR_PIN", "246810")
    status, out, _ = cli("checkins", "passphrase", "--forgotten", "--yes")
    assert status == 0 and "erased" in out
    monkeypatch.setenv("KIOSK_IC_PASSPHRASE", "a fresh start phrase")
    status, out, _ = cli("checkins", "42", "--notes", "--json")
    c01 = next(row for row in json.loads(out) if row["ref"] == "C01")
    assert status == 0 and c01["status"] == "needs-a-moment" and c01["note"] is None
