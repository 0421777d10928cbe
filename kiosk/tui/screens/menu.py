"""The supervisor menu (behind the PIN): leave the kiosk, choose the scene, setup."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from kiosk.core.door import SceneState
from kiosk.services import scenes
from kiosk.tui.app import KioskApp, Refused


class SupervisorMenu(ModalScreen[None]):
    app: KioskApp
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
        from kiosk.tui.screens import reports, setup

        choice = event.option.id
        if choice == "exit":
            self.app.exit()
        elif choice == "door":
            self.dismiss(None)
        elif choice == "scene":
            self.app.push_screen(ChooseSceneScreen(), self._scene_chosen)
        else:
            self.app.push_screen({"people": setup.PeopleScreen, "scenes": setup.ScenesScreen,
                                  "badges": setup.BadgesScreen, "reports": reports.ReportsScreen}[choice]())

    def _scene_chosen(self, ref: str | None) -> None:
        if ref:
            self.app.scene_ref = ref
            self.dismiss(None)


class ChooseSceneScreen(ModalScreen[str | None]):
    """Pick the scene this door guards; O opens a scene's closed set from here."""

    app: KioskApp
    BINDINGS = [Binding("escape", "dismiss(None)", "Back"), Binding("o,O", "open_scene", "Open closed set")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Choose the scene (Enter); O puts its closed set in force", classes="title")
            yield OptionList(id="scenes")
            yield Static(id="message", classes="message")

    async def on_mount(self) -> None:
        await self.load()

    async def load(self) -> None:
        rows = await self.app.call(scenes.list_scenes)
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.clear_options()
        options.add_options(Option(f"{row['ref']:>6}  {row['state'].upper():8} {row['title']}  "
                                   f"({row['approved']} approved)", id=row["ref"]) for row in rows)
        if rows:
            options.highlighted = highlighted if highlighted is not None else 0
        else:
            self.query_one("#message", Static).update("No scenes yet: add one in Setup: scenes.")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    async def action_open_scene(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        ref = options.get_option_at_index(options.highlighted).id
        try:
            await self.app.call(scenes.set_state, ref, SceneState.OPEN, kiosk=self.app.kiosk_id)
        except Refused:
            return
        await self.load()
