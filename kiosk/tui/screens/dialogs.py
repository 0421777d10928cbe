"""Dialogs at the door: type a code, find a person (no badge, not on the list), choose from a short list,
lift, roll-call."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from kiosk.core import codes
from kiosk.services import door, lift, scene_ic
from kiosk.services.lookup import Inside
from kiosk.tui.pickers import PersonPicker
from kiosk.tui.widgets import Col, Table, local_time

if TYPE_CHECKING:
    from kiosk.tui.app import KioskApp

ROLL_CALL_REFRESH = 3
LIFT_REFRESH = 1  # the lift's list of who is inside is read again this often while it waits for Enter
PROBLEM_WORDS = {
    "bad_check": "That code does not check: one character is wrong or two are swapped. Look again and fix it.",
    "malformed": f"A badge code is {codes.LENGTH} letters and digits (the spaces or hyphens between groups do "
    "not matter). Look again and fix it.",
}


class TypeCodeScreen(ModalScreen[str | None]):
    """A code typed by hand from the badge text (spaces or hyphens between the groups are fine).

    A typo is caught here, before anything is recorded: the check symbol finds any one wrong character and any
    swap of neighbours, so the AD fixes the code instead of getting a DENY for it.
    """

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Type the code printed on the badge", classes="title")
            yield Input(placeholder="e.g. PG7JGE EBHH1L UF5CEJ, then Enter", id="code")
            yield Static(id="message", classes="message", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        parsed = codes.parse(event.value)
        if parsed.code is None:
            self.query_one("#message", Static).update(PROBLEM_WORDS[parsed.problem or "malformed"])
            return
        self.dismiss(event.value)


class FindPersonScreen(ModalScreen[door.Verdict | None]):
    """Find someone by name instead of a badge.

    No badge with them (L): the door rule decides as it would for their badge - admitted if approved, marked
    out if inside - with the AD's reason on record.  Not on the list (E): the person, then the IC and the AD
    who approve, each chosen from the production's people (the IC from the scene's IC and the other ICs); the
    person is let in for this scene only, as a temporary approval.
    """

    app: KioskApp
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]
    STEPS = ("person", "IC", "AD")  # what an escalation chooses, in order

    def __init__(self, escalate: bool) -> None:
        super().__init__()
        self.escalate = escalate
        self.person: str | None = None
        self.chosen: dict[str, tuple[str, str]] = {}  # step -> (ref, name)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            if self.escalate:
                yield Label(
                    "Not on the list: let in for this scene only, approved by the IC and the AD", classes="title"
                )
                yield Static(self._steps(), id="steps", markup=False)
                yield PersonPicker("Who is it? Name, ref or department")
            else:
                yield Label("No badge: find the person (admitted if approved, marked out if inside)", classes="title")
                yield PersonPicker()
                yield Input(placeholder="Why no badge? (e.g. left in the trailer), then Enter", id="why")
            yield Static(id="message", classes="message", markup=False)

    def _steps(self) -> str:
        return "   ".join(f"{step}: {self.chosen[step][1] if step in self.chosen else '-'}" for step in self.STEPS)

    def say(self, words: str) -> None:
        self.query_one("#message", Static).update(words)

    def on_person_picker_chosen(self, event: PersonPicker.Chosen) -> None:
        if not self.escalate:
            self.person = event.ref
            self.query_one("#why", Input).focus()
            return
        step = self.STEPS[len(self.chosen)]
        self.chosen[step] = (event.ref, event.picker.chosen[event.ref])
        self.query_one("#steps", Static).update(self._steps())
        picker = event.picker
        if step == "person":
            picker.restart(
                "The IC who approves (the scene's IC first)",
                scene_ic.coordinators,
                (self.app.scene_ref,),
                list_all=True,
            )
        elif step == "IC":
            picker.restart("The AD who approves: name, ref or department")
        else:
            self.app.services.run(self, self._escalate, say=self._refused, exclusive=True)

    def _refused(self, words: str) -> None:
        """An escalation the service refused: say why, and choose the IC and the AD again."""
        self.say(words)
        del self.chosen["AD"], self.chosen["IC"]
        self.query_one("#steps", Static).update(self._steps())
        self.query_one(PersonPicker).restart(
            "The IC who approves (the scene's IC first)", scene_ic.coordinators, (self.app.scene_ref,), list_all=True
        )

    async def _escalate(self) -> None:
        (person, _), (coordinator, _), (ad, _) = (self.chosen[step] for step in self.STEPS)
        self.dismiss(
            await self.app.services.db(
                door.escalate,
                self.app.scene_ref,
                person,
                self.app.zone,
                kiosk=self.app.kiosk_id,
                coordinator=coordinator,
                ad=ad,
            )
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.person is None:
            self.say("Choose the person first: type part of the name, then Enter on them.")
        else:
            self.app.services.run(self, self._by_name, self.person, event.value, say=self.say, exclusive=True)

    async def _by_name(self, person: str, why: str) -> None:
        self.dismiss(
            await self.app.services.db(
                door.admit_by_lookup, self.app.scene_ref, person, self.app.zone, why, kiosk=self.app.kiosk_id
            )
        )


class ChooseFromList(ModalScreen[str | None]):
    """One of a few choices, by arrows and Enter; dismisses with its key (None on Escape)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, title: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.heading, self.choices = title, choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.heading, classes="title", markup=False)
            yield OptionList(*(Option(words, id=key) for key, words in self.choices), id="choices", markup=False)
            yield Static("Enter: this one    Escape: back")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(str(event.option.id))


