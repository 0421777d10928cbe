"""Dialogs at the door: type a code, find a person (forgotten badge, not on the list), lift, roll-call."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, Static

from kiosk.services import checkins, door, scenes
from kiosk.tui.app import KioskApp, Refused
from kiosk.tui.pickers import PersonPicker
from kiosk.tui.widgets import local_time

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
            yield Static(id="message", classes="message")

    def on_person_picker_chosen(self, event: PersonPicker.Chosen) -> None:
        self.person = event.ref
        self.query_one("#ic" if self.escalate else "#why", Input).focus()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "ic":
            self.query_one("#ad", Input).focus()
        else:
            await self.submit()

    async def submit(self) -> None:
        message = self.query_one("#message", Static)
        if self.person is None:
            message.update("Choose the person from the list first (arrows, then Enter).")
            return
        try:
            if self.escalate:
                verdict = await self.app.door_call(door.escalate, self.person, self.app.zone,
                                                   coordinator=self.query_one("#ic", Input).value,
                                                   ad=self.query_one("#ad", Input).value)
            else:
                verdict = await self.app.door_call(door.admit_by_lookup, self.person, self.app.zone,
                                                   self.query_one("#why", Input).value)
        except Refused as refused:
            message.update(str(refused))
            return
        self.dismiss(verdict)


def _inside_table(table: DataTable, rows: list[dict], with_scene: bool) -> None:
    table.clear()
    for row in rows:
        table.add_row(*([row["scene"]] if with_scene else []), row["name"], row["department"], row["zone"],
                      local_time(row["since"]))


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
            yield Label(f"Lift the closed set of scene {self.scene}?", classes="title", id="heading")
            yield Static(id="message")
            people = DataTable(id="people", cursor_type="none")
            people.can_focus = False  # Enter is the lift key here, not the table's
            yield people
            yield Static("Enter: lift now and mark everyone out    Escape: back to the door", id="keys")

    async def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("Name", "Department", "Zone", "In since")
        try:
            inside = await self.app.call(door.inside, self.scene)
        except Refused:
            return
        _inside_table(self.query_one(DataTable), inside, with_scene=False)
        self.query_one("#message", Static).update(
            f"{len(inside)} still inside will be marked out:" if inside else "Nobody is inside.")

    async def action_lift(self) -> None:
        if self.lifted:
            self.dismiss(None)
            return
        try:
            swept = await self.app.door_call(scenes.lift)
        except Refused:
            return
        self.lifted = True
        self.query_one("#heading", Label).update(f"Closed set lifted: scene {self.scene}")
        _inside_table(self.query_one(DataTable), swept, with_scene=False)
        pending = [row["name"] for row in await self.app.call(checkins.overview, self.scene)
                   if row["state"] == "pending"]
        self.query_one("#message", Static).update(
            (f"Marked out ({len(swept)}):" if swept else "Nobody was inside.")
            + f"\nCheck-ins pending: {len(pending)} - the IC opens them with F9 (IC mode)"
            + (f": {', '.join(pending)}" if pending else "."))
        self.query_one("#keys", Static).update("Enter or Escape: back to the door")


class RollCallScreen(ModalScreen[None]):
    """Evacuation roll-call: everyone inside any closed set in force now, with zone and time in."""

    app: KioskApp
    BINDINGS = [Binding("escape,i,I", "dismiss(None)", "Back to the door"), Binding("p,P", "print", "Print to PDF")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Roll-call: inside now", classes="title", id="count")
            yield DataTable(id="people", cursor_type="none", zebra_stripes=True)
            yield Static("P: print to PDF    Escape: back to the door", id="keys")

    async def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("Scene", "Name", "Department", "Zone", "In since")
        await self.refresh_list()
        self.set_interval(ROLL_CALL_REFRESH, self.refresh_list)

    async def refresh_list(self) -> None:
        try:
            inside = await self.app.call(door.inside)
        except Refused:
            return
        _inside_table(self.query_one(DataTable), inside, with_scene=True)
        self.query_one("#count", Label).update(f"Roll-call: {len(inside)} inside now (all scenes in force)")

    async def action_print(self) -> None:
        """One key: the roll-call as a PDF beside the database, named by the time it was taken."""
        from datetime import datetime

        from kiosk.reports import render_rollcall
        from kiosk.services.reports import rollcall

        path = self.app.gateway.db.path.parent / f"rollcall-{datetime.now():%Y%m%d-%H%M%S}.pdf"
        try:
            written = await self.app.attempt(render_rollcall, await self.app.call(rollcall), path)
        except Refused:
            return
        self.query_one("#keys", Static).update(f"Printed to {written}    Escape: back to the door")
        self.notify(f"Roll-call PDF: {written}")
