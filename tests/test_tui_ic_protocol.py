"""IC mode's part of the closed-set protocol (Pilot, at 80x24 and 120x40), driven with the IC's keys: N closes an
offered check-in as not needed; T shows who the performers know will be there, where Enter records a
performer's acknowledgement (for them) or that the performers were told of someone added and agreed, and O a
performer's objection.  Each is checked in the record afterwards, not only on the screen."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from kiosk.core.door import SceneState
from kiosk.services import access, agreed_list, checkins, door, production, roster, scenes
from kiosk.services.agreed_list import AgreedList, PerformerAck, Unseen
from kiosk.services.lift import lift
from kiosk.store import audit
from kiosk.tui import KioskApp
from kiosk.tui.screens.confirm import Confirm
from kiosk.tui.screens.ic import ICScreen
from kiosk.tui.screens.ic_protocol import AgreedListScreen, heading
from kiosk.tui.widgets import Table
from tests.support import IC_PASSPHRASE, KIOSK, PIN, SIZES

MARKED_UP = "Helen [/] Marsh [b]"  # a name that is also Rich markup: shown as it is typed


async def until(pilot, keys, condition, tries: int = 50) -> None:
    for _ in range(tries):
        if condition():
            return
        await keys.settle(pilot)
    assert condition()


async def unlock(pilot, keys) -> None:
    await keys.press(pilot, "f9")
    pilot.app.screen.query_one("#reader", Input).value = "Amara Mensah"
    pilot.app.screen.query_one("#passphrase", Input).value = IC_PASSPHRASE
    pilot.app.screen.query_one("#passphrase", Input).focus()
    await keys.press(pilot, "enter")
    assert isinstance(pilot.app.screen, ICScreen)


async def cursor_to(pilot, keys, name: str, column: int = 1) -> None:
    """Arrow keys down the table until the row of ``name`` is highlighted, as the IC does."""
    table = pilot.app.screen.query_one(Table)
    names = [table.texts(index)[column] for index in range(table.row_count)]
    assert name in names, names
    await keys.press(pilot, "ctrl+home", *["down"] * names.index(name))
    assert table.texts(table.cursor_row)[column] == name


def events_of(db, type_: str) -> list[dict]:
    import json

    return [json.loads(payload)["body"] for (payload,) in
            db.execute("SELECT payload FROM events WHERE type = ? ORDER BY seq", [type_])]


@pytest.fixture
def lifted(db, crew, cheap_kdf):
    """Scene 42 shot and lifted: both performers pending, Helen Marsh (the director, who was inside) offered."""
    access.set_pin(db, PIN, KIOSK)
    roster.add_person(db, KIOSK, MARKED_UP, "crew", "Direction", "Director", "D01")
    production.set_duplicate_window(db, 0, KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    for ref in ("C01", "D01"):
        assert door.scan(db, "42", crew[ref], "set", KIOSK).decision == "admit"
    lift(db, "42", KIOSK)
    checkins.set_passphrase(db, IC_PASSPHRASE, "Amara Mensah", KIOSK)
    return crew


@pytest.mark.parametrize("size", SIZES)
async def test_n_closes_an_offered_check_in_as_not_needed(db, lifted, keys, size):
    app = KioskApp(db, KIOSK, scene="42")
    async with app.run_test(size=size) as pilot:
        await keys.settle(pilot)
        await unlock(pilot, keys)
        table = app.screen.query_one(Table)
        assert {table.texts(i)[1]: table.texts(i)[3] for i in range(table.row_count)}[MARKED_UP] == "Offered"
        await cursor_to(pilot, keys, "Zoë Ødegård")
        await keys.press(pilot, "n")  # a performer's check-in is recorded, never closed as not needed
        assert isinstance(app.screen, ICScreen)
        await cursor_to(pilot, keys, MARKED_UP)
        await keys.press(pilot, "n")
        assert isinstance(app.screen, Confirm)
        question = str(app.screen.query_one(".title").render())
        assert question == f"Close the check-in offered to {MARKED_UP} as not needed?"
        await keys.press(pilot, "enter")
        await until(pilot, keys, lambda: isinstance(app.screen, ICScreen) and "Closed: not needed" in [
            app.screen.query_one(Table).texts(i)[3] for i in range(app.screen.query_one(Table).row_count)])
    states = {row.ref: row.state for row in checkins.overview(db, "42")}
    assert states == {"C01": "pending", "C02": "pending", "D01": "done"}
    closed = events_of(db, "checkin.closed")
    assert [(body["person"], body["by"]) for body in closed] == [("D01", "Amara Mensah")]
    assert audit.differences(db) == []


@pytest.fixture
def added_later(db, crew, cheap_kdf):
    """Scene 42 open; Zoë has seen the list, Łukasz not yet; then Lea (her name marked up) and Kwame were added,
    and Kwame is inside."""
    access.set_pin(db, PIN, KIOSK)
    roster.add_person(db, KIOSK, "Lea [/] Schmitt", "crew", "Camera", "1st AC", "P03")
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    agreed_list.acknowledge(db, "42", "C01", "C01", KIOSK)
    scenes.approve(db, "42", ("P03", "P04"), by="Sam Whitfield", kiosk=KIOSK)
    assert door.scan(db, "42", crew["P04"], "set", KIOSK).decision == "admit"
    checkins.set_passphrase(db, IC_PASSPHRASE, "Amara Mensah", KIOSK)
    return crew


def not_told(db) -> list[str]:
    return [unseen.ref for unseen in agreed_list.agreed_list(db, "42").not_told]


@pytest.mark.parametrize("size", SIZES)
async def test_t_the_ic_records_acknowledgement_told_and_an_objection(db, added_later, keys, size, shown):
    app = KioskApp(db, KIOSK, scene="42")
    async with app.run_test(size=size) as pilot:
        await keys.settle(pilot)
        assert "Performers not yet told: 2" in shown(app.screen.query_one("#status"))
        await unlock(pilot, keys)
        await keys.press(pilot, "t")
        screen = app.screen
        assert isinstance(screen, AgreedListScreen)
        await until(pilot, keys, lambda: screen.query_one(Table).row_count == 4)
        assert str(screen.query_one("#heading").render()) == \
            "Scene 42: performers who have not seen the list: 1; performers not yet told: 2"

        await cursor_to(pilot, keys, "Łukasz Nowak")  # not seen the list: shown it, then recorded for them
        await keys.press(pilot, "enter")
        assert isinstance(app.screen, Confirm)
        assert "Lea [/] Schmitt (set)" in " ".join(str(app.screen.query_one("#details").render()).split())
        await keys.press(pilot, "enter")
        await until(pilot, keys, lambda: all(ack.at for ack in agreed_list.agreed_list(db, "42").performers))
        ack = next(ack for ack in agreed_list.agreed_list(db, "42").performers if ack.ref == "C02")
        assert ack.by == "Amara Mensah" and ack.for_them
        assert sorted(not_told(db)) == ["P03", "P04"]  # Zoë saw the list before they were added

        await cursor_to(pilot, keys, "Lea [/] Schmitt")
        await keys.press(pilot, "enter")
        assert isinstance(app.screen, Confirm)
        assert str(app.screen.query_one(".title").render()) == \
            "The performers were told Lea [/] Schmitt will be there, and agreed?"
        await keys.press(pilot, "enter")
        await until(pilot, keys, lambda: not_told(db) == ["P04"])
        assert [(body["person"], body["by"]) for body in events_of(db, "list.told")] == [("P03", "Amara Mensah")]

        await cursor_to(pilot, keys, "Kwame Boateng")
        await keys.press(pilot, "o")
        assert isinstance(app.screen, Confirm)
        await keys.press(pilot, "enter")
        await until(pilot, keys, lambda: not_told(db) == [])
        assert "Marked out of: set" in str(screen.query_one("#message").render())
        assert str(screen.query_one("#heading").render()) == "Scene 42: the performers know everyone on the list"
        await keys.press(pilot, "escape")
        assert isinstance(app.screen, ICScreen)
        await keys.press(pilot, "escape")  # lock and leave: the door no longer flags anyone
        await until(pilot, keys, lambda: "not yet told" not in shown(app.screen.query_one("#status")))
        told_ad = [note for note in app._notifications if note.title == "Must leave the set"]
        assert [note.message for note in told_ad] == [  # still up at the door, for the AD
            "Kwame Boateng must leave now: off the approved list of scene 42 (a performer objected), marked out "
            "of the set."]
    assert [row.ref for row in door.inside(db, "42")] == []
    assert not any(row.ref == "P04" for row in scenes.approved_list(db, "42"))
    assert [body["by"] for body in events_of(db, "list.objection")] == ["Amara Mensah"]
    assert audit.differences(db) == []


async def test_an_ic_unlocked_under_a_name_not_on_the_list_is_told_why(db, added_later, keys):
    app = KioskApp(db, KIOSK, scene="42")
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.press(pilot, "f9")
        app.screen.query_one("#reader", Input).value = "Amara"
        app.screen.query_one("#passphrase", Input).value = IC_PASSPHRASE
        app.screen.query_one("#passphrase", Input).focus()
        await keys.press(pilot, "enter", "t")
        screen = app.screen
        assert isinstance(screen, AgreedListScreen)
        await until(pilot, keys, lambda: screen.query_one(Table).row_count == 4)
        await cursor_to(pilot, keys, "Kwame Boateng")
        await keys.press(pilot, "enter", "enter")
        assert "not one person on the list" in str(screen.query_one("#message").render())
        assert app.is_running and sorted(not_told(db)) == ["P03", "P04"] and events_of(db, "list.told") == []


def test_the_heading_never_says_done_before_the_performers_saw_the_list():
    """Nobody has seen the list: not "they know everyone" (nobody was added after an acknowledgement)."""
    zoe, lukasz = PerformerAck("C01", "Zoë Ødegård", None, None), PerformerAck("C02", "Łukasz Nowak", None, None)
    seen = PerformerAck("C01", "Zoë Ødegård", "2026-12-01T10:00:00+00:00", "Zoë Ødegård")
    lea = Unseen("P03", "Lea Schmitt", ("set",), "Sam Whitfield")
    assert heading("42", AgreedList("42", (zoe, lukasz), ())) == "Scene 42: performers who have not seen the list: 2"
    assert heading("42", AgreedList("42", (seen,), (lea,))) == "Scene 42: performers not yet told: 1"
    assert heading("42", AgreedList("42", (seen,), ())) == "Scene 42: the performers know everyone on the list"
    assert heading("42", AgreedList("42", (), ())) == "Scene 42: no performers named for this scene"
