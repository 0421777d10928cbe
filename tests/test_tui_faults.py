"""No service failure closes the kiosk.

Each screen is driven the way a supervisor, an AD or the IC uses it, once as it is, to learn every service it
calls (through the one way screens call services: the database thread, the reading thread, the render
process); then once for each of those services with that service failing as a full or dying disk does.  After
each, the kiosk must still be running, and the door must still answer a scan.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.widgets import Checkbox, Input, OptionList, RadioButton

from kiosk.core.door import SceneState
from kiosk.services import access, agreed_list, checkins, door, readiness, roster, scenes
from kiosk.services.lift import lift
from kiosk.store import Store, connect
from kiosk.tui import KioskApp
from kiosk.tui.calls import Services
from kiosk.tui.screens.badges import BadgePreview, BadgesScreen, IssueForm, RevokeForm
from kiosk.tui.screens.confirm import Confirm
from kiosk.tui.screens.dialogs import FindPersonScreen, LiftScreen, RollCallScreen
from kiosk.tui.screens.door import DoorScreen
from kiosk.tui.screens.ic import AddToCheckIns, CheckInForm, FollowUpsScreen, ICScreen, ICUnlockScreen
from kiosk.tui.screens.ic_protocol import AgreedListScreen
from kiosk.tui.screens.importing import ImportScreen
from kiosk.tui.screens.menu import ChooseSceneScreen, OpenAnywayForm, SupervisorMenu
from kiosk.tui.screens.people import PeopleScreen, PersonForm
from kiosk.tui.screens.pin import PinScreen, SetPinScreen
from kiosk.tui.screens.reports import ExportForm, ReportsScreen
from kiosk.tui.screens.scenes import ApprovalsScreen, ApproveForm, RemoveApprovalForm, SceneForm, ScenesScreen
from kiosk.tui.widgets import VerdictPanel
from tests.photo_door import portrait_jpeg
from tests.support import KIOSK, PIN

PASSPHRASE = "violet harbour lantern"
Drive = Callable[..., Awaitable[None]]


async def fill(pilot, keys, **values: str) -> None:
    for input_id, value in values.items():
        pilot.app.screen.query_one(f"#{input_id}", Input).value = value
    await keys.settle(pilot)


async def show(pilot, keys, screen) -> None:
    pilot.app.push_screen(screen)
    await keys.settle(pilot)


async def act(pilot, keys, action: str) -> None:
    await pilot.app.screen.run_action(action)
    await keys.settle(pilot)


# --- how each screen is used -------------------------------------------------------------------------------

async def drive_pin(pilot, keys, env) -> None:
    await show(pilot, keys, PinScreen())
    await fill(pilot, keys, pin=PIN)
    await keys.press(pilot, "enter")


async def drive_set_pin(pilot, keys, env) -> None:
    await show(pilot, keys, SetPinScreen())
    await fill(pilot, keys, pin="135790", again="135790")
    pilot.app.screen.query_one("#again", Input).focus()
    await keys.press(pilot, "enter")


async def drive_choose_scene(pilot, keys, env) -> None:
    await show(pilot, keys, ChooseSceneScreen())
    await act(pilot, keys, "open_scene")


async def drive_open_anyway(pilot, keys, env) -> None:
    """With the checklist gate on, O on an unready scene asks for the reason and the PIN, and opens it."""
    readiness.set_required(env["db"], True, KIOSK)
    scenes.add_scene(env["db"], "77", "Shower, day", KIOSK, coordinator="X01", performers=("C01",))
    screen = ChooseSceneScreen()
    await show(pilot, keys, screen)
    if "77" in screen.table().rows:
        screen.table().move_cursor(row=screen.table().get_row_index("77"))
        await act(pilot, keys, "open_scene")
    if isinstance(pilot.app.screen, OpenAnywayForm):
        await fill(pilot, keys, reason="IC delayed; the performers agreed", pin=PIN)
        await act(pilot, keys, "save")


async def drive_people(pilot, keys, env) -> None:
    await show(pilot, keys, PeopleScreen())
    await show(pilot, keys, PersonForm(None, {}))
    await fill(pilot, keys, name="Noor Haddad", department="Camera", role="Loader")
    pilot.app.screen.query(RadioButton).last().value = True
    await act(pilot, keys, "save")
    helen = next(person for person in roster.list_people(env["db"]) if person.ref == "D01")
    env["tmp_path"].mkdir(parents=True, exist_ok=True)
    (env["tmp_path"] / "helen.jpg").write_bytes(portrait_jpeg())
    await show(pilot, keys, PersonForm(helen, {}))  # her photo, from a file
    await fill(pilot, keys, photo=str(env["tmp_path"] / "helen.jpg"))
    await act(pilot, keys, "save")
    await show(pilot, keys, PersonForm(helen, {}))  # and taken away again
    pilot.app.screen.query_one("#remove_photo", Checkbox).value = True
    await act(pilot, keys, "save")


async def drive_import(pilot, keys, env) -> None:
    path = env["tmp_path"] / "crew.csv"
    path.write_text("ref,name,department,role,kind\nN01,Noor Haddad,Camera,Loader,crew\n", encoding="utf-8")
    await show(pilot, keys, ImportScreen())
    await fill(pilot, keys, path=str(path))
    pilot.app.screen.query_one("#path", Input).focus()
    await keys.press(pilot, "enter")
    await act(pilot, keys, "save")


async def drive_scenes(pilot, keys, env) -> None:
    await show(pilot, keys, ScenesScreen())
    await show(pilot, keys, SceneForm())
    await fill(pilot, keys, ref="77", title="Shower, day")
    await act(pilot, keys, "save")


async def drive_approvals(pilot, keys, env) -> None:
    summary = next(row for row in scenes.list_scenes(env["db"]) if row.ref == "42")
    await show(pilot, keys, ApprovalsScreen(summary))
    form = ApproveForm("42")
    await show(pilot, keys, form)
    form.query_one("#search", Input).value = "Owen"
    await keys.settle(pilot)
    form.query_one("#matches").focus()
    await keys.press(pilot, "enter")
    await fill(pilot, keys, by="Helen Marsh")
    await act(pilot, keys, "save")
    approval = next(row for row in scenes.approved_list(env["db"], "42") if row.ref == "P01")
    await show(pilot, keys, RemoveApprovalForm("42", approval))
    await fill(pilot, keys, by="Helen Marsh")
    await act(pilot, keys, "save")


async def drive_badges(pilot, keys, env) -> None:
    await show(pilot, keys, BadgesScreen())
    await show(pilot, keys, BadgePreview("P01"))
    pilot.app.pop_screen()
    await show(pilot, keys, IssueForm([("R01", "Hannah Cole")]))
    await fill(pilot, keys, out=str(env["tmp_path"] / "badges"), sheet=str(env["tmp_path"] / "sheet.pdf"))
    await act(pilot, keys, "save")
    await show(pilot, keys, RevokeForm("D01", "Helen Marsh"))
    await fill(pilot, keys, reason="lost on set")
    await act(pilot, keys, "save")


async def drive_reports(pilot, keys, env) -> None:
    screen = ReportsScreen()
    await show(pilot, keys, screen)
    await fill(pilot, keys, which="42")
    screen.query_one("#which", Input).focus()
    await keys.press(pilot, "enter")
    if screen.report is not None:
        await show(pilot, keys, ExportForm(screen.report))
        await fill(pilot, keys, path=str(env["tmp_path"] / "report"))
        await act(pilot, keys, "save")


async def drive_door_dialogs(pilot, keys, env) -> None:
    finder = FindPersonScreen(escalate=False)
    await show(pilot, keys, finder)
    finder.query_one("#search", Input).value = "Tom"
    await keys.settle(pilot)
    finder.query_one("#matches").focus()
    await keys.press(pilot, "enter")
    await fill(pilot, keys, why="badge left in the trailer")
    finder.query_one("#why", Input).focus()
    await keys.press(pilot, "enter")
    await show(pilot, keys, RollCallScreen())
    await act(pilot, keys, "print")
    pilot.app.pop_screen()
    await show(pilot, keys, LiftScreen("42"))
    await act(pilot, keys, "lift")


async def drive_escalation(pilot, keys, env) -> None:
    finder = FindPersonScreen(escalate=True)
    await show(pilot, keys, finder)
    for search in ("Hannah", "", "Sam Whitfield"):  # the person, the scene's IC (listed first), the AD
        await fill(pilot, keys, search=search)
        finder.query_one("#search", Input).focus()
        await keys.press(pilot, "enter")


async def drive_door_keys(pilot, keys, env) -> None:
    """The AD's keys on the door itself that call a service: P (the panel's person), P (from the list)."""
    await keys.scanner(pilot, env["crew"]["P01"])
    await keys.scanner(pilot, env["crew"]["D01"])
    await keys.press(pilot, "p")
    door_screen = pilot.app.screen
    door_screen.ready()
    await keys.press(pilot, "p")
    if type(pilot.app.screen).__name__ == "ChooseFromList":
        await keys.press(pilot, "enter")


async def drive_exit(pilot, keys, env) -> None:
    await show(pilot, keys, SupervisorMenu())
    menu = pilot.app.screen.query_one(OptionList)
    menu.highlighted = [option.id for option in menu.options].index("exit")
    await keys.press(pilot, "enter")
    if type(pilot.app.screen).__name__ == "Confirm":
        await keys.press(pilot, "escape")  # the question was asked, with who is inside; not leaving


async def drive_ic(pilot, keys, env) -> None:
    unlock = ICUnlockScreen()
    await show(pilot, keys, unlock)
    await fill(pilot, keys, reader="Amara Mensah", passphrase=PASSPHRASE)
    unlock.query_one("#passphrase", Input).focus()
    await keys.press(pilot, "enter")
    session = checkins.unlock(env["db"], PASSPHRASE, "Amara Mensah", KIOSK)
    checkins.add(session, "42", "C01")
    await show(pilot, keys, ICScreen(session))
    await show(pilot, keys, AddToCheckIns(session))
    await fill(pilot, keys, search="Tom Brennan")
    await keys.press(pilot, "enter")
    row = next(row for row in checkins.ic_list(session, "42") if row.ref == "C01")
    form = CheckInForm(session, row)
    await show(pilot, keys, form)
    form.query_one("#follow_up", RadioButton).value = True
    await fill(pilot, keys, follow_up_owner="Amara", due="2099-01-01")
    await act(pilot, keys, "save")
    await show(pilot, keys, FollowUpsScreen(session))
    await act(pilot, keys, "done")


async def drive_ic_protocol(pilot, keys, env) -> None:
    """IC mode's protocol keys: N closes an offered check-in; T, then Enter (acknowledged, told) and O."""
    db = env["db"]
    agreed_list.acknowledge(db, "42", "C01", "C01", KIOSK)
    scenes.approve(db, "42", ("P03", "P04"), by="Sam Whitfield", kiosk=KIOSK)  # after Zoë saw the list
    door.scan(db, "42", env["crew"]["D01"], "set", KIOSK)
    lift(db, "42", KIOSK)  # Helen Marsh was inside: offered a check-in
    session = checkins.unlock(db, PASSPHRASE, "Amara Mensah", KIOSK)
    await show(pilot, keys, ICScreen(session))
    offered_row = next((index for index, row in enumerate(pilot.app.screen.rows) if row.ref == "D01"), None)
    if offered_row is not None:
        pilot.app.screen.table().move_cursor(row=offered_row)
        await keys.press(pilot, "n")
        if isinstance(pilot.app.screen, Confirm):
            await keys.press(pilot, "enter")
    screen = AgreedListScreen(session, "42")
    await show(pilot, keys, screen)
    for kind, key in (("performer:C02", "enter"), ("not told:P03", "enter"), ("not told:P04", "o")):
        if kind in screen.table().rows:
            screen.table().move_cursor(row=screen.table().get_row_index(kind))
            await keys.press(pilot, key)
            if isinstance(pilot.app.screen, Confirm):
                await keys.press(pilot, "enter")


