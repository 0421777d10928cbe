"""End to end in a real terminal at 80x24: `kiosk run` with $KIOSK_HUB and $KIOSK_BACKUP_DIR, the hub line as the
AD reads it - synced, offline with what waits while the door still decides, synced again - and the backup."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import psycopg
import pytest

from kiosk.services import access
from tests.tmux import Terminal

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")]

KIOSK = str(Path(sys.executable).with_name("kiosk"))
PIN = "246810"


def scans_at_hub(fleet, device: str) -> int:
    with psycopg.connect(fleet.hub.admin_dsn, password=fleet.hub.password) as conn:  # afresh: a killed hub
        return conn.execute("SELECT count(*) FROM hub.events WHERE device = %s AND type = 'door.scan'",
                                   [device]).fetchone()[0]


def test_the_hub_line_in_a_real_terminal_through_a_hub_that_dies_and_comes_back(fleet, pg_server, tmp_path):
    door_a = fleet.join("door-a")
    access.set_pin(door_a.db, PIN, "door-a")
    door_a.db.close()
    env = {"KIOSK_DB": str(door_a.path), "KIOSK_ID": "door-a", "KIOSK_HUB": door_a.dsn,
           "KIOSK_BACKUP_DIR": str(tmp_path / "usb"), "KIOSK_BACKUP_EVERY": "1"}
    terminal = Terminal([KIOSK, "run", "--scene", "42"], env, size=(80, 24))
    try:
        screen = terminal.wait_for("hub: synced", timeout=30)
        assert "OPEN - closed set in force" in screen
        terminal.wait_for("backup ", timeout=30)
        assert "FAILED" not in terminal.screen()
        terminal.send(fleet.codes["P01"], "Enter")
        terminal.wait_for("ADMIT")
        deadline = time.monotonic() + 10
        while scans_at_hub(fleet, "door-a") < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert scans_at_hub(fleet, "door-a") == 1

        pg_server.kill()
        terminal.wait_for("hub: offline since", timeout=30)
        terminal.send(fleet.codes["D01"], "Enter")
        screen = terminal.wait_for("1 waiting")
        assert "ADMIT" in screen and "Helen Marsh" in screen  # decided alone
        lines = screen.splitlines()
        assert len(lines) <= 24 and any(line.startswith("ADMIT") or "ADMIT  " in line for line in lines)

        pg_server.start()
        terminal.wait_until_gone("offline since", timeout=60)
        terminal.wait_for("hub: synced")
        terminal.wait_until_gone("waiting", timeout=20)
        assert scans_at_hub(fleet, "door-a") == 2
    finally:
        terminal.close()
    assert list((tmp_path / "usb").glob("door-a-*.db"))
