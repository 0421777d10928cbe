"""The supervisor menu (behind the PIN): leave the kiosk, choose the scene, setup, reports.

The PIN opens the menu for one action: choosing one closes the menu, and when that action is done the kiosk
is back at the door - the next action asks for the PIN again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from kiosk.core.door import SceneState
from kiosk.services import door, readiness, scenes
from kiosk.tui.calls import Refused
from kiosk.tui.screens.form import Form, ListScreen
from kiosk.tui.widgets import Col, Table

if TYPE_CHECKING:
    from kiosk.tui.app import KioskApp


class SupervisorMenu(ModalScreen[None]):
    app: KioskApp
    GUARDED = True
    BINDINGS = [Binding("escape", "dismiss(None)", "Back to the door")]
    CHOICES = (
        ("scene", "Choose the scene at this door"),
        ("people", "Setup: people"),
        ("scenes", "Setup: scenes and approved lists"),
        ("badges", "Setup: badges"),
        ("reports", "Reports: a scene or a day, export"),
        ("door", "Back to the door"),
        ("exit", "Exit the kiosk"),
    )

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Supervisor", classes="title")
            yield OptionList(*(Option(words, id=key) for key, words in self.CHOICES), id="choices")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        from kiosk.tui.screens import badges, people, reports
        from kiosk.tui.screens import scenes as scene_screens

        choice = event.option.id
        if choice == "exit":
            self.app.services.run(self, self._exit, exclusive=True)
        elif choice == "door":
            self.dismiss(None)
        elif choice == "scene":
            self.app.push_screen(ChooseSceneScreen(), self._scene_chosen)
        else:
            self.dismiss(None)
            screens: dict[str, type[Screen[Any]]] = {
                "people": people.PeopleScreen,
                "scenes": scene_screens.ScenesScreen,
                "badges": badges.BadgesScreen,
                "reports": reports.ReportsScreen,
            }
            self.app.push_screen(screens[str(choice)]())

    def _scene_chosen(self, ref: str | None) -> None:
        if ref:
            self.app.scene_ref = ref
        self.dismiss(None)

    async def _exit(self) -> None:
        """Leaving stops the door: say who is still inside before the supervisor confirms."""
        from kiosk.tui.screens.confirm import Confirm

        try:
            inside = await self.app.services.read(door.inside)
        except Refused:  # the database is gone or damaged (told already): leaving, to start again, is still possible
            inside = None
        if inside is None:
            who = "Who is inside cannot be read from the database now."
        elif inside:
            who = "; ".join(f"{row.name} ({row.zone}, scene {row.scene})" for row in inside[:8])
            who = f"Still inside ({len(inside)}): {who}{'; ...' if len(inside) > 8 else ''}"
        else:
            who = "Nobody is inside any closed set."
        self.app.push_screen(
            Confirm(
                "Leave the kiosk?",
                f"{who}\nUntil it is started again this door answers no scans and records nothing.",
                yes="exit the kiosk",
            ),
            self._leave,
        )

    def _leave(self, leave: bool | None) -> None:
        if leave:
            self.app.exit()
        else:
            self.dismiss(None)


class ChooseSceneScreen(ListScreen[scenes.SceneSummary]):
    """Pick the scene this door guards (Enter); O puts the highlighted scene's closed set in force."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Back"), Binding("o,O", "open_scene", "Open closed set")]
    COLUMNS = (Col("Ref", width=6), Col("State", width=8), Col("Title", share=3), Col("Approved", width=8))

    def compose(self) -> ComposeResult:
        yield Label(
            "Choose the scene at this door (Enter); O puts its closed set in force", classes="title", id="heading"
        )
        yield Table(id="rows", cursor_type="row", zebra_stripes=True)
        yield Footer()

    async def fetch(self) -> list[scenes.SceneSummary]:
        return await self.app.services.db(scenes.list_scenes)

    def key(self, row: scenes.SceneSummary) -> str:
        return row.ref

    def cells(self, row: scenes.SceneSummary) -> tuple[str, ...]:
        return row.ref, row.state.upper(), row.title, str(row.approved)

    def shown(self) -> None:
        if not self.rows:
            self.query_one("#heading", Label).update("No scenes yet: add one in Setup: scenes.")

    def on_data_table_row_selected(self, event: Table.RowSelected) -> None:
        self.dismiss(event.row_key.value)

    def action_open_scene(self) -> None:
        """Open the highlighted scene; with the production's checklist gate on and items still open, the
        supervisor may open it anyway, with a reason and the PIN (the report prints both)."""
        row = self.current()
        if row is None:
            return

        async def open_scene() -> None:
            if row.state == SceneState.DRAFT and await self.app.services.db(readiness.required):
                shown = await self.app.services.db(readiness.checklist, row.ref)
                if shown.outstanding:
                    words = readiness.outstanding_words(shown.outstanding)
                    self.app.push_screen(OpenAnywayForm(row.ref, words), lambda _: self.load())
                    return
            await self.app.services.db(scenes.set_state, row.ref, SceneState.OPEN, kiosk=self.app.kiosk_id)
            self.load()

        self.app.services.run(self, open_scene)


class OpenAnywayForm(Form):
    """A scene whose checklist is not met, opened anyway: the reason (the report prints it) and the PIN."""

    SUBMIT_FROM = "pin"
    REFUSED = "Not opened: "

    def __init__(self, scene: str, outstanding: str) -> None:
        super().__init__()
        self.scene, self.outstanding = scene, outstanding

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(f"Scene {self.scene} is not ready to open", classes="title", markup=False)
            yield Static(f"Still open: {self.outstanding}.", id="outstanding", markup=False)
            yield Static(
                "Open it anyway only for a reason the performers and the IC agreed to; the report prints "
                "it, and what was outstanding. Escape: back, not opened.",
                markup=False,
            )
            yield Input(placeholder="Why it opens now (printed in the report)", id="reason")
            yield Input(placeholder="Supervisor PIN", password=True, id="pin")
            yield Static(id="message", classes="message", markup=False)

    async def save(self) -> None:
        pin = self.query_one("#pin", Input)
        reason, typed = self.value("#reason"), pin.value
        pin.value = ""  # asked again after a refusal, never left on the screen
        await self.app.services.db(scenes.open_scene, self.scene, self.app.kiosk_id, override=reason, pin=typed)
        self.dismiss(True)
