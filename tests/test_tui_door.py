"""The door screen through Textual's Pilot: scans typed as bursts, the AD's keys, what is shown and stored."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest
from pypdf import PdfReader
from textual import events
from textual.widgets import Input, Label

from kiosk.core.door import SceneState
from kiosk.services import access, door, door_view, policy, production, roster, scenes
from kiosk.store.queries import one
from kiosk.tui import KioskApp
from kiosk.tui.screens.door import DoorScreen
from kiosk.tui.widgets import Banner, RowsPanel, Table, VerdictPanel
from tests.support import KIOSK, PIN, SIZES


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


async def test_a_person_with_no_role_is_shown_without_a_dangling_comma(app, db, crew, keys):
    roster.add_person(db, KIOSK, "Ines Duarte", "crew", department="Camera", role="", ref="P01")
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.scanner(pilot, crew["P01"])
        assert "Ines Duarte - Camera\n" in verdict_text(app) + "\n" and "Camera," not in verdict_text(app)


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


@pytest.mark.parametrize("size", SIZES)
async def test_a_hold_until_the_ic_is_here_says_how_it_ends(db, crew, keys, size):
    """The IC left the set in force: the door, even one guarding the monitors, says it waits for the IC's badge at
    the set door, then H - not "when the performers are ready, press H", which is refused until then."""
    access.set_pin(db, PIN, KIOSK)
    production.set_duplicate_window(db, 0, KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    assert door.scan(db, "42", crew["X01"], "set", KIOSK).decision == "admit"
    assert door.scan(db, "42", crew["X01"], "set", KIOSK).held_for_ic  # the IC leaves: on hold
    app = KioskApp(db, KIOSK, scene="42")
    async with app.run_test(size=size) as pilot:
        await keys.settle(pilot)
        assert "HOLD until the IC is here" in verdict_text(app) and "Z: this door to SET" in verdict_text(app)
        assert "press H" not in verdict_text(app)
        await keys.press(pilot, "h")
        assert scenes.get_scene(db, "42")["state"] == "hold"
        await keys.settle(pilot)
        assert "not the monitors" in " ".join(note.message for note in app._notifications)


@pytest.mark.parametrize("size", SIZES)
async def test_zone_key_switches_the_door_to_the_monitors_once_confirmed(app, db, crew, keys, size):
    async with app.run_test(size=size) as pilot:
        await keys.scanner(pilot, crew["V01"])
        assert "deny" in app.screen.query_one(VerdictPanel).classes
        await keys.press(pilot, "z")
        assert app.zone == "set" and "Switch this door to MONITORS?" in str(app.screen.query_one(Label).render())
        await keys.press(pilot, "escape")  # a stray Z changes nothing
        assert app.zone == "set" and isinstance(app.screen, DoorScreen)
        await keys.press(pilot, "z", "z")  # Z, and Z again to confirm
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


@pytest.mark.parametrize("size", SIZES)
async def test_a_typo_in_a_typed_code_is_fixed_in_the_dialog_and_hyphens_are_fine(app, db, crew, keys, size):
    code = crew["D01"]
    typo = code[:-1] + ("0" if code[-1] != "0" else "1")
    async with app.run_test(size=size) as pilot:
        await keys.press(pilot, "c")
        field = app.screen.query_one("#code", Input)
        field.value = typo
        await keys.press(pilot, "enter")
        assert type(app.screen).__name__ == "TypeCodeScreen"  # still open, to fix the code
        assert "one character is wrong or two are swapped" in str(app.screen.query_one("#message").render())
        assert scan_rows(db) == 0  # a typo is not a DENY on record
        field.value = f"{code[:9]}-{code[9:]}"  # as people copy the printed groups
        await keys.press(pilot, "enter")
        assert isinstance(app.screen, DoorScreen) and "Helen Marsh" in verdict_text(app)
        assert scan_rows(db) == 1


async def by_name(pilot, keys, key: str, search: str, why: str = "") -> None:
    """L (or E): find ``search``, Enter on the first match, then the reason (L) and Enter."""
    await keys.press(pilot, key)
    pilot.app.screen.query_one("#search", Input).value = search
    await keys.settle(pilot)
    await keys.press(pilot, "enter")  # chooses the highlighted match
    if why:
        pilot.app.screen.query_one("#why", Input).value = why
        await keys.press(pilot, "enter")


@pytest.mark.parametrize("size", SIZES)
async def test_no_badge_admits_with_a_reason_and_marks_out_the_same_way(app, db, crew, keys, size):
    async with app.run_test(size=size) as pilot:
        await by_name(pilot, keys, "l", "Helen", why="badge left in the trailer")
        assert isinstance(app.screen, DoorScreen)
        assert "Admitted by the AD after a name lookup" in verdict_text(app)
        row = one(db, "SELECT reason, payload FROM events WHERE type = 'door.by_name'")
        assert row["reason"] == "override" and "trailer" in row["payload"]
        await by_name(pilot, keys, "l", "Helen", why="went to fetch the badge")
        assert "EXIT" in verdict_text(app) and "Marked out by the AD by name" in verdict_text(app)
        assert door.inside(db, "42") == []


@pytest.mark.parametrize("size", SIZES)
async def test_a_refused_lookup_is_shown_and_on_record(app, db, crew, keys, size):
    async with app.run_test(size=size) as pilot:
        await by_name(pilot, keys, "l", "Hannah Cole", why="forgot it")
        assert isinstance(app.screen, DoorScreen) and "deny" in app.screen.query_one(VerdictPanel).classes
        assert "Not on the approved list for scene 42" in verdict_text(app)
        assert one(db, "SELECT decision, reason FROM events WHERE type = 'door.by_name'") == \
            {"decision": "deny", "reason": "not_approved"}


@pytest.mark.parametrize("size", SIZES)
async def test_down_then_enter_chooses_the_next_match_at_once(app, db, crew, keys, size):
    async with app.run_test(size=size) as pilot:
        await keys.press(pilot, "l")
        app.screen.query_one("#search", Input).value = "Camera"
        await keys.settle(pilot)
        await keys.press(pilot, "down", "enter")  # from the search box: the second match, chosen by one Enter
        assert "Chosen: Kwame Boateng" in str(app.screen.query_one("#chosen").render())
        assert app.focused is app.screen.query_one("#why")


@pytest.mark.parametrize("size", SIZES)
async def test_escalation_chooses_the_scenes_ic_and_an_ad_of_the_production(app, db, crew, keys, size):
    async with app.run_test(size=size) as pilot:
        await keys.scanner(pilot, crew["R01"])
        assert "deny" in app.screen.query_one(VerdictPanel).classes
        await by_name(pilot, keys, "e", "Nobody By That Name")
        assert "Nobody matches 'Nobody By That Name'" in str(app.screen.query_one("#chosen").render())
        app.screen.query_one("#search", Input).value = "Hannah"
        await keys.settle(pilot)
        await keys.press(pilot, "enter")
        matches = app.screen.query_one("#matches")
        assert str(matches.get_option_at_index(0).prompt).startswith("Amara Mensah")  # the scene's IC first
        assert all("Intimacy coordinator" in str(option.prompt) for option in matches.options)
        await keys.press(pilot, "enter")  # the scene's IC, listed first
        app.screen.query_one("#search", Input).value = "Sam Whitfield"
        await keys.settle(pilot)
        await keys.press(pilot, "enter")
        assert isinstance(app.screen, DoorScreen)
        assert "ADMIT" in verdict_text(app) and "approved at the door by the IC and the AD" in verdict_text(app)
        approval = one(db, "SELECT approved_by, temporary FROM approvals a JOIN people p ON p.ref = a.person "
                           "WHERE p.ref = 'R01'")
        assert approval == {"approved_by": "IC Amara Mensah and AD Sam Whitfield", "temporary": 1}


@pytest.fixture
def status_text(shown):
    return lambda app: shown(door_screen(app).query_one("#status"))


@pytest.mark.parametrize("size", SIZES)
async def test_p_confirms_the_person_on_the_panel_and_the_list_is_kept(app, db, crew, keys, size, status_text):
    async with app.run_test(size=size) as pilot:
        await keys.scanner(pilot, crew["P01"])
        await keys.scanner(pilot, crew["C01"])
        assert "FIRST ENTRY" in verdict_text(app) and "Zoë Ødegård" in verdict_text(app)
        assert "Policy to confirm (P): 2 - Ines Duarte, Zoë Ød" in status_text(app)
        await keys.press(pilot, "p")  # the person on the panel, not the first in the list
        assert policy.policy_acknowledged(db, "42", "C01") and not policy.policy_acknowledged(db, "42", "P01")
        assert "Policy to confirm (P): 1 - Ines Duarte" in status_text(app)
        door_screen(app).ready()  # the panel went back to READY: P asks whom
        await keys.press(pilot, "p")
        assert type(app.screen).__name__ == "ChooseFromList"
        await keys.press(pilot, "enter")
        assert policy.policy_acknowledged(db, "42", "P01") and "Policy to confirm" not in status_text(app)


@pytest.mark.parametrize("size", SIZES)
async def test_the_policy_list_survives_a_restart_stays_on_one_line_and_ends_at_the_lift(db, crew, keys, size,
                                                                                         status_text):
    access.set_pin(db, PIN, KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    approved = [row.ref for row in scenes.approved_list(db, "42") if row.zone == "set"]
    for ref in approved:
        door.scan(db, "42", crew[ref], "set", KIOSK)
    app = KioskApp(db, KIOSK, scene="42")  # a kiosk started after those scans
    async with app.run_test(size=size) as pilot:
        await keys.settle(pilot)
        status = status_text(app)
        assert f"Policy to confirm (P): {len(approved)} - " in status
        assert "Door: SET" in status and "Kiosk: test-kiosk" in status  # the counts are never pushed off
        await keys.press(pilot, "x", "enter", "escape")
        assert "Policy to confirm" not in status_text(app)


@pytest.mark.parametrize("size", SIZES)
async def test_lift_keeps_its_count_live_marks_out_and_the_door_says_what_now(app, db, crew, keys, size):
    async with app.run_test(size=size) as pilot:
        await keys.scanner(pilot, crew["P01"])
        await keys.press(pilot, "x")
        assert app.screen.query_one(Table).row_count == 1
        assert "1 still inside now" in str(app.screen.query_one("#message").render())
        await keys.scanner(pilot, crew["C01"])  # someone comes in while the confirmation is open
        await pilot.pause(1.2)
        await keys.settle(pilot)
        assert "2 still inside now" in str(app.screen.query_one("#message").render())
        await keys.press(pilot, "enter")
        assert scenes.get_scene(db, "42")["state"] == "lifted"
        assert "Marked out (2)" in str(app.screen.query_one("#message").render())
        await keys.press(pilot, "escape")
        assert app.screen.query_one(Banner).has_class("lifted")
        assert door.inside(db, "42") == []
        assert "CLOSED SET LIFTED" in verdict_text(app) and "FIRST ENTRY" not in verdict_text(app)
        await keys.scanner(pilot, crew["D01"])  # a scan after the lift is no red DENY: the door is not guarding
        panel = app.screen.query_one(VerdictPanel)
        assert panel.has_class("idle") and not panel.has_class("deny")
        assert "not checking badges" in verdict_text(app)


@pytest.mark.parametrize("size", SIZES)
async def test_a_scene_the_production_lacks_says_so_in_plain_words(db, crew, keys, size, shown):
    access.set_pin(db, PIN, KIOSK)
    app = KioskApp(db, KIOSK, scene="999")
    async with app.run_test(size=size) as pilot:
        await keys.settle(pilot)
        assert "Scene 999 is not in this production" in shown(app.screen.query_one(Banner))
        assert "NO SCENE AT THIS DOOR" in verdict_text(app)
        await keys.scanner(pilot, crew["P01"])
        shown = verdict_text(app)
        assert "NOT RECORDED" in shown and "No scene '999' in this production: the scenes are 42" in shown
        assert "kiosk scene list" not in shown and scan_rows(db) == 0


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


async def menu(pilot, keys, choice: str) -> None:
    await keys.press(pilot, "f10")
    await pilot.press(*PIN, "enter")
    await keys.settle(pilot)
    assert type(pilot.app.screen).__name__ == "SupervisorMenu"
    option_list = pilot.app.screen.query_one("OptionList")
    option_list.highlighted = [option.id for option in option_list.options].index(choice)
    await keys.press(pilot, "enter")


@pytest.mark.parametrize("size", SIZES)
async def test_supervisor_menu_needs_the_pin_and_exit_asks_saying_who_is_inside(app, db, crew, keys, size):
    async with app.run_test(size=size) as pilot:
        await keys.scanner(pilot, crew["P01"])
        await keys.press(pilot, "f10", "enter")  # Enter on an empty PIN: no try at all
        assert "Type the PIN" in str(app.screen.query_one("#message").render())
        await pilot.press(*"000000", "enter")
        await keys.settle(pilot)
        assert "Wrong PIN - 4 tries left" in str(app.screen.query_one("#message").render())
        await keys.press(pilot, "escape")
        await menu(pilot, keys, "exit")
        details = str(app.screen.query_one("#details").render())
        assert "Still inside (1): Ines Duarte (set, scene 42)" in details
        await keys.press(pilot, "escape")  # not now: back to the door, the menu closed behind it
        assert isinstance(app.screen, DoorScreen) and app.is_running
        await menu(pilot, keys, "exit")
        await keys.press(pilot, "enter")
    assert app.return_code == 0
    assert one(db, "SELECT COUNT(*) AS n FROM events WHERE key = 'attempts/supervisor' AND reason = 'wrong'")["n"] == 1


async def test_the_pin_opens_the_menu_for_one_action(app, keys):
    async with app.run_test(size=(80, 24)) as pilot:
        await menu(pilot, keys, "people")
        assert type(app.screen).__name__ == "PeopleScreen"
        await keys.press(pilot, "escape")
        assert isinstance(app.screen, DoorScreen)  # not back in the menu: the next action asks for the PIN


async def test_the_supervisors_screens_lock_when_the_kiosk_is_idle(db, crew, keys):
    access.set_pin(db, PIN, KIOSK)
    app = KioskApp(db, KIOSK, scene="42", idle_lock=2.5)  # checked every 1.25 s
    async with app.run_test(size=(80, 24)) as pilot:
        app.idle_lock = 3600  # held off while a busy machine checks the PIN and opens the form
        await menu(pilot, keys, "people")
        await keys.press(pilot, "f2")  # a form open over the people screen
        assert type(app.screen).__name__ == "PersonForm"
        app.idle_lock = 2.5
        await pilot.pause(4.5)  # past the idle time and the next check
        await keys.settle(pilot)
        assert isinstance(app.screen, DoorScreen) and len(app.screen_stack) == 1


async def test_a_paste_is_never_a_scan_and_lands_in_the_field(app, db, crew, keys):
    async with app.run_test() as pilot:
        app.post_message(events.Paste(crew["P01"]))  # on the door itself: nothing happens
        await keys.settle(pilot)
        assert scan_rows(db) == 0 and "READY" in verdict_text(app)
        await keys.press(pilot, "l")
        app.screen.query_one("#search", Input).focus()
        app.post_message(events.Paste("Helen"))
        await keys.settle(pilot)
        assert app.screen.query_one("#search", Input).value == "Helen" and scan_rows(db) == 0


async def test_a_long_name_typed_at_ten_keys_a_second_stays_in_the_field(app, db, crew, keys):
    """The shift's failure: fast pairs in a long name started a burst, and its tail became a DENY row."""
    name = "Maria Fernanda Concepcion de los Angeles Villalobos-Montenegro y Santisteban"
    async with app.run_test() as pilot:
        await keys.press(pilot, "l")
        app.screen.query_one("#search", Input).focus()
        at = time.monotonic()
        for index, character in enumerate(name):
            at += 0.1 if index % 3 else 0.035  # ten keys a second, a fast pair in every few
            key = events.Key(keys.name(character), character)
            key.time = at
            app.post_message(key)
        await pilot.pause(0.3)
        await keys.settle(pilot)
        assert app.screen.query_one("#search", Input).value == name and scan_rows(db) == 0


