"""The door screen through Textual's Pilot: scans typed as bursts, the AD's keys, what is shown and stored."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import pytest
from pypdf import PdfReader
from textual.widgets import Input

from kiosk.core.door import SceneState
from kiosk.services import access, door, scenes
from kiosk.store.queries import one
from kiosk.tui import KioskApp
from kiosk.tui.screens.door import DoorScreen
from kiosk.tui.widgets import Banner, RowsPanel, Table, VerdictPanel
from tests.support import (
    KIOSK,
    PIN,  # noqa: E402
)


@pytest.fixture
def app(db, crew):
    access.set_pin(db, PIN, KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    return KioskApp(db, KIOSK, scene="42")


def verdict_text(app) -> str:
    return str(app.screen.query_one(VerdictPanel).render())


def door_screen(app) -> DoorScreen:
    return next(screen for screen in app.screen_stack if isinstance(screen, DoorScreen))


def scan_rows(db) -> int:
    return one(db, "SELECT COUNT(*) AS n FROM events WHERE type = 'door.scan'")["n"]


async def test_scan_admits_shows_the_person_and_is_stored(app, db, crew, keys):
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.scanner(pilot, crew["P01"])
        panel = app.screen.query_one(VerdictPanel)
        assert panel.has_class("admit")
        assert "ADMIT" in verdict_text(app) and "Ines Duarte - Camera, Director of photography" in verdict_text(app)
        assert scan_rows(db) == 1
        assert [row[0] for row in app.screen.query_one("#inside", RowsPanel).rows] == ["Ines Duarte"]


@pytest.mark.parametrize("end", ["enter", "tab", None])
async def test_a_scan_ends_with_enter_tab_or_a_pause(app, db, crew, end, keys):
    async with app.run_test() as pilot:
        await keys.scanner(pilot, crew["D01"], end=end)
        assert "Helen Marsh" in verdict_text(app)
        assert scan_rows(db) == 1


async def test_refusals_say_why_in_words(app, db, crew, keys):
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.scanner(pilot, crew["R01"])
        assert app.screen.query_one(VerdictPanel).has_class("deny")
        assert "Not on the approved list for scene 42" in verdict_text(app)
        await keys.scanner(pilot, "PG7JGEEBHH1LUF5CE0")
        assert "Code misread" in verdict_text(app)
        assert len(app.screen.query_one("#recent", RowsPanel).rows) == 2


async def test_letter_bindings_never_fire_from_a_scan(app, db, crew, keys):
    async with app.run_test() as pilot:
        await keys.scanner(pilot, "rhzxiecl", end=None)  # every door key letter, at scanner speed
        assert isinstance(app.screen, DoorScreen) and app.zone == "set"
        assert scenes.get_scene(db, "42")["state"] == "open"
        assert one(db, "SELECT reason FROM events WHERE type = 'door.scan'")["reason"] == "malformed"


async def test_rolling_and_hold_keys(app, db, crew, keys):
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.press(pilot, "r")
        assert scenes.get_scene(db, "42")["state"] == "rolling"
        assert app.screen.query_one(Banner).has_class("rolling")
        await keys.scanner(pilot, crew["P01"])
        assert "WAIT" in verdict_text(app) and "Rolling - wait for cut" in verdict_text(app)
        await keys.press(pilot, "r")  # cut
        assert scenes.get_scene(db, "42")["state"] == "open"
        await keys.press(pilot, "h")
        assert scenes.get_scene(db, "42")["state"] == "hold"
        assert one(db, "SELECT COUNT(*) AS n FROM events WHERE type = 'scene.state' "
                       "AND json_extract(payload, '$.body.to') = 'hold'")["n"] == 1
        await keys.press(pilot, "h")
        assert scenes.get_scene(db, "42")["state"] == "open"


async def test_zone_key_switches_the_door_to_the_monitors(app, db, crew, keys):
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.scanner(pilot, crew["V01"])
        assert "deny" in app.screen.query_one(VerdictPanel).classes
        await keys.press(pilot, "z")
        assert app.zone == "monitors"
        await keys.scanner(pilot, crew["V01"])
        assert "ADMIT" in verdict_text(app)
        assert one(db, "SELECT zone FROM events WHERE type = 'door.scan' ORDER BY id DESC LIMIT 1")["zone"] == \
            "monitors"


async def test_a_code_typed_by_hand(app, db, crew, keys):
    async with app.run_test() as pilot:
        await keys.press(pilot, "c")
        assert isinstance(app.focused, Input)
        grouped = " ".join(crew["D01"][i:i + 6] for i in (0, 6, 12)).lower()
        await keys.press(pilot, *[keys.name(character) for character in grouped], "enter")
        assert isinstance(app.screen, DoorScreen)
        assert "Helen Marsh" in verdict_text(app)


async def test_forgotten_badge_lookup_admits_with_a_reason(app, db, crew, keys):
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.press(pilot, "l")
        app.screen.query_one("#search", Input).value = "Helen"
        await keys.settle(pilot)
        await keys.press(pilot, "enter", "enter")  # to the list, choose the first match
        app.screen.query_one("#why", Input).value = "badge left in the trailer"
        await keys.press(pilot, "enter")
        assert isinstance(app.screen, DoorScreen)
        assert "Admitted by the AD after a name lookup" in verdict_text(app)
        row = one(db, "SELECT reason, payload FROM events WHERE type = 'door.admitted_by_lookup'")
        assert row["reason"] == "override" and "trailer" in row["payload"]


async def test_lookup_refuses_someone_not_approved(app, db, crew, keys):
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.press(pilot, "l")
        app.screen.query_one("#search", Input).value = "Hannah Cole"
        await keys.settle(pilot)
        await keys.press(pilot, "enter", "enter")
        app.screen.query_one("#why", Input).value = "forgot it"
        await keys.press(pilot, "enter")
        assert "not approved" in str(app.screen.query_one("#message").render())
        assert one(db, "SELECT COUNT(*) AS n FROM events WHERE type = 'door.admitted_by_lookup'")["n"] == 0


async def test_escalation_records_a_temporary_approval_with_both_names(app, db, crew, keys):
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.scanner(pilot, crew["R01"])
        assert "deny" in app.screen.query_one(VerdictPanel).classes
        await keys.press(pilot, "e")
        app.screen.query_one("#search", Input).value = "Hannah"
        await keys.settle(pilot)
        await keys.press(pilot, "enter", "enter")
        app.screen.query_one("#ic", Input).value = "Amara Mensah"
        app.screen.query_one("#ad", Input).value = "Sam Whitfield"
        await keys.press(pilot, "enter", "enter")  # from the IC's name to the AD's, then done
        assert "ADMIT" in verdict_text(app)
        approval = one(db, "SELECT approved_by, temporary FROM approvals a JOIN people p ON p.ref = a.person "
                           "WHERE p.ref = 'R01'")
        assert approval == {"approved_by": "IC Amara Mensah and AD Sam Whitfield", "temporary": 1}


async def test_first_entry_asks_for_the_device_policy_and_records_it(app, db, crew, keys):
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.scanner(pilot, crew["P01"])
        assert "FIRST ENTRY" in verdict_text(app)
        assert door_screen(app).policy_due
        await keys.press(pilot, "p")
        assert door.policy_acknowledged(db, "42", "P01")
        assert not door_screen(app).policy_due


async def test_lift_shows_who_was_inside_and_marks_them_out(app, db, crew, keys):
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.scanner(pilot, crew["P01"])
        await keys.press(pilot, "x")
        assert app.screen.query_one(Table).row_count == 1
        await keys.press(pilot, "enter")
        assert scenes.get_scene(db, "42")["state"] == "lifted"
        assert "Marked out (1)" in str(app.screen.query_one("#message").render())
        await keys.press(pilot, "escape")
        assert app.screen.query_one(Banner).has_class("lifted")
        assert door.inside(db, "42") == []


async def test_roll_call_lists_everyone_inside_and_prints(app, db, db_path, crew, keys):
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.scanner(pilot, crew["P01"])
        await keys.scanner(pilot, crew["C01"])
        await keys.press(pilot, "i")
        assert app.screen.query_one(Table).row_count == 2
        await keys.press(pilot, "p")  # one key: printed to PDF
        printed = list(db_path.parent.glob("rollcall-*.pdf"))
        assert len(printed) == 1 and "Ines Duarte" in PdfReader(printed[0]).pages[0].extract_text()
        await keys.press(pilot, "escape")
        assert isinstance(app.screen, DoorScreen)


@pytest.mark.parametrize("key", ["ctrl+q", "ctrl+c", "ctrl+z", "ctrl+p", "escape", "f1"])
async def test_the_kiosk_cannot_be_left_without_the_pin(app, key, keys):
    async with app.run_test() as pilot:
        await keys.press(pilot, key)
        assert app.is_running and isinstance(app.screen, DoorScreen)


async def test_supervisor_menu_needs_the_pin_and_exits(app, db, keys):
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.press(pilot, "f10")
        await pilot.press(*"000000", "enter")
        await keys.settle(pilot)
        assert "Wrong PIN" in str(app.screen.query_one("#message").render())
        await pilot.press(*PIN, "enter")
        await keys.settle(pilot)
        assert type(app.screen).__name__ == "SupervisorMenu"
        option_list = app.screen.query_one("OptionList")
        option_list.highlighted = [option.id for option in option_list.options].index("exit")
        await keys.press(pilot, "enter")
    assert app.return_code == 0
    assert one(db, "SELECT COUNT(*) AS n FROM events WHERE key = 'attempts/supervisor' AND reason = 'wrong'")["n"] == 1


async def test_first_run_asks_for_a_pin_before_anything(db, crew, keys):
    app = KioskApp(db, KIOSK, scene="42")
    async with app.run_test() as pilot:
        await keys.settle(pilot)
        assert type(app.screen).__name__ == "SetPinScreen"
        await keys.press(pilot, "escape")
        assert type(app.screen).__name__ == "SetPinScreen"
        await pilot.press(*"13579", "enter", *"13579", "enter")
        await keys.settle(pilot)
        assert "6 to 32 digits" in str(app.screen.query_one("#message").render())
        await pilot.press(*"135791", "enter", *"135791", "enter")
        await keys.settle(pilot)
        assert isinstance(app.screen, DoorScreen)
    assert access.pin_is_set(db)


async def test_a_failed_write_says_not_recorded_and_the_kiosk_carries_on(app, db, crew, monkeypatch, keys):
    real_scan = door.scan

    def disk_full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    async with app.run_test(size=(100, 30)) as pilot:
        monkeypatch.setattr(door, "scan", disk_full)
        await keys.scanner(pilot, crew["P01"])
        assert "NOT RECORDED" in verdict_text(app)
        failure = app.screen.query_one("#failure")
        assert failure.display and "disk" in str(failure.render()).lower()
        monkeypatch.setattr(door, "scan", real_scan)
        await keys.scanner(pilot, crew["P01"])
        assert "ADMIT" in verdict_text(app) and not failure.display
        assert scan_rows(db) == 1


async def test_a_scan_behind_a_dialog_is_recorded_and_shown_over_it(app, db, crew, keys):
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.press(pilot, "i")  # the roll-call covers the door
        await keys.scanner(pilot, crew["P01"])
        assert type(app.screen).__name__ == "RollCallScreen"
        assert any("ADMIT Ines Duarte" in str(toast.message) for toast in app._notifications)
        assert scan_rows(db) == 1


async def test_a_key_press_is_held_once_not_again_on_its_way_back_to_the_bindings(app, db, monkeypatch, keys):
    held = []
    feed = app.keys.feed
    monkeypatch.setattr(app.keys, "feed", lambda event, *rest: held.append(event.key) or feed(event, *rest))
    async with app.run_test() as pilot:
        await keys.press(pilot, "r")
        assert scenes.get_scene(db, "42")["state"] == "rolling"
        assert held == ["r"]


async def test_a_failing_database_with_no_scene_chosen_leaves_the_door_running(db, crew, monkeypatch, keys):
    access.set_pin(db, PIN, KIOSK)

    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(door, "active_scenes", broken)
    app = KioskApp(db, KIOSK)  # no scene given: the door looks for the one in force
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.settle(pilot)
        assert app.is_running and isinstance(app.screen, DoorScreen)
        assert app.screen.query_one("#failure").display


DOOR_PROBE = textwrap.dedent("""
    import asyncio, sys
    from textual import events
    from kiosk.store import connect
    from kiosk.tui import KioskApp

    async def main(path, code):
        app = KioskApp(connect(path), "probe", scene="42")
        async with app.run_test() as pilot:
            await pilot.pause()
            for character in code:
                app.post_message(events.Key(character, character))  # codes are letters and digits
            app.post_message(events.Key("enter", "\\r"))
            await pilot.pause(app.keys.wait + 0.05)
            await app.workers.wait_for_complete()
            await pilot.pause()
            print(app.screen.query_one("#verdict").render(), "sqlite_utils" in sys.modules)

    asyncio.run(main(*sys.argv[1:]))
""")


def test_the_door_starts_and_scans_without_loading_sqlite_utils(app, db_path, crew):
    """sqlite-utils serves setup and migrations; kept off the door's path, the kiosk starts about 50 ms sooner."""
    done = subprocess.run([sys.executable, "-c", DOOR_PROBE, str(db_path), crew["P01"]],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "ADMIT" in done.stdout and "Ines Duarte" in done.stdout
    assert done.stdout.split()[-1] == "False", "the door loaded sqlite-utils"


async def test_a_record_mismatch_denies_and_a_banner_stays(app, db, crew, keys):
    db.execute("INSERT INTO approvals VALUES ('42', 'R01', 'set', 'Sam Whitfield', '2026-12-01T09:00:00+00:00', 0, "
               "'approval/42/R01/set', 1)")  # an approval forged with sqlite3
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.scanner(pilot, crew["R01"])
        assert "DENY" in verdict_text(app) and "Record mismatch" in verdict_text(app)
        banner = app.screen.query_one("#mismatch")
        assert banner.display and "approval" in str(banner.render())
        await keys.scanner(pilot, crew["P01"])  # an honest admission: the banner stays
        assert "ADMIT" in verdict_text(app) and app.screen.query_one("#mismatch").display
