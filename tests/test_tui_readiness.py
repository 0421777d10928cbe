"""The checklist at the door (Pilot, at 80x24 and 120x40): what the status line waits for, the IC's own badge
answered "IC here", K to confirm an item and to record that a performer has seen the approved list."""

from __future__ import annotations

import pytest

from kiosk.core.door import SceneState
from kiosk.services import access, readiness, scenes
from kiosk.services.agreed_list import agreed_list
from kiosk.tui.app import KioskApp
from kiosk.tui.screens.door import DoorScreen
from kiosk.tui.screens.readiness import ChecklistScreen
from kiosk.tui.widgets import VerdictPanel
from tests.support import KIOSK, PIN, SIZES


def door_screen(app) -> DoorScreen:
    return next(screen for screen in app.screen_stack if isinstance(screen, DoorScreen))


async def until(pilot, keys, condition, tries: int = 50) -> None:
    """Let the screen's workers run until ``condition()`` holds (they read the database on its own thread)."""
    for _ in range(tries):
        if condition():
            return
        await keys.settle(pilot)
    assert condition()


def met(db):
    return {state.item.id: state.met for state in readiness.checklist(db, "42").readiness.items}


@pytest.fixture
def app(db, crew):
    access.set_pin(db, PIN, KIOSK)
    return KioskApp(db, KIOSK, scene="42")  # scene 42 in draft: not open yet


@pytest.mark.parametrize("size", SIZES)
async def test_k_confirms_an_item_and_a_performers_acknowledgement(app, db, crew, keys, size, shown):
    async with app.run_test(size=size) as pilot:
        await keys.settle(pilot)
        assert "Checklist (K): 7 open" in shown(door_screen(app).query_one("#status"))
        await keys.press(pilot, "k")
        assert isinstance(app.screen, ChecklistScreen)
        await keys.settle(pilot)
        items = " ".join(str(app.screen.query_one("#items").content).split())
        assert "[ ] Modesty garments and robes ready" in items and "Amara Mensah is not here" in items
        await keys.press(pilot, "enter")  # the first choice: confirm garments
        await keys.settle(pilot)
        assert met(db)["garments"] and not met(db)["signage"]
        await until(pilot, keys, lambda: "[x] Modesty garments and robes ready" in " ".join(
            str(app.screen.query_one("#items").content).split()))
        app.save_screenshot(f"/tmp/pt/checklist-{size[0]}.svg")
        choices = app.screen.query_one("#choices")
        ack = next(index for index in range(choices.option_count)
                   if str(choices.get_option_at_index(index).id).startswith("ack:"))
        choices.highlighted = ack
        await keys.press(pilot, "enter")
        assert type(app.screen).__name__ == "Confirm"
        details = " ".join(str(app.screen.query_one("#details").content).split())
        assert "Helen Marsh (set)" in details  # the list, shown to the performer before they agree
        await keys.press(pilot, "enter")
        await until(pilot, keys, lambda: any(ack.at for ack in agreed_list(db, "42").performers))
        acks = [ack for ack in agreed_list(db, "42").performers if ack.at]
        assert len(acks) == 1 and acks[0].for_them and acks[0].by == f"AD at {KIOSK}"
        await keys.press(pilot, "escape")
        await keys.settle(pilot)
        assert isinstance(app.screen, DoorScreen)
        await until(pilot, keys, lambda: "Checklist (K): 6 open" in shown(door_screen(app).query_one("#status")))


@pytest.mark.parametrize("size", SIZES)
async def test_the_ics_own_badge_before_opening_says_ic_here(app, db, crew, keys, size):
    async with app.run_test(size=size) as pilot:
        await keys.scanner(pilot, crew["X01"])
        panel = str(app.screen.query_one(VerdictPanel).render())
        assert "IC here" in panel and met(db)["ic"]