@pytest.mark.parametrize("size", SIZES)
async def test_the_demo_notice_sits_on_the_ready_panel_not_over_the_keys(db, crew, keys, size, monkeypatch):
    access.set_pin(db, PIN, KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    app = KioskApp(db, KIOSK, scene="42", notice="Supervisor PIN: 123456.")
    toasts: list[str] = []
    monkeypatch.setattr(app, "notify", lambda message, **options: toasts.append(message))
    async with app.run_test(size=size) as pilot:
        await keys.settle(pilot)
        assert "Supervisor PIN: 123456." in verdict_text(app) and toasts == []  # no toast over the key legend
        await keys.scanner(pilot, crew["P01"])
        door_screen(app).ready()
        assert "READY" in verdict_text(app) and "123456" not in verdict_text(app)


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


async def test_a_scan_behind_a_dialog_is_recorded_and_shown_over_it(app, db, crew, keys, monkeypatch):
    told = []
    notify = app.notify
    monkeypatch.setattr(app, "notify", lambda message, **options: (told.append(message), notify(message, **options)))
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.press(pilot, "i")  # the roll-call covers the door
        await keys.scanner(pilot, crew["P01"])
        assert type(app.screen).__name__ == "RollCallScreen"
        assert any("ADMIT Ines Duarte" in message for message in told)
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

    monkeypatch.setattr(door_view, "active_scenes", broken)
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
            loaded = [name for name in ("sqlite_utils", "psycopg") if name in sys.modules]
            print(app.screen.query_one("#verdict").render(), loaded)

    asyncio.run(main(*sys.argv[1:]))
""")


def test_the_door_starts_and_scans_without_loading_sqlite_utils_or_psycopg(app, db_path, crew):
    """sqlite-utils serves setup and migrations, psycopg the hub; kept off the door's path, the kiosk starts about
    50 ms and 350 ms sooner (BENCHMARKS.md)."""
    done = subprocess.run([sys.executable, "-c", DOOR_PROBE, str(db_path), crew["P01"]],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "ADMIT" in done.stdout and "Ines Duarte" in done.stdout
    assert done.stdout.rstrip().endswith(" []"), f"the door loaded {done.stdout.split(' [')[-1]}"


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