SCREENS: dict[str, Drive] = {
    "pin": drive_pin, "set-pin": drive_set_pin, "choose-scene": drive_choose_scene, "people": drive_people,
    "import": drive_import, "scenes": drive_scenes, "approvals": drive_approvals, "badges": drive_badges,
    "reports": drive_reports, "door-dialogs": drive_door_dialogs, "ic": drive_ic, "escalation": drive_escalation,
    "door-keys": drive_door_keys, "exit": drive_exit, "ic-protocol": drive_ic_protocol,
    "open-anyway": drive_open_anyway,
}


# --- the harness ---------------------------------------------------------------------------------------------

class Faults:
    """Wraps the app's one way to the services: records what is called, and makes one service fail."""

    def __init__(self, monkeypatch) -> None:
        self.called: list[str] = []
        self.failing: str | None = None
        database, read, draw = Services._database_call, Services._read_call, Services.draw

        async def database_call(services, service, *args, **kwargs):
            return await database(services, self._wrap(service), *args, **kwargs)

        async def read_call(services, service, *args, **kwargs):
            return await read(services, self._wrap(service), *args, **kwargs)

        async def draw_call(services, function, *args, **kwargs):
            return await draw(services, self._wrap(function), *args, **kwargs)

        monkeypatch.setattr(Services, "_database_call", database_call)
        monkeypatch.setattr(Services, "_read_call", read_call)
        monkeypatch.setattr(Services, "draw", draw_call)

    def _wrap(self, function):
        name = getattr(function, "__qualname__", repr(function))
        if name not in self.called:
            self.called.append(name)
        if name == self.failing:
            return _broken
        return function


