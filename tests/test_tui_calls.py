"""The app's one call path (``Services``): long reads on their own thread and connection, beside the door; and
tasks made only when their worker starts, so a refresh replaced before it starts leaves nothing unawaited."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import warnings

import pytest
from textual.widgets import Input, Static

from kiosk.core.door import SceneState
from kiosk.core.imports import IMPORTED
from kiosk.services import access, roster, scenes
from kiosk.services.door import Verdict
from kiosk.store.queries import one
from kiosk.tui import KioskApp
from kiosk.tui.calls import SWITCH_INTERVAL
from kiosk.tui.screens.dialogs import RollCallScreen
from kiosk.tui.screens.importing import ImportScreen
from tests.support import KIOSK, PIN


@pytest.fixture
def app(db, crew):
    access.set_pin(db, PIN, KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    return KioskApp(db, KIOSK, scene="42")


def events_in(db) -> int:
    return one(db, "SELECT COUNT(*) AS n FROM events")["n"]


@pytest.mark.filterwarnings("error::RuntimeWarning")
async def test_an_exclusive_refresh_replaced_before_it_starts_leaves_no_unawaited_coroutine(app, keys):
    async with app.run_test() as pilot:
        await keys.settle(pilot)
        screen = RollCallScreen()
        app.push_screen(screen)
        await keys.settle(pilot)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(10):  # each replaces the one before it, most of them before they start
                screen.refresh_list()
            await keys.settle(pilot)
            gc.collect()
        never_awaited = [str(warning.message) for warning in caught if "never awaited" in str(warning.message)]
        assert not never_awaited, never_awaited
        assert app.is_running


async def test_the_call_path_takes_the_coroutine_function_not_a_coroutine(app, keys):
    async with app.run_test() as pilot:
        await keys.settle(pilot)

        async def task() -> None:
            pass

        coroutine = task()
        with pytest.raises(TypeError, match="coroutine function"):
            app.services.run(app, coroutine)  # type: ignore[arg-type]
        coroutine.close()


async def test_a_long_read_leaves_the_database_thread_to_the_door(app, db, crew, keys):
    """A read in progress (a report being gathered) does not hold up a scan: the scan is decided, stored and
    shown meanwhile; the read, on its own thread, sees one snapshot of the file from start to end."""
    started, release = threading.Event(), threading.Event()
    found: list[tuple[str, int, int]] = []

    def long_read(reader) -> tuple[str, int, int]:
        first = events_in(reader)
        started.set()
        release.wait(30)
        return threading.current_thread().name, first, events_in(reader)

    async def gather() -> None:
        found.append(await app.services.read(long_read))

    async with app.run_test() as pilot:
        await keys.settle(pilot)
        before = events_in(db)
        app.services.run(app, gather, group="report")
        assert await asyncio.to_thread(started.wait, 30)
        app.answer = None
        app.scan(crew["C01"])
        for _ in range(200):
            if isinstance(app.answer, Verdict):
                break
            await pilot.pause(0.05)
        assert isinstance(app.answer, Verdict), "the scan waited behind the read"
        assert events_in(db) == before + 1 and not found  # stored while the read still runs
        release.set()
        await keys.settle(pilot)
    name, first, last = found[0]
    assert name.startswith("kiosk-read")
    assert first == last == before  # one snapshot: the scan committed meanwhile is not in it
    assert sys.getswitchinterval() == SWITCH_INTERVAL  # the reader in Python gives the door its turn quickly


async def test_the_reader_cannot_write_and_its_failure_is_told_not_recorded_as_a_failed_write(app, db, keys):
    said: list[str] = []

    def deletes_everyone(reader) -> None:
        reader.execute("DELETE FROM people")

    async def task() -> None:
        await app.services.read(deletes_everyone)

    async with app.run_test() as pilot:
        await keys.settle(pilot)
        people = one(db, "SELECT COUNT(*) AS n FROM people")["n"]
        app.services.run(app, task, say=said.append)
        await keys.settle(pilot)
        assert said and "read" in said[0].lower(), said
        assert app.failure is None and app.is_running
        assert one(db, "SELECT COUNT(*) AS n FROM people")["n"] == people > 0


async def test_a_long_import_in_the_kiosk_leaves_the_door_its_scans(app, db, crew, keys, tmp_path, monkeypatch):
    """A list imported from the people screen goes in in chunks on a connection of its own: a badge scanned
    meanwhile is answered and stored between them, not after the whole list."""
    monkeypatch.setattr(roster, "CHUNK_ROWS", 20)
    monkeypatch.setattr(roster, "CHUNK_PAUSE", 0.2)  # 15 chunks: about 3 s in all
    path = tmp_path / "big.csv"
    path.write_text("ref,name,department,role,kind\n" + "".join(
        f"N{number:03d},New Person {number},Camera,Loader,crew\n" for number in range(300)), encoding="utf-8")
    async with app.run_test() as pilot:
        await keys.settle(pilot)
        app.push_screen(ImportScreen())
        await keys.settle(pilot)
        app.screen.query_one("#path", Input).value = str(path)
        app.screen.query_one("#path", Input).focus()
        await keys.press(pilot, "enter")  # the dry run
        assert "300 to add" in str(app.screen.query_one("#message", Static).render())
        await pilot.press("f2")  # the import, for real (not waited for: it runs while the door scans)
        await pilot.pause(0.5)
        app.answer = None
        app.scan(crew["C01"])
        for _ in range(100):
            if isinstance(app.answer, Verdict):
                break
            await pilot.pause(0.05)
        assert isinstance(app.answer, Verdict) and app.answer.decision == "admit"
        closed = one(db, "SELECT COUNT(*) AS n FROM events WHERE type = ?", [IMPORTED])["n"]
        assert closed == 0, "the scan waited for the whole import"
        for _ in range(200):
            if one(db, "SELECT COUNT(*) AS n FROM people")["n"] == 340:
                break
            await pilot.pause(0.05)
    assert one(db, "SELECT COUNT(*) AS n FROM events WHERE type = ?", [IMPORTED])["n"] == 1
    assert one(db, "SELECT COUNT(*) AS n FROM people")["n"] == 340