async def test_performers_not_yet_told_shows_on_the_door(db, crew, keys, shown):
    access.set_pin(db, PIN, KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    from kiosk.services.agreed_list import acknowledge

    acknowledge(db, "42", "C01", "C01", KIOSK)
    acknowledge(db, "42", "C02", "C02", KIOSK)
    scenes.approve(db, "42", ("C03", "C04"), by="Sam Whitfield", kiosk=KIOSK)  # added after they saw the list
    app = KioskApp(db, KIOSK, scene="42")
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.settle(pilot)
        assert "Performers not yet told: 2" in shown(door_screen(app).query_one("#status"))


@pytest.mark.parametrize("size", SIZES)
async def test_n_a_performer_chooses_with_their_own_badge_and_withdraws_it(db, crew, keys, size, shown):
    from kiosk.services import no_ic
    from kiosk.tui.screens.no_ic import NoIcScreen

    access.set_pin(db, PIN, KIOSK)
    app = KioskApp(db, KIOSK, scene="42")
    scans = lambda: db.execute("SELECT COUNT(*) FROM events WHERE type = 'door.scan'").fetchone()[0]  # noqa: E731
    async with app.run_test(size=size) as pilot:
        await keys.settle(pilot)
        await keys.press(pilot, "n")
        assert isinstance(app.screen, NoIcScreen)
        await keys.scanner(pilot, crew["D01"])  # not a performer: refused, nothing recorded
        await until(pilot, keys, lambda: "not a performer" in str(app.screen.query_one("#message").content))
        await keys.scanner(pilot, crew["C01"])
        await until(pilot, keys, lambda: "withdraw it at any time" in str(app.screen.query_one("#message").content))
        assert no_ic.choices(db, "42")[0].chose is False and scans() == 0  # nothing until Enter; no door scan
        await keys.press(pilot, "enter")
        await until(pilot, keys, lambda: any(p.chose for p in no_ic.choices(db, "42")))
        assert "still needs an IC" in str(app.screen.query_one("#message").content)
        await keys.press(pilot, "enter")
        assert isinstance(app.screen, DoorScreen)
        await keys.press(pilot, "n")
        await keys.scanner(pilot, crew["C01"])  # the same badge again: offered to withdraw
        await until(pilot, keys, lambda: "Withdraw that choice" in str(app.screen.query_one("#message").content))
        await keys.press(pilot, "enter")
        await until(pilot, keys, lambda: not any(p.chose for p in no_ic.choices(db, "42")))
        assert scans() == 0


@pytest.mark.parametrize("size", SIZES)
async def test_the_supervisor_opens_an_unready_scene_with_a_reason_and_the_pin(db, crew, keys, size):
    import json

    from textual.widgets import Input

    from kiosk.tui.screens.menu import ChooseSceneScreen, OpenAnywayForm

    access.set_pin(db, PIN, KIOSK)
    readiness.set_required(db, True, KIOSK)  # as `kiosk init` makes it
    reason = "IC delayed [b]10 min[/]; performers agreed to rehearse"  # shown and stored as typed
    app = KioskApp(db, KIOSK, scene="42")
    async with app.run_test(size=size) as pilot:
        await keys.press(pilot, "f10")
        await pilot.press(*PIN, "enter")
        await keys.settle(pilot)
        menu = app.screen.query_one("OptionList")
        menu.highlighted = [option.id for option in menu.options].index("scene")
        await keys.press(pilot, "enter")
        assert isinstance(app.screen, ChooseSceneScreen)
        await keys.press(pilot, "o")
        form = app.screen
        assert isinstance(form, OpenAnywayForm)
        assert "Modesty garments and robes ready" in str(form.query_one("#outstanding").render())
        form.query_one("#reason", Input).value = reason
        form.query_one("#pin", Input).value = "999999"
        form.query_one("#pin", Input).focus()
        await keys.press(pilot, "enter")
        assert app.screen is form and "Not opened:" in str(form.query_one("#message").render())
        assert scenes.show_scene(db, "42")["state"] == "draft" and form.query_one("#pin", Input).value == ""
        form.query_one("#pin", Input).value = PIN
        await keys.press(pilot, "enter")
        await until(pilot, keys, lambda: isinstance(app.screen, ChooseSceneScreen))
    assert scenes.show_scene(db, "42")["state"] == "open"
    body = json.loads(db.execute("SELECT payload FROM events WHERE type = 'scene.state' ORDER BY seq DESC "
                                 "LIMIT 1").fetchone()[0])["body"]
    assert body["why"] == reason and body["by"] == "supervisor" and len(body["outstanding"]) == 7
