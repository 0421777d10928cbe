"""Administering the hub, through the library and through `kiosk hub ...`: migrations, devices, status, verify."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from kiosk.cli import main
from kiosk.hub import HubClient, HubError, add_device, init_hub, status, verify
from kiosk.hub.schema import MIGRATIONS


def kiosk(capsys, *args: str) -> tuple[int, str, str]:
    """Run `kiosk ARGS` in-process through main(), as the console script does."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_init_creates_once_then_finds_the_hub_up_to_date(hub):
    assert init_hub(hub.admin_dsn, hub.password) == []
    applied = hub.sql().execute("SELECT version, name FROM hub.migrations ORDER BY version").fetchall()
    assert applied == [(migration.version, migration.name) for migration in MIGRATIONS]


def test_a_device_added_twice_is_refused(hub):
    hub.add("door-1")
    with pytest.raises(HubError, match="already exists") as refused:
        hub.add("door-1")
    assert refused.value.reason == "refused"


def test_a_role_of_that_name_from_elsewhere_is_never_taken_over(hub):
    hub.sql().execute('CREATE ROLE "kiosk:door-9" NOLOGIN')
    try:
        with pytest.raises(HubError, match="already exists on this PostgreSQL server"):
            hub.add("door-9")
        assert hub.sql().execute("SELECT count(*) FROM hub.devices").fetchone() == (0,)
    finally:
        hub.sql().execute('DROP ROLE "kiosk:door-9"')


def test_a_device_dsn_is_pinned_verify_full_with_its_own_role(hub):
    params = conninfo_to_dict(hub.add("door-1"))
    assert params["sslmode"] == "verify-full" and params["sslrootcert"] == str(hub.server.ca)
    assert params["user"] == "kiosk:door-1" and len(params["password"]) >= 40
    verifier = hub.sql().execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'kiosk:door-1'").fetchone()[0]
    assert verifier.startswith("SCRAM-SHA-256$") and params["password"] not in verifier


def test_status_shows_each_device(hub, chain):
    door = hub.client("door-1")
    door.push(chain("door-1", 4))
    door.report_clock(datetime.now(UTC) - timedelta(minutes=5))
    hub.add("spare")
    shown = status(hub.admin_dsn, hub.password)
    totals = (shown.schema_version, shown.events, shown.blobs, shown.photos, shown.erased)
    assert totals == (len(MIGRATIONS), 4, 0, 0, 0)
    first, spare = shown.devices
    assert (first.name, first.last_seq, first.events, first.clock_flagged) == ("door-1", 4, 4, True)
    assert 299 < first.clock_skew_seconds < 302 and first.last_seen is not None and first.anomalies == 0
    assert (spare.name, spare.last_seq, spare.last_seen, spare.clock_skew_seconds) == ("spare", 0, None, None)
    door.report_anomalies(3)
    assert [device.anomalies for device in status(hub.admin_dsn, hub.password).devices] == [3, 0]
    with pytest.raises(HubError, match="0 or more"):
        door.report_anomalies(-1)
    assert door.heads() == {"door-1": 4}


def test_verify_passes_a_sound_hub_and_finds_the_first_break_of_each_device(hub, chain):
    for name in ("door-1", "door-2", "door-3"):
        hub.client(name).push(chain(name, 6))
    sound = verify(hub.admin_dsn, hub.password)
    assert sound.ok and (sound.devices, sound.events) == (3, 18)
    admin = hub.sql()
    admin.execute("ALTER TABLE hub.events DISABLE TRIGGER append_only")  # what only an intruder would do
    admin.execute("UPDATE hub.events SET payload = replace(payload, '\"admit\"', '\"deny\"') "
                  "WHERE device = 'door-1' AND seq >= 3")
    admin.execute("DELETE FROM hub.events WHERE device = 'door-2' AND seq = 4")
    broken = verify(hub.admin_dsn, hub.password)
    assert not broken.ok
    assert [(found.device, found.seq) for found in broken.breaks] == [("door-1", 3), ("door-2", 5)]
    assert "hash is not the SHA-256" in broken.breaks[0].problem
    assert "does not follow event 3" in broken.breaks[1].problem


def test_verify_finds_a_blob_changed_at_rest(hub, chain):
    content = b"sealed"
    digest = hashlib.sha256(content).hexdigest()
    hub.client("ic").push(chain("ic", 1, body=lambda seq: {"sealed": [digest]}), {digest: content})
    admin = hub.sql()
    admin.execute("ALTER TABLE hub.sealed DISABLE TRIGGER append_only")
    admin.execute("ALTER TABLE hub.sealed DROP CONSTRAINT sealed_check")
    admin.execute("UPDATE hub.sealed SET content = 'changed'")
    assert verify(hub.admin_dsn, hub.password).bad_blobs == [digest]


def test_admin_calls_on_a_database_that_is_no_hub_say_so(pg_server):
    with pytest.raises(HubError, match="not a kiosk hub"):
        status(pg_server.dsn("postgres"), pg_server.password)


