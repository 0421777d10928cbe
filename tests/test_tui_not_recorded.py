"""NOT RECORDED stays on the door while the fault does: the panel and the red banner are taken away only by a
write that succeeds again, never by the door's refresh (a read, which goes on working on a full disk or a
deleted file).  And a database file deleted under the running door is NOT RECORDED, never a green ADMIT.
"""

from __future__ import annotations

import os

import pytest

from kiosk.core.door import SceneState
from kiosk.errors import StoreError
from kiosk.services import access, door, door_view, scenes
from kiosk.store.queries import one
from kiosk.tui import KioskApp
from kiosk.tui.screens import door as door_screen
from kiosk.tui.widgets import VerdictPanel
from tests.support import KIOSK, PIN

SIZES = [(80, 24), (120, 40)]
REFRESH = 0.3  # the door's refresh period in these tests (3 s in the kiosk)
PERIODS = 5  # refresh periods the fault is watched for


@pytest.fixture
def app(db, crew, monkeypatch):
    access.set_pin(db, PIN, KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    monkeypatch.setattr(door_screen, "REFRESH_SECONDS", REFRESH)
    monkeypatch.setattr(door_screen, "VERDICT_SECONDS", REFRESH * 2)  # the verdict's own timer passes too
    return KioskApp(db, KIOSK, scene="42")


@pytest.fixture
def reads(monkeypatch) -> list[int]:
    """How many door views were read successfully (the refresh), appended to as they are."""
    done: list[int] = []
    real = door_view.door_view

    def counted(*args, **kwargs):
        view = real(*args, **kwargs)
        done.append(1)
        return view

    monkeypatch.setattr(door_view, "door_view", counted)
    return done


def panel(app) -> str:
    return str(app.screen.query_one(VerdictPanel).render())


def banner(app) -> str:
    failure = app.screen.query_one("#failure")
    return str(failure.render()) if failure.display else ""


def admitted(app) -> bool:
    """The last answer at the door was a recorded ADMIT (the panel may have gone back to READY since)."""
    return isinstance(app.answer, door.Verdict) and app.answer.decision == "admit"


def scan_rows(db) -> int:
    return one(db, "SELECT COUNT(*) AS n FROM events WHERE type = 'door.scan'")["n"]


async def watch_fault(pilot, reads: list[int], words: str) -> None:
    """Several refresh periods pass, each read succeeding; the panel and the banner keep saying NOT RECORDED."""
    before = len(reads)
    for _ in range(PERIODS):
        await pilot.pause(REFRESH)
        shown = panel(pilot.app)
        assert "NOT RECORDED" in shown and "ADMIT" not in shown and "READY" not in shown, shown
        assert "NOT RECORDED" in banner(pilot.app) and words in banner(pilot.app)
    assert len(reads) - before >= PERIODS // 2, "the door's refresh did not run: the proof proves nothing"


async def recovers(pilot, keys, app, code: str, monkeypatch) -> None:
    """A scan that is recorded again takes the banner away and shows its verdict (kept on the panel here, so a
    slow machine cannot miss it); the refresh leaves it be, and the panel's next READY is READY, not a failure."""
    monkeypatch.setattr(door_screen, "VERDICT_SECONDS", 60)
    await keys.scanner(pilot, code)
    assert "ADMIT" in panel(app) and banner(app) == ""
    await pilot.pause(REFRESH * 2)
    assert "ADMIT" in panel(app) and banner(app) == ""
    app.screen.ready()
    assert "READY" in panel(app)


@pytest.mark.parametrize("size", SIZES)
async def test_a_failed_scan_stays_not_recorded_while_reads_work_until_a_write_succeeds(app, db, crew, keys,
                                                                                      reads, monkeypatch, size):
    real_scan = door.scan

    def refused(*args, **kwargs):
        raise StoreError("The disk holding kiosk.db is full. NOT RECORDED - free some space; the kiosk resumes by "
                         "itself.")

    async with app.run_test(size=size) as pilot:
        await keys.settle(pilot)
        monkeypatch.setattr(door, "scan", refused)
        await keys.scanner(pilot, crew["P01"])
        await watch_fault(pilot, reads, "full")
        assert scan_rows(db) == 0
        monkeypatch.setattr(door, "scan", real_scan)
        await recovers(pilot, keys, app, crew["P01"], monkeypatch)
        assert scan_rows(db) == 1


@pytest.mark.parametrize("size", SIZES)
async def test_a_full_file_stays_not_recorded_through_the_real_write_path(app, db, crew, keys, reads,
                                                                         monkeypatch, size):
    """The file itself full (``max_page_count`` at its size): every write is refused by SQLite, reads work."""
    async with app.run_test(size=size) as pilot:
        await keys.scanner(pilot, crew["P01"])
        assert admitted(app)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")
        for ref in ("D01", "Q01", "X01"):  # a page's last free bytes may take a scan or two: fill them
            await keys.scanner(pilot, crew[ref])  # (other badges each time: the same again is a duplicate)
        assert "NOT RECORDED" in panel(app)
        await watch_fault(pilot, reads, "full")
        db.execute(f"PRAGMA max_page_count = {pages + 200}")  # space returns
        await recovers(pilot, keys, app, crew["C01"], monkeypatch)


@pytest.mark.parametrize("gone", ["-wal", ""])
async def test_the_database_deleted_under_the_door_is_not_recorded_and_says_so(app, db, db_path, crew, keys,
                                                                              reads, gone):
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.scanner(pilot, crew["D01"])
        assert admitted(app)
        for suffix in {gone, "-wal", "-shm"} if gone == "" else {gone}:
            os.remove(f"{db_path}{suffix}")
        for ref in ("P01", "C01"):
            await keys.scanner(pilot, crew[ref])
            shown = panel(app)
            assert "NOT RECORDED" in shown and "ADMIT" not in shown, shown
        assert "deleted or replaced" in banner(app) and "restart the kiosk" in banner(app)
        await watch_fault(pilot, reads, "deleted or replaced")
        assert app.is_running
        # and the kiosk can be left, as its words ask: the PIN (a wrong one counted, in memory), Exit the kiosk
        await keys.press(pilot, "f10")
        await pilot.press(*"000000", "enter")
        await keys.settle(pilot)
        assert "Wrong PIN - 4 tries left" in str(app.screen.query_one("#message").render())
        await pilot.press(*PIN, "enter")
        await keys.settle(pilot)
        assert type(app.screen).__name__ == "SupervisorMenu"
        option_list = app.screen.query_one("OptionList")
        option_list.highlighted = [option.id for option in option_list.options].index("exit")
        await keys.press(pilot, "enter", "enter")
    assert app.return_code == 0