def inside_table(table: Table, rows: list[Inside]) -> None:
    table.clear()
    for row in rows:
        table.add_row(row.scene, row.name, row.department, row.zone, local_time(row.since))


INSIDE_COLUMNS = (
    Col("Scene", width=5),
    Col("Name", share=3),
    Col("Department", share=2),
    Col("Zone", width=8),
    Col("In since", width=8),
)


class LiftScreen(ModalScreen[bool]):
    """Lift the closed set: shows who is still inside - read again every second while it waits, so the count
    is never stale - then marks them out, and says what is left to do.  Dismisses with whether it lifted."""

    app: KioskApp
    BINDINGS = [Binding("enter", "lift", "Lift now"), Binding("escape", "back", "Back")]

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
        self.query_one(Table).set_columns(*INSIDE_COLUMNS)
        self.show_inside()
        self.set_interval(LIFT_REFRESH, self.show_inside)
        self.watch(self.app, "answer", lambda _: self.show_inside(), init=False)

    def show_inside(self) -> None:
        if not self.lifted:
            self.app.services.run(self, self._show_inside, group="inside", exclusive=True)

    async def _show_inside(self) -> None:
        inside = await self.app.services.read(door.inside, self.scene)
        if self.lifted:
            return
        inside_table(self.query_one(Table), inside)
        self.query_one("#message", Static).update(
            f"{len(inside)} still inside now - they will be marked out:" if inside else "Nobody is inside now."
        )

    def action_lift(self) -> None:
        if self.lifted:
            self.dismiss(True)
        else:
            self.app.services.run(self, self._lift, exclusive=True)

    def action_back(self) -> None:
        self.dismiss(self.lifted)

    async def _lift(self) -> None:
        done = await self.app.services.db(lift.lift, self.scene, kiosk=self.app.kiosk_id)
        self.lifted = True
        self.query_one("#heading", Label).update(f"Closed set lifted: scene {self.scene}")
        inside_table(self.query_one(Table), done.swept)
        self.query_one("#message", Static).update(
            (f"Marked out ({len(done.swept)}):" if done.swept else "Nobody was inside.")
            + f"\nCheck-ins pending: {len(done.pending)} - the IC opens them with F9 (IC mode)"
            + (f": {', '.join(done.pending)}" if done.pending else ".")
            + (
                f"\nCheck-ins offered to {len(done.offered)} who were inside (theirs to take up): "
                + ", ".join(done.offered)
                if done.offered
                else ""
            )
        )
        self.query_one("#keys", Static).update("Enter or Escape: back to the door")


class RollCallScreen(ModalScreen[None]):
    """Evacuation roll-call: everyone inside any closed set in force now, with zone and time in."""

    app: KioskApp
    BINDINGS = [Binding("escape,i,I", "dismiss(None)", "Back to the door"), Binding("p,P", "print", "Save as PDF")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Roll-call: inside now", classes="title", id="count")
            yield Table(id="people", cursor_type="none", zebra_stripes=True)
            yield Static("P: save as a PDF to print    Escape: back to the door", id="keys", markup=False)

    def on_mount(self) -> None:
        self.query_one(Table).set_columns(*INSIDE_COLUMNS)
        self.refresh_list()
        self.set_interval(ROLL_CALL_REFRESH, self.refresh_list)

    def refresh_list(self) -> None:
        self.app.services.run(self, self._refresh, group="rollcall", exclusive=True)

    async def _refresh(self) -> None:
        inside = await self.app.services.read(door.inside)
        inside_table(self.query_one(Table), inside)
        self.query_one("#count", Label).update(f"Roll-call: {len(inside)} inside now (all scenes in force)")

    def action_print(self) -> None:
        self.app.services.run(self, self._print, group="print", exclusive=True)

    async def _print(self) -> None:
        """One key: the roll-call as a PDF beside the database, named by the time it was taken."""
        from kiosk.reports import render_rollcall
        from kiosk.services.reports import rollcall

        path = self.app.store.path.parent / f"rollcall-{datetime.now():%Y%m%d-%H%M%S}.pdf"
        written = await self.app.services.draw(render_rollcall, await self.app.services.read(rollcall), path)
        self.query_one("#keys", Static).update(f"Saved (not printed yet): {written}    Escape: back to the door")
        self.notify(f"Roll-call PDF: {written}")