def test_an_admin_role_that_may_not_create_roles_is_refused_clearly(hub):
    hub.sql().execute("CREATE ROLE plain LOGIN PASSWORD 'plain-password-1'")
    try:
        with pytest.raises(HubError) as refused:
            add_device(make_conninfo(hub.admin_dsn, user="plain"), "door-1", password="plain-password-1")
        assert refused.value.reason == "refused" and "permission denied" in str(refused.value)
    finally:
        hub.sql().execute("DROP OWNED BY plain")
        hub.sql().execute("DROP ROLE plain")


@pytest.fixture
def cli_hub(hub, monkeypatch):
    monkeypatch.setenv("KIOSK_HUB", hub.admin_dsn)
    monkeypatch.setenv("KIOSK_HUB_PASSWORD", hub.password)
    return hub


def test_cli_init_device_add_status_verify_revoke(cli_hub, capsys, chain):
    assert kiosk(capsys, "hub", "init") == (0, "Hub already up to date.\n", "")
    code, out, err = kiosk(capsys, "hub", "device", "add", "door-1")
    assert code == 0 and "shown this once" in err
    with HubClient(out.strip()) as door:
        door.push(chain("door-1", 3))
    code, out, _ = kiosk(capsys, "hub", "device", "add", "office", "--office", "--json")
    assert code == 0 and json.loads(out)["kind"] == "office" and json.loads(out)["role"] == "kiosk:office"
    code, out, _ = kiosk(capsys, "hub", "status")
    assert code == 0 and "3 event(s)" in out and "door-1" in out and "office" in out
    code, out, _ = kiosk(capsys, "hub", "status", "--json")
    assert code == 0 and [device["last_seq"] for device in json.loads(out)["devices"]] == [3, 0]
    assert kiosk(capsys, "hub", "verify")[:2] == (0, "Every chain holds: 1 device(s), 3 event(s), 0 sealed blob(s), "
                                                     "0 photo(s).\n")
    assert kiosk(capsys, "hub", "device", "revoke", "door-1")[:2] == (0, "Device door-1 revoked.\n")
    code, out, _ = kiosk(capsys, "hub", "status", "--json")
    assert json.loads(out)["devices"][0]["revoked_at"] is not None


def test_cli_verify_exits_1_on_a_broken_chain(cli_hub, capsys, chain):
    cli_hub.client("door-1").push(chain("door-1", 3))
    admin = cli_hub.sql()
    admin.execute("ALTER TABLE hub.events DISABLE TRIGGER append_only")
    admin.execute("DELETE FROM hub.events WHERE seq = 2")
    code, out, _ = kiosk(capsys, "hub", "verify")
    assert code == 1 and "BROKEN: device door-1 at event 3" in out


def test_cli_refuses_a_password_on_the_command_line(cli_hub, capsys):
    code, _, err = kiosk(capsys, "hub", "status", "--hub", cli_hub.admin_dsn + " password=hunter2-secret")
    assert code == 2 and "holds a password" in err and "hunter2" not in err
    uri = "postgresql://postgres:hunter2-secret@127.0.0.1/x?sslmode=verify-full&sslrootcert=/x"
    code, _, err = kiosk(capsys, "hub", "status", "--hub", uri)
    assert code == 2 and "hunter2" not in err


def test_cli_exit_codes(cli_hub, capsys, pg_server, monkeypatch):
    assert kiosk(capsys, "hub", "device", "add", "bad name")[0] == 2
    assert kiosk(capsys, "hub", "device", "revoke", "nobody")[0] == 2
    assert kiosk(capsys, "hub", "status", "--hub", "host=127.0.0.1 port=x=y")[0] == 2
    assert kiosk(capsys, "hub", "status", "--hub", cli_hub.admin_dsn + " sslmode=require")[0] == 2
    kiosk(capsys, "hub", "device", "add", "door-1")
    assert kiosk(capsys, "hub", "device", "add", "door-1")[0] == 1
    monkeypatch.setenv("KIOSK_HUB_PASSWORD", "wrong-password")
    code, _, err = kiosk(capsys, "hub", "status")
    assert code == 1 and "refused the password" in err and "wrong-password" not in err
    monkeypatch.setenv("KIOSK_HUB_PASSWORD", cli_hub.password)
    other_ca = f"{cli_hub.admin_dsn} sslrootcert={pg_server.other_ca}"
    code, _, err = kiosk(capsys, "hub", "status", "--hub", other_ca)
    assert code == 1 and "TLS" in err
    pg_server.stop()
    code, _, err = kiosk(capsys, "hub", "status")
    assert code == 3 and "cannot be reached" in err
    monkeypatch.delenv("KIOSK_HUB")
    assert kiosk(capsys, "hub", "status")[0] == 2


def test_cli_takes_the_password_from_a_libpq_passfile(cli_hub, capsys, tmp_path, monkeypatch):
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{cli_hub.server.port}:*:postgres:{cli_hub.password}\n")
    passfile.chmod(0o600)
    monkeypatch.delenv("KIOSK_HUB_PASSWORD")
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    assert kiosk(capsys, "hub", "status")[0] == 0


def test_kiosk_help_lists_the_hub_commands_without_loading_psycopg():
    probe = ("import sys, runpy; sys.argv = ['kiosk', '--help']\n"
             "try:\n    runpy.run_module('kiosk', run_name='__main__')\n"
             "finally:\n    print('psycopg' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe], check=False, capture_output=True, text=True)
    assert done.returncode == 0 and "hub" in done.stdout and done.stderr.strip() == "False"
