"""The door screen following a real hub (Pilot, at 80x24 and 120x40): its scans reach the hub, other doors'
events show in its lists, it goes on deciding with the hub gone and says so, and catches up when it is back."""

from __future__ import annotations

import functools
import time

import psycopg
import pytest

from kiosk.hub import revoke_device
from kiosk.services import access, door, scenes
from kiosk.services.follow import pauses
from kiosk.tui import KioskApp
from kiosk.tui.background import BackupSettings, HubSettings
from kiosk.tui.widgets import HubLine, KeyLegend, RowsPanel, VerdictPanel
from tests.support import PIN, SIZES

QUICK = {"fallback": 5.0, "pause": functools.partial(pauses, 0.05, 0.3)}  # sent to the follower's process


def door_app(machine, backups: BackupSettings | None = None) -> KioskApp:
    access.set_pin(machine.db, PIN, machine.name)
    return KioskApp(machine.db, machine.name, scene="42", hub=HubSettings(machine.dsn, options=QUICK),
                    backups=backups)


async def until(pilot, condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await pilot.pause(0.05)
    return condition()


def at_hub(fleet, device: str, kind: str = "door.scan") -> int:
    with psycopg.connect(fleet.hub.admin_dsn, password=fleet.hub.password) as conn:  # afresh: a killed hub
        return conn.execute("SELECT count(*) FROM hub.events WHERE device = %s AND type = %s",
                                   [device, kind]).fetchone()[0]


def hub_line(app, shown) -> str:
    return shown(app.screen.query_one(HubLine)).strip()


def verdict(app) -> str:
    return str(app.screen.query_one(VerdictPanel).render())


def inside(app) -> list[str]:
    return [row[0] for row in app.screen.query_one("#inside", RowsPanel).rows]


def on_screen(app, widget_type) -> bool:
    region, (width, height) = app.screen.query_one(widget_type).region, app.size
    return region.height > 0 and region.y >= 0 and region.bottom <= height and region.right <= width


@pytest.mark.parametrize("size", SIZES)
async def test_a_scan_at_this_door_reaches_the_hub_and_the_line_says_synced(fleet, keys, shown, size):
    door_a = fleet.join("door-a")
    app = door_app(door_a)
    async with app.run_test(size=size) as pilot:
        assert await until(pilot, lambda: hub_line(app, shown).startswith("hub: synced"))
        assert all(on_screen(app, widget) for widget in (VerdictPanel, HubLine, KeyLegend))
        await keys.scanner(pilot, fleet.codes["P01"])
        assert "ADMIT" in verdict(app)
        assert await until(pilot, lambda: at_hub(fleet, "door-a") == 1)
        assert await until(pilot, lambda: "waiting" not in hub_line(app, shown))
        assert "ago" in hub_line(app, shown)


@pytest.mark.parametrize("size", SIZES)
async def test_what_other_doors_and_the_office_record_shows_here_as_it_arrives(fleet, keys, shown, size):
    door_a, door_b = fleet.join("door-a"), fleet.join("door-b")
    app = door_app(door_a)
    async with app.run_test(size=size) as pilot:
        assert await until(pilot, lambda: app.hub_result is not None and app.hub_result.ok)
        title = app.screen.query_one("#inside-title")
        assert "0 of 7 approved" in str(title.render())
        door.scan(door_b.db, "42", fleet.codes["P01"], "set", "door-b")  # in at the other door
        scenes.approve(fleet.office.db, "42", ("S01",), by="Sam Whitfield", kiosk="office")
        assert door_b.sync().ok and fleet.office.sync().ok
        assert await until(pilot, lambda: inside(app) == ["Ines Duarte"])
        assert await until(pilot, lambda: "1 of 8 approved" in str(title.render()))
        await keys.scanner(pilot, fleet.codes["P01"])  # and out at this one: presence works across doors
        assert "EXIT" in verdict(app) and inside(app) == []


@pytest.mark.parametrize("size", SIZES)
async def test_with_the_hub_gone_the_door_decides_alone_counts_what_waits_and_sends_it_later(
        fleet, pg_server, keys, shown, size):
    door_a = fleet.join("door-a")
    app = door_app(door_a)
    async with app.run_test(size=size) as pilot:
        assert await until(pilot, lambda: hub_line(app, shown).startswith("hub: synced"))
        pg_server.kill()
        await keys.scanner(pilot, fleet.codes["P01"])
        assert "ADMIT" in verdict(app)
        await keys.scanner(pilot, fleet.codes["S01"])  # not on the list: refused, offline too
        assert "DENY" in verdict(app)
        assert await until(pilot, lambda: "offline since" in hub_line(app, shown))
        assert await until(pilot, lambda: hub_line(app, shown).endswith("2 waiting"))
        assert app.screen.query_one(HubLine).has_class("offline")
        assert all(on_screen(app, widget) for widget in (VerdictPanel, HubLine))
        pg_server.start()
        assert await until(pilot, lambda: at_hub(fleet, "door-a") == 2, 30)
        assert await until(pilot, lambda: hub_line(app, shown).startswith("hub: synced")
                           and "waiting" not in hub_line(app, shown))
        assert not app.screen.query_one(HubLine).has_class("offline")


async def test_a_revoked_door_says_so_in_plain_words_and_goes_on_deciding(fleet, keys, shown, tmp_path):
    door_a = fleet.join("door-a")
    (tmp_path / "stick").write_text("not a folder")  # and its backups fail too: the hub's words stay whole
    app = door_app(door_a, BackupSettings(tmp_path / "stick", look=0.1))
    async with app.run_test(size=(80, 24)) as pilot:
        assert await until(pilot, lambda: app.hub_result is not None and app.hub_result.ok)
        revoke_device(fleet.hub.admin_dsn, "door-a", fleet.hub.password)
        await keys.scanner(pilot, fleet.codes["P01"])
        assert "ADMIT" in verdict(app)
        assert await until(pilot, lambda: "revoked" in hub_line(app, shown))
        assert hub_line(app, shown).startswith("hub: stopped - this kiosk was revoked at the hub")
        assert await until(pilot, lambda: "backup FAILED" in hub_line(app, shown))
        assert "revoked at the hub" in hub_line(app, shown)  # at 80 columns the backup's reason gives way
        assert "USB stick out?" not in hub_line(app, shown)
        assert app.screen.query_one(HubLine).has_class("stopped")
        await keys.scanner(pilot, fleet.codes["P01"])
        assert "EXIT" in verdict(app)


async def test_without_a_hub_the_door_shows_no_hub_line(db, crew):
    access.set_pin(db, PIN, "test-kiosk")
    app = KioskApp(db, "test-kiosk", scene="42")
    async with app.run_test(size=(80, 24)):
        assert not app.screen.query_one(HubLine).display
        assert app.background.follower is None and app.background.keeper is None