def _broken(*args, **kwargs):
    raise sqlite3.OperationalError("disk I/O error")


@pytest.fixture
def door_ready(db, crew, cheap_kdf):
    """The production every run starts from: scene 42 open, a PIN and an IC passphrase set."""
    access.set_pin(db, PIN, KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    checkins.set_passphrase(db, PASSPHRASE, "Amara Mensah", KIOSK)
    return crew


def fresh_copy(db, folder: Path) -> Store:
    """A copy of the starting production, so that every run begins from the same state."""
    folder.mkdir(exist_ok=True)
    target = sqlite3.connect(folder / "kiosk.db")
    db.conn.backup(target)
    target.close()
    return connect(folder / "kiosk.db")


async def run_screen(db, crew, keys, drive: Drive, env) -> KioskApp:
    """Drive one screen, then go back to the door and scan: returns the app, still running, for checks."""
    db = env["db"] = fresh_copy(db, env["tmp_path"])
    app = KioskApp(db, KIOSK, scene="42")
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.settle(pilot)
        await drive(pilot, keys, env)
        assert app.is_running
        while len(app.screen_stack) > 1:
            app.pop_screen()
        await keys.settle(pilot)
        assert isinstance(app.screen, DoorScreen)
        env["faults"].failing = None
        await keys.scanner(pilot, crew["C01"])
        verdict = str(app.screen.query_one(VerdictPanel).render())
        assert app.is_running and "NOT RECORDED" not in verdict, verdict
        answers = [f"{word}  " for word in ("ADMIT", "EXIT", "WAIT", "DENY")] + ["No badge check:"]  # or: lifted
        assert any(answer in verdict for answer in answers), verdict
    db.close()
    return app


@pytest.mark.parametrize("screen", SCREENS)
async def test_every_service_a_screen_calls_can_fail_and_the_door_still_scans(screen, db, door_ready, keys,
                                                                           monkeypatch, tmp_path):
    faults = Faults(monkeypatch)
    env = {"db": db, "tmp_path": tmp_path / "as-used", "faults": faults, "crew": door_ready}
    await run_screen(db, door_ready, keys, SCREENS[screen], env)
    services = [name for name in faults.called if name != "scan"]
    assert services, "the screen called no service"
    for service in services:
        faults.failing = service
        faults.called = []
        await run_screen(db, door_ready, keys, SCREENS[screen], {**env, "tmp_path": tmp_path / service})


def test_the_harness_fails_a_kiosk_that_lets_a_service_error_out(db, door_ready):
    """The guard is real: a service awaited outside ``Services.run`` is refused, so it cannot crash silently."""
    app = KioskApp(db, KIOSK, scene="42")

    async def outside() -> None:
        await app.services.db(scenes.list_scenes)

    import asyncio

    with pytest.raises(RuntimeError, match=r"only inside Services\.run"):
        asyncio.run(outside())
