"""The door's automatic backups (Pilot, at 80x24 and 120x40): a checked, private copy in the folder every few
minutes, said on the hub line; a pulled or full stick is said in plain words and never stops the door."""

from __future__ import annotations

import shutil
import stat
import subprocess
import time

import pytest

from kiosk.core.door import SceneState
from kiosk.services import access, scenes
from kiosk.services import audit as auditing
from kiosk.store.backup import open_readonly
from kiosk.tui import KioskApp
from kiosk.tui.background import BackupSettings
from kiosk.tui.widgets import HubLine, VerdictPanel
from tests.support import KIOSK, PIN, SIZES


def door_app(db, folder, every: float = 300.0) -> KioskApp:
    access.set_pin(db, PIN, KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    return KioskApp(db, KIOSK, scene="42", backups=BackupSettings(folder, every=every, keep=3, look=0.1))


async def until(pilot, condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await pilot.pause(0.05)
    return condition()


def copies(folder) -> list:
    return sorted(folder.glob("kiosk-*.db"))


def line(app, shown) -> str:
    return shown(app.screen.query_one(HubLine)).strip()


def verdict(app) -> str:
    return str(app.screen.query_one(VerdictPanel).render())


def scans_in(path) -> int:
    copy = open_readonly(path)
    try:
        return copy.execute("SELECT count(*) FROM events WHERE type = 'door.scan'").fetchone()[0]
    finally:
        copy.close()


@pytest.mark.parametrize("size", SIZES)
async def test_the_door_backs_itself_up_to_a_private_folder_with_a_copy_that_passes_the_audit(
        db, crew, tmp_path, keys, shown, size):
    folder = tmp_path / "usb"
    app = door_app(db, folder, every=0.5)
    async with app.run_test(size=size) as pilot:
        await keys.scanner(pilot, crew["P01"])
        assert "ADMIT" in verdict(app)
        assert await until(pilot, lambda: any(scans_in(path) == 1 for path in copies(folder)))
        assert await until(pilot, lambda: line(app, shown).startswith("hub: none") and "backup " in line(app, shown))
        assert "FAILED" not in line(app, shown)
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        for path in copies(folder):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert await until(pilot, lambda: len(copies(folder)) == 3)  # every half second, the oldest removed
        await pilot.pause(1.0)
        assert len(copies(folder)) == 3
    newest = open_readonly(copies(folder)[-1])
    try:
        assert auditing.check(newest).ok
    finally:
        newest.close()


async def test_a_pulled_stick_is_said_in_plain_words_and_the_door_goes_on(db, crew, tmp_path, keys, shown):
    folder = tmp_path / "usb"
    app = door_app(db, folder, every=0.3)
    async with app.run_test(size=(80, 24)) as pilot:
        assert await until(pilot, lambda: copies(folder))
        shutil.rmtree(folder)
        assert await until(pilot, lambda: "backup FAILED" in line(app, shown))
        assert "USB stick out?" in line(app, shown)
        await keys.scanner(pilot, crew["P01"])
        assert "ADMIT" in verdict(app)
        await keys.scanner(pilot, crew["D01"])
        assert "ADMIT" in verdict(app) and "Helen Marsh" in verdict(app)
        assert not folder.exists()  # never made up again on the laptop's own disk
        folder.mkdir()  # the stick is back
        assert await until(pilot, lambda: copies(folder) and "FAILED" not in line(app, shown))
        assert scans_in(copies(folder)[-1]) == 2


@pytest.fixture
def full_stick(tmp_path):
    """A 64 KB file system (a real tmpfs), too small for a copy of the kiosk file."""
    mount = tmp_path / "stick"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {made.stderr.strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


async def test_a_full_stick_is_said_and_leaves_nothing_half_written(db, crew, full_stick, keys, shown):
    app = door_app(db, full_stick)
    async with app.run_test(size=(80, 24)) as pilot:
        assert await until(pilot, lambda: "backup FAILED" in line(app, shown))
        assert "the backup folder is full" in line(app, shown)
        await keys.scanner(pilot, crew["P01"])
        assert "ADMIT" in verdict(app)
    assert list(full_stick.iterdir()) == []

