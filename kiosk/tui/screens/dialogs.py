"""Dialogs at the door: type a code, find a person (forgotten badge, not on the list), lift, roll-call."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from kiosk.services import door, lift
from kiosk.services.lookup import Inside
from kiosk.tui.pickers import PersonPicker
from kiosk.tui.widgets import Table, local_time

if TYPE_CHECKING:
    from kiosk.tui.app import KioskApp

ROLL_CALL_REFRESH = 3


class TypeCodeScreen(ModalScreen[str | None]):
    """A code typed by hand from the badge text (spaces between the groups are fine)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Type the code printed on the badge", classes="title")
            yield Input(placeholder="e.g. PG7JGE EBHH1L UF5CEJ, then Enter", id="code")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)


class FindPersonScreen(ModalScreen[door.Verdict | None]):
    """Find someone by name; then admit a forgotten badge with a reason, or escalate someone not listed.

    An escalation admits them for this scene only, recording the IC's and the AD's names as a temporary
    approval; a lookup admits only people already approved for this scene and zone.
    """

    app: KioskApp
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, escalate: bool) -> None:
        super().__init__()
        self.escalate = escalate
        self.person: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            if self.escalate:
                yield Label("Not on the list: approve for this scene only (IC and AD)", classes="title")
            else:
                yield Label("Forgotten badge: find the person", classes="title")
            yield PersonPicker()
            if self.escalate:
                yield Input(placeholder="Intimacy coordinator's name", id="ic")
                yield Input(placeholder="AD's name", id="ad")
            else:
                yield Input(placeholder="Why without a badge? (e.g. badge left in the trailer)", id="why")
            yield Static(id="message", classes="message", markup=False)

    def say(self, words: str) -> None:
        self.query_one("#message", Static).update(words)

    def on_person_picker_chosen(self, event: PersonPicker.Chosen) -> None:
        self.person = event.ref
        self.query_one("#ic" if self.escalate else "#why", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "ic":
            self.query_one("#ad", Input).focus()
        elif self.person is None:
            self.say("Choose the person from the list first (arrows, then Enter).")
        else:
            self.app.services.run(self, self._admit(self.person), say=self.say, exclusive=True)

    async def _admit(self, person: str) -> None:
        services, scene, zone, kiosk = self.app.services, self.app.scene_ref, self.app.zone, self.app.kiosk_id
        if self.escalate:
            verdict = await services.db(door.escalate, scene, person, zone, kiosk=kiosk,
                                        coordinator=self.query_one("#ic", Input).value,
                                        ad=self.query_one("#ad", Input).value)
        else:
            verdict = await services.db(door.admit_by_lookup, scene, person, zone,
                                        self.query_one("#why", Input).value, kiosk=kiosk)
        self.dismiss(verdict)


def _inside_table(table: Table, rows: list[Inside], with_scene: bool) -> None:
    table.clear()
    for row in rows:
        table.add_row(*([row.scene] if with_scene else []), row.name, row.department, row.zone, local_time(row.since))


class LiftScreen(ModalScreen[None]):
    """Lift the closed set: shows who is still inside, marks them out, then what is left to do."""

    app: KioskApp
    BINDINGS = [Binding("enter", "lift", "Lift now"), Binding("escape", "dismiss(None)", "Back")]

    def __init__(self, scene: str) -> None:
        super().__init__()
        self.scene = scene
        self.lifted = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(f"Lift the closed set of scene {self.scene}?", classes="title", id="heading", markup=False)
            yield Static(id="message", markup=False)
            people = Table(id="people", cursor_type="none")
            people.can_focus = False  # Enter is the lift key here, not the table's
            yield people
            yield Static("Enter: lift now and mark everyone out    Escape: back to the door", id="keys")

    def on_mount(self) -> None:
        self.query_one(Table).add_columns("Name", "Department", "Zone", "In since")
        self.app.services.run(self, self._show_inside())

    async def _show_inside(self) -> None:
        inside = await self.app.services.db(door.inside, self.scene)
        _inside_table(self.query_one(Table), inside, with_scene=False)
        self.query_one("#message", Static).update(
            f"{len(inside)} still inside will be marked out:" if inside else "Nobody is inside.")

    def action_lift(self) -> None:
        if self.lifted:
            self.dismiss(None)
        else:
            self.app.services.run(self, self._lift(), exclusive=True)

    async def _lift(self) -> None:
        done = await self.app.services.db(lift.lift, self.scene, kiosk=self.app.kiosk_id)
        self.lifted = True
        self.query_one("#heading", Label).update(f"Closed set lifted: scene {self.scene}")
        _inside_table(self.query_one(Table), done.swept, with_scene=False)
        self.query_one("#message", Static).update(
            (f"Marked out ({len(done.swept)}):" if done.swept else "Nobody was inside.")
            + f"\nCheck-ins pending: {len(done.pending)} - the IC opens them with F9 (IC mode)"
            + (f": {', '.join(done.pending)}" if done.pending else "."))
        self.query_one("#keys", Static).update("Enter or Escape: back to the door")


class RollCallScreen(ModalScreen[None]):
    """Evacuation roll-call: everyone inside any closed set in force now, with zone and time in."""

    app: KioskApp
    BINDINGS = [Binding("escape,i,I", "dismiss(None)", "Back to the door"), Binding("p,P", "print", "Print to PDF")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Roll-call: inside now", classes="title", id="count")
            yield Table(id="people", cursor_type="none", zebra_stripes=True)
            yield Static("P: print to PDF    Escape: back to the door", id="keys", markup=False)

    def on_mount(self) -> None:
        self.query_one(Table).add_columns("Scene", "Name", "Department", "Zone", "In since")
        self.refresh_list()
        self.set_interval(ROLL_CALL_REFRESH, self.refresh_list)

    def refresh_list(self) -> None:
        self.app.services.run(self, self._refresh(), group="rollcall", exclusive=True)

    async def _refresh(self) -> None:
        inside = await self.app.services.db(door.inside)
        _inside_table(self.query_one(Table), inside, with_scene=True)
        self.query_one("#count", Label).update(f"Roll-call: {len(inside)} inside now (all scenes in force)")

    def action_print(self) -> None:
        self.app.services.run(self, self._print(), group="print", exclusive=True)

    async def _print(self) -> None:
        """One key: the roll-call as a PDF beside the database, named by the time it was taken."""
        from kiosk.reports import render_rollcall
        from kiosk.services.reports import rollcall

        path = self.app.store.path.parent / f"rollcall-{datetime.now():%Y%m%d-%H%M%S}.pdf"
        written = await self.app.services.draw(render_rollcall, await self.app.services.db(rollcall), path)
        self.query_one("#keys", Static).update(f"Printed to {written}    Escape: back to the door")
        self.notify(f"Roll-call PDF: {written}")
