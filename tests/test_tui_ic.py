"""IC mode in the kiosk: lift -> pending -> the IC's check-in, and what the AD's door screen never shows."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from kiosk.core.checkins import Completion
from kiosk.core.door import SceneState
from kiosk.services import access, checkins, door, scenes
from kiosk.services.lift import lift
from kiosk.store.queries import many
from kiosk.tui import KioskApp
from kiosk.tui.screens.door import DoorScreen
from kiosk.tui.screens.ic import CheckInForm, ICScreen
from kiosk.tui.widgets import Table
from tests.support import KIOSK, SIZES

PASSPHRASE = "violet harbour lantern"
NOTE = "ZEBRA-QUIET-NOTE said the second take felt rushed"


@pytest.fixture
def app(db, crew, cheap_kdf):
    access.set_pin(db, "246810", KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    return KioskApp(db, KIOSK, scene="42")


async def open_ic_mode(pilot, first_time: bool, keys) -> None:
    await keys.press(pilot, "f9")
    screen = pilot.app.screen
    screen.query_one("#reader", Input).value = "Amara Mensah"
    screen.query_one("#passphrase", Input).value = PASSPHRASE
    if first_time:
        screen.query_one("#again", Input).value = PASSPHRASE
        screen.query_one("#again", Input).focus()
    else:
        screen.query_one("#passphrase", Input).focus()
    await keys.press(pilot, "enter")


async def test_lift_then_the_ic_checks_in_and_the_door_sees_only_counts(app, db, db_path, crew, keys, shown):
    async with app.run_test(size=(120, 40)) as pilot:
        await keys.scanner(pilot, crew["C01"])
        await keys.press(pilot, "x", "enter")
        lifted = str(app.screen.query_one("#message").render())
        assert "Check-ins pending: 2" in lifted and "Zoë Ødegård" in lifted and "Łukasz Nowak" in lifted
        await keys.press(pilot, "escape")
        assert "Check-ins pending: 2" in shown(app.screen.query_one("#status"))

        await open_ic_mode(pilot, first_time=True, keys=keys)
        assert isinstance(app.screen, ICScreen)
        table = app.screen.query_one(Table)
        assert table.row_count == 2 and {table.texts(i)[1] for i in range(2)} == {"Zoë Ødegård", "Łukasz Nowak"}
        table.move_cursor(row=[table.texts(i)[1] for i in range(2)].index("Zoë Ødegård"))
        await keys.press(pilot, "enter")
        form = app.screen
        assert isinstance(form, CheckInForm)
        form.query_one("#follow_up").value = True
        form.query_one("#follow_up_owner", Input).value = "Amara Mensah"
        form.query_one("#due", Input).value = checkins_due()
        form.query_one("#note", Input).value = NOTE
        await keys.press(pilot, "f2")
        assert isinstance(app.screen, ICScreen)
        table = app.screen.query_one(Table)
        assert "Follow-up needed" in [table.texts(i)[3] for i in range(2)]
        table.move_cursor(row=[table.texts(i)[1] for i in range(2)].index("Zoë Ødegård"))
        await keys.press(pilot, "enter")  # opened again: the note is there for the IC, and the reading is logged
        assert app.screen.query_one("#note", Input).value == NOTE
        await keys.press(pilot, "escape")

        await keys.press(pilot, "escape")  # lock and leave
        assert isinstance(app.screen, DoorScreen)
        status = shown(app.screen.query_one("#status"))
        assert "Check-ins pending: 1, follow-ups open: 1" in status and "ZEBRA" not in status
    raw = db_path.read_bytes() + db_path.with_name(db_path.name + "-wal").read_bytes()
    assert b"ZEBRA-QUIET-NOTE" not in raw
    assert checkins.completion(db, "42") == Completion(pending=1, follow_up_open=1)
    reads = many(db, "SELECT payload AS detail FROM events WHERE type = 'checkin.read'")
    assert reads and all("Amara Mensah" in row["detail"] for row in reads)


def checkins_due() -> str:
    from datetime import date, timedelta

    return (date.today() + timedelta(days=3)).isoformat()


async def test_a_wrong_passphrase_is_refused_and_nothing_opens(app, db, crew, keys):
    checkins.set_passphrase(db, PASSPHRASE, "Amara Mensah", KIOSK)
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.press(pilot, "f9")
        app.screen.query_one("#reader", Input).value = "Someone"
        app.screen.query_one("#passphrase", Input).value = "not the passphrase at all"
        app.screen.query_one("#passphrase", Input).focus()
        await keys.press(pilot, "enter")
        assert "passphrase" in str(app.screen.query_one("#message").render()).lower()
        assert not isinstance(app.screen, ICScreen)
        await keys.press(pilot, "escape")
        assert isinstance(app.screen, DoorScreen)


async def test_follow_ups_are_listed_open_first_and_marked_done(app, db, crew, keys):
    session = checkins.set_passphrase(db, PASSPHRASE, "Amara Mensah", KIOSK)
    lift(db, "42", KIOSK)
    checkins.record(session, "42", "C01", "follow-up", follow_up_owner="Amara", due=checkins_due())
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ic_mode(pilot, first_time=False, keys=keys)
        await keys.press(pilot, "f")
        table = app.screen.query_one(Table)
        assert table.row_count == 1 and table.texts(0)[2] == "Amara"
        await keys.press(pilot, "d")
        assert app.screen.query_one(Table).texts(0)[4]  # done on today
        await keys.press(pilot, "escape")
    assert checkins.completion(db, "42").follow_up_open == 0


async def test_the_ic_adds_crew_to_the_check_ins(app, db, crew, keys):
    checkins.set_passphrase(db, PASSPHRASE, "Amara Mensah", KIOSK)
    lift(db, "42", KIOSK)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ic_mode(pilot, first_time=False, keys=keys)
        await keys.press(pilot, "a")
        assert app.screen.query_one("#scene", Input).value == "42"  # the door's scene, unless changed
        app.screen.query_one("#search", Input).value = "Ines"  # found by name, as in every other picker
        await keys.settle(pilot)
        await keys.press(pilot, "enter")
        assert isinstance(app.screen, ICScreen)
        assert app.screen.query_one(Table).row_count == 3
    assert door.inside(db, "42") == []


@pytest.mark.parametrize("size", SIZES)
async def test_after_a_wrong_passphrase_the_field_is_cleared_with_the_focus_in_it(app, db, keys, size):
    checkins.set_passphrase(db, PASSPHRASE, "Amara Mensah", KIOSK)
    async with app.run_test(size=size) as pilot:
        await keys.press(pilot, "f9")
        app.screen.query_one("#reader", Input).value = "Amara Mensah"
        field = app.screen.query_one("#passphrase", Input)
        field.value = "not the passphrase at all"
        field.focus()
        await keys.press(pilot, "enter")
        assert "Wrong IC passphrase" in str(app.screen.query_one("#message").render())
        assert app.focused is field and field.value == ""
        assert app.screen.query_one("#reader", Input).value == "Amara Mensah"  # the name stays


@pytest.mark.parametrize("size", SIZES)
async def test_ic_mode_locks_itself_when_idle_and_when_a_badge_is_scanned(db, crew, cheap_kdf, keys, size):
    access.set_pin(db, "246810", KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    checkins.set_passphrase(db, PASSPHRASE, "Amara Mensah", KIOSK)
    lift(db, "42", KIOSK)
    app = KioskApp(db, KIOSK, scene="42", idle_lock=2.5)  # checked every 1.25 s
    async with app.run_test(size=size) as pilot:
        app.idle_lock = 3600  # held off while a busy machine checks the passphrase and opens the form
        await open_ic_mode(pilot, first_time=False, keys=keys)
        session = app.screen.session
        await keys.press(pilot, "enter")  # a check-in open over the list
        assert isinstance(app.screen, CheckInForm)
        app.idle_lock = 2.5
        await pilot.pause(4.5)  # past the idle time and the next check
        await keys.settle(pilot)
        assert isinstance(app.screen, DoorScreen) and len(app.screen_stack) == 1 and session.locked

        await open_ic_mode(pilot, first_time=False, keys=keys)
        session = app.screen.session
        await keys.scanner(pilot, crew["P01"])  # someone at the door: nothing of IC mode stays on screen
        assert isinstance(app.screen, DoorScreen) and session.locked


@pytest.mark.parametrize("size", SIZES)
async def test_the_check_in_form_labels_every_field_and_says_nothing_of_flags(app, db, crew, keys, size):
    session = checkins.set_passphrase(db, PASSPHRASE, "Amara Mensah", KIOSK)
    lift(db, "42", KIOSK)
    async with app.run_test(size=size) as pilot:
        await open_ic_mode(pilot, first_time=False, keys=keys)
        await keys.press(pilot, "enter")
        form = app.screen
        labels = [str(label.render()) for label in form.query(".form-row Label")]
        assert labels == ["Follow-up owner", "Follow-up due", "Signposting", "Short note"]
        form.query_one("#follow_up").value = True
        await keys.press(pilot, "f2")
        words = str(form.query_one("#message").render())
        assert "A follow-up needs an owner and a due date" in words and "--" not in words
    assert checkins.ic_list(session, "42")[0].status == "pending"
