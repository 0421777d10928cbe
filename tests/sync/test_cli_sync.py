"""`kiosk sync` and `kiosk join` from the command line: exit codes, words, JSON, secrets kept off the command line,
and `--follow` stopped cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from kiosk.hub import revoke_device
from kiosk.services import door


def without_password(dsn: str) -> tuple[str, str]:
    params = conninfo_to_dict(dsn)
    secret = params.pop("password")
    return make_conninfo(**params), secret


def run_as(cli, machine, *args):
    return cli("--db", machine.path, "--kiosk-id", machine.name, *args)


def test_sync_exit_codes_and_words(fleet, cli, monkeypatch, pg_server):
    door_a = fleet.join("door-a")
    door_a.close()
    monkeypatch.setenv("KIOSK_HUB", door_a.dsn)  # the whole address, password and all: the environment is private
    code, out, err = run_as(cli, door_a, "sync")
    assert code == 0 and "Synced with the hub: 0 event(s) pushed, 0 pulled." in out and err == ""
    door.scan(fleet.office.db, "42", fleet.codes["P01"], "set", "office")
    pg_server.kill()
    code, out, err = run_as(cli, fleet.office, "sync")
    assert code == 3 and "cannot be reached" in err and "Nothing is lost: 1 event(s)" in err
    pg_server.start()
    code, out, _ = run_as(cli, door_a, "sync", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["pulled"] == 0 and shown["waiting"] == 0
    assert {"anomalies", "conflict_list", "skew_seconds", "stranded"} <= shown.keys()
    assert run_as(cli, door_a, "--kiosk-id", "door-a", "sync")[0] == 0
    code, _, err = cli("--db", door_a.path, "--kiosk-id", "door-z", "sync")
    assert code == 2 and "the hub login is device 'door-a'" in err
    revoke_device(fleet.hub.admin_dsn, "door-a", fleet.hub.password)
    code, _, err = run_as(cli, door_a, "sync")
    assert code == 1 and "revoked" in err


def test_a_password_on_the_command_line_is_refused_and_never_echoed(fleet, cli, monkeypatch):
    address, secret = without_password(fleet.office.dsn)
    code, _, err = run_as(cli, fleet.office, "sync", "--hub", fleet.office.dsn)
    assert code == 2 and "holds a password" in err and secret not in err
    monkeypatch.setenv("KIOSK_HUB_PASSWORD", secret)
    assert run_as(cli, fleet.office, "sync", "--hub", address)[0] == 0
    monkeypatch.setenv("KIOSK_HUB_PASSWORD", "not-the-password")
    code, _, err = run_as(cli, fleet.office, "sync", "--hub", address)
    assert code == 1 and "refused the password" in err and "not-the-password" not in err and secret not in err
    monkeypatch.delenv("KIOSK_HUB_PASSWORD")
    code, _, err = run_as(cli, fleet.office, "sync", "--hub", address)  # no terminal to ask in: refused
    assert code == 1 and "refused the password" in err


def test_join_from_the_command_line(fleet, cli, monkeypatch, tmp_path):
    monkeypatch.setenv("KIOSK_HUB", fleet.hub.add("door-c"))
    code, out, err = cli("join", "--db", tmp_path / "door-c.db", "--kiosk-id", "door-c")
    assert code == 0 and "Joined production 'Night Garden' as door-c" in out and err == ""
    assert (tmp_path / "door-c.db").stat().st_mode & 0o777 == 0o600
    code, _, err = cli("join", "--db", tmp_path / "door-c.db", "--kiosk-id", "door-c")
    assert code == 2 and "exists already" in err
    code, _, err = cli("join", "--db", tmp_path / "other.db", "--kiosk-id", "bad id!")
    assert code == 2 and "kiosk id" in err
    assert not (tmp_path / "other.db").exists()
    code, _, err = cli("join", "--db", tmp_path / "door-x.db", "--kiosk-id", "door-x")
    assert code == 2 and "the hub login is device 'door-c'" in err
    assert sorted(path.name for path in tmp_path.iterdir() if "door-x" in path.name) == []


def test_sync_follow_keeps_going_and_stops_cleanly_on_sigterm(fleet):
    door_a = fleet.join("door-a")
    env = {**os.environ, "KIOSK_HUB": door_a.dsn, "KIOSK_DB": str(door_a.path), "KIOSK_ID": "door-a"}
    following = subprocess.Popen([sys.executable, "-m", "kiosk", "sync", "--follow", "--json"], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = json.loads(following.stdout.readline())
        assert first["device"] == "door-a" and first["error"] is None
        door.scan(fleet.office.db, "42", fleet.codes["P02"], "set", "office")
        fleet.office.sync()
        pulled = json.loads(following.stdout.readline())
        assert pulled["pulled"] == 1
        time.sleep(0.2)
        following.send_signal(signal.SIGTERM)
        out, err = following.communicate(timeout=20)
    finally:
        following.kill()
    assert following.returncode == 0 and "Traceback" not in err
