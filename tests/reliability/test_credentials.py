"""Credentials are checked against their log event when used: a supervisor PIN hash or IC passphrase check
swapped in ``settings`` is refused as damage (exit 3, with the way out), and the supervisor's rebuild, which
checks the PIN against the log, repairs the table.  (The first kiosk with the record gave a swapped hash the
supervisor's powers, erasing every IC note, and a garbage value crashed `kiosk pin` and `kiosk audit rebuild`.)"""

from __future__ import annotations

import pytest

from kiosk.core.secrets import hash_secret
from kiosk.errors import StoreError
from kiosk.services import access, checkins
from kiosk.store import connect
from tests.reliability.support import IC_PASSPHRASE, KIOSK, sql

PIN, FORGED = "246810", "999999"


@pytest.fixture
def guarded(ic_file, cheap_kdf):
    db = connect(ic_file)
    access.set_pin(db, PIN, KIOSK)
    db.close()
    return ic_file


def kiosk(cli, path, *args):
    return cli("--db", path, "--kiosk-id", KIOSK, *args)


@pytest.mark.parametrize("value", ["forged", "garbage"])
def test_a_swapped_pin_hash_is_refused_and_the_rebuild_repairs_it(value, guarded, cli, monkeypatch, figures):
    stored = hash_secret(FORGED) if value == "forged" else "not$a$hash"
    sql(guarded, "UPDATE settings SET value = ? WHERE key = 'supervisor_pin'", [stored])
    monkeypatch.setenv("KIOSK_SUPERVISOR_PIN", FORGED)
    monkeypatch.setenv("KIOSK_IC_NEW_PASSPHRASE", "a brand new passphrase for the set")
    code, out, err = kiosk(cli, guarded, "checkins", "passphrase", "--forgotten", "--yes")
    assert code == 3 and "the record is damaged" in err.lower() and "kiosk audit rebuild" in err, (out, err)
    assert "Traceback" not in err
    db = connect(guarded)
    assert checkins.unlock(db, IC_PASSPHRASE, "Amara Mensah", KIOSK)  # nothing was erased: the old one opens
    with pytest.raises(StoreError, match="supervisor PIN in the settings table is not the one the log holds"):
        access.check_pin(db, FORGED, KIOSK)
    db.close()
    monkeypatch.setenv("KIOSK_NEW_PIN", "135791")
    code, _, err = kiosk(cli, guarded, "pin")
    assert code == 3 and "the record is damaged" in err.lower() and "Traceback" not in err, err
    code, _, err = kiosk(cli, guarded, "audit", "rebuild")  # the forged PIN: refused against the log's
    assert code == 1 and "Wrong PIN" in err, err
    monkeypatch.setenv("KIOSK_SUPERVISOR_PIN", PIN)
    code, out, err = kiosk(cli, guarded, "audit", "rebuild")
    assert code == 0 and "1 row(s) differed" in out, (out, err)
    db = connect(guarded)
    access.check_pin(db, PIN, KIOSK)
    with pytest.raises(access.PinRefused):
        access.check_pin(db, FORGED, KIOSK)
    db.close()
    figures.update(value=value, use="exit 3, the record is damaged", rebuild="repairs it with the PIN on record")


def test_a_swapped_ic_check_is_refused_as_damage(guarded):
    db = connect(guarded)
    other = connect(guarded)
    db.close()
    sql(guarded, "UPDATE settings SET value = 'AAAA' WHERE key = 'ic_passphrase_check'")
    with pytest.raises(StoreError, match="ic passphrase check in the settings table is not the one the log holds"):
        checkins.unlock(other, IC_PASSPHRASE, "Amara Mensah", KIOSK)
    other.close()


def test_a_scan_id_with_control_characters_or_too_long_is_refused(production_file, cli):
    path, codes_by_ref = production_file
    for scan_id in ("door-1\x1b[2J", "x" * 65, ""):
        code, out, err = kiosk(cli, path, "scan", "42", codes_by_ref["P01"], "--scan-id", scan_id)
        assert code == 2 and "A scan id is 1 to 64 printable characters" in err and not out, (scan_id, err)
    assert kiosk(cli, path, "scan", "42", codes_by_ref["P01"], "--scan-id", "x" * 64)[0] == 0


def test_rebuild_on_a_broken_log_exits_1(production_file, cli, monkeypatch):
    path, _ = production_file
    db = connect(path)
    access.set_pin(db, PIN, KIOSK)
    db.close()
    sql(path, "UPDATE events SET payload = replace(payload, 'Night Garden', 'Day Garden') WHERE id = 1")
    monkeypatch.setenv("KIOSK_SUPERVISOR_PIN", PIN)
    code, _, err = kiosk(cli, path, "audit", "rebuild")
    assert code == 1 and "The log does not verify" in err, err
