"""The set's checklist at the door (K): every item, met or not and by whom; confirm one that is ready, or record
that a performer has seen the approved list (shown to them first, name by name).  The IC's own badge, scanned
at the door, is what confirms the IC is here: no key does that."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from kiosk.services import agreed_list, door_view, readiness
from kiosk.tui.widgets import local_time

if TYPE_CHECKING:
    from kiosk.tui.app import KioskApp


def checklist_lines(view: door_view.ChecklistView) -> str:
    lines = []
    for state in view.checklist.readiness.items:
        mark = "[x]" if state.met else "[ ]"
        who = f", {local_time(state.done.at)}" if state.done else ""
        optional = "" if state.item.required else " (optional)"
        lines.append(f"{mark} {state.item.words}{optional}: {state.detail}{who}")
        lines += [f"    WARNING: {warning}" for warning in state.warnings]
    if view.agreed.not_told:
        lines.append(
            f"Performers not yet told: {len(view.agreed.not_told)} - "
            + ", ".join(unseen.name for unseen in view.agreed.not_told)
            + " (the IC records it)"
        )
    return "\n".join(lines)


class ChecklistScreen(ModalScreen[None]):
    """Scene ``scene``'s checklist; Enter on a choice records it, Escape goes back to the door."""

    app: KioskApp
    BINDINGS = [Binding("escape", "dismiss(None)", "Back")]

    def __init__(self, scene: str) -> None:
        super().__init__()
        self.scene = scene
        self.view: door_view.ChecklistView | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(f"Scene {self.scene}: ready before it opens?", classes="title", id="heading", markup=False)
            yield Static(id="items", markup=False)
            yield OptionList(id="choices", markup=False)
            yield Static("Enter: record this one    Escape: back to the door", id="keys")

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.app.services.run(self, self._load, group="checklist", exclusive=True)

    async def _load(self) -> None:
        view = await self.app.services.db(door_view.checklist_view, self.scene)
        self.view = view
        outstanding = len(view.checklist.outstanding)
        self.query_one("#heading", Label).update(
            f"Scene {self.scene}: " + ("ready to open" if not outstanding else f"{outstanding} item(s) still open")
        )
        self.query_one("#items", Static).update(checklist_lines(view))
        choices = self.query_one("#choices", OptionList)
        choices.clear_options()
        choices.add_options(
            [
                Option(f"Confirm: {state.item.words}", id=f"item:{state.item.id}")
                for state in view.checklist.readiness.items
                if not state.met and not state.item.automatic
            ]
        )
        choices.add_options(
            [
                Option(f"{ack.name} has seen the approved list", id=f"ack:{ack.ref}")
                for ack in view.agreed.performers
                if ack.at is None
            ]
        )
        choices.display = bool(choices.option_count)
        if choices.option_count:
            choices.highlighted = 0
            choices.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        kind, _, key = str(event.option.id).partition(":")
        if kind == "item":
            self.app.services.run(self, self._confirm, key)
        elif kind == "ack" and self.view is not None:
            self._show_list(key)

    async def _confirm(self, item: str) -> None:
        await self.app.services.db(readiness.confirm, self.scene, item, f"AD at {self.app.kiosk_id}", self.app.kiosk_id)
        self.reload()

    def _show_list(self, performer: str) -> None:
        from kiosk.tui.screens.confirm import Confirm

        assert self.view is not None
        name = next(ack.name for ack in self.view.agreed.performers if ack.ref == performer)
        people = ", ".join(self.view.approved) or "nobody yet"
        self.app.push_screen(
            Confirm(
                f"{name}: you have seen who will be there?",
                f"The approved list of scene {self.scene} now: {people}. Anyone added later is flagged until "
                "the IC has told you and you agreed.",
                yes="recorded at the door, for them",
            ),
            lambda yes: self._acknowledged(yes, performer),
        )

    def _acknowledged(self, yes: bool | None, performer: str) -> None:
        if yes:
            self.app.services.run(self, self._acknowledge, performer)

    async def _acknowledge(self, performer: str) -> None:
        await self.app.services.db(
            agreed_list.acknowledge, self.scene, performer, f"AD at {self.app.kiosk_id}", self.app.kiosk_id
        )
        self.reload()
