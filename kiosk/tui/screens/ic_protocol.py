"""IC mode: who the performers know will be there (T from the IC's list).

One row for each performer of the scene - acknowledged the approved list, or not yet - and one for each person
on the list whom the performers have not all been told of (added after they saw it).  Enter on a performer
who has not seen the list shows it and records, for them, that they have; Enter on someone not yet told
records that the IC told the performers and they agreed; O on them records that a performer objects: they
come off the list and, if inside, are marked out.  Each is asked first, and each is a fact in the log, recorded
by the IC who unlocked IC mode.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Label, Static

from kiosk.services import agreed_list, door_view
from kiosk.services.ic_session import ICSession
from kiosk.tui.screens.confirm import Confirm
from kiosk.tui.screens.form import ListScreen
from kiosk.tui.widgets import Col, Table, local_time

PERFORMER, UNSEEN = "performer", "not told"


@dataclass(frozen=True)
class Entry:
    """One row: a performer and their acknowledgement, or someone the performers are not yet told of."""

    kind: str  # PERFORMER or UNSEEN
    ref: str
    name: str
    state: str  # what the row says of them
    done: bool = False  # a performer who has acknowledged the list as it stands


def entries(view: door_view.ChecklistView) -> list[Entry]:
    rows = [
        Entry(
            PERFORMER,
            ack.ref,
            ack.name,
            (f"saw the list {local_time(ack.at)}" + (f", recorded by {ack.by} for them" if ack.for_them else ""))
            if ack.at
            else "has not seen the approved list",
            done=ack.at is not None,
        )
        for ack in view.agreed.performers
    ]
    rows += [
        Entry(
            UNSEEN,
            unseen.ref,
            unseen.name,
            f"not yet told: {', '.join(unseen.zones)}, approved by {unseen.approved_by}",
        )
        for unseen in view.agreed.not_told
    ]
    return rows


def heading(scene: str, agreed: agreed_list.AgreedList) -> str:
    """What is still to do, or that nothing is: performers who have not seen the approved list at all, and people
    added after a performer saw it (not yet told).  A scene none of whose performers saw the list is not done."""
    unseen = sum(ack.at is None for ack in agreed.performers)
    if not agreed.performers:
        return f"Scene {scene}: no performers named for this scene"
    waiting = [f"performers who have not seen the list: {unseen}"] if unseen else []
    waiting += [f"performers not yet told: {len(agreed.not_told)}"] if agreed.not_told else []
    return f"Scene {scene}: " + ("; ".join(waiting) if waiting else "the performers know everyone on the list")


class AgreedListScreen(ListScreen[Entry]):
    """The performers' acknowledgements and who they are not yet told of, for one scene; Escape goes back."""

    CONFIDENTIAL = True  # part of IC mode: it closes with it when a badge is scanned
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("enter", "record", "Record"),
        Binding("o,O", "object", "A performer objects"),
    ]
    COLUMNS = (Col("", width=9), Col("Name", share=1, least=10), Col("", share=2, least=12))

    def __init__(self, session: ICSession, scene: str) -> None:
        super().__init__()
        self.session, self.scene = session, scene
        self.view: door_view.ChecklistView | None = None
        self.changed = False

    def compose(self) -> ComposeResult:
        yield Label(
            f"Scene {self.scene}: who the performers know will be there", classes="title", id="heading", markup=False
        )
        yield Table(id="rows", cursor_type="row", zebra_stripes=True)
        yield Static(id="message", classes="message", markup=False)
        yield Static("Enter: record it    O: a performer objects to them    Escape: back", id="keys", markup=False)
        yield Footer()

    def say(self, words: str) -> None:
        self.query_one("#message", Static).update(words)

    async def fetch(self) -> list[Entry]:
        self.view = await self.app.services.db(door_view.checklist_view, self.scene)
        return entries(self.view)

    def key(self, row: Entry) -> str:
        return f"{row.kind}:{row.ref}"

    def cells(self, row: Entry) -> tuple[str, ...]:
        return "Performer" if row.kind == PERFORMER else "Added", row.name, row.state

    def shown(self) -> None:
        if self.view is None:
            return
        self.query_one("#heading", Label).update(heading(self.scene, self.view.agreed))

    def on_data_table_row_selected(self, event: Table.RowSelected) -> None:
        self.action_record()

    def action_record(self) -> None:
        row = self.current()
        if row is None or self.view is None:
            return
        if row.kind == PERFORMER:
            if row.done:
                self.say(f"{row.name} has seen the list as it stands; anyone added later shows here to be told.")
                return
            people = ", ".join(self.view.approved) or "nobody yet"
            question = Confirm(
                f"{row.name}: you have seen who will be there?",
                f"The approved list of scene {self.scene} now: {people}. Anyone added later is "
                "flagged until the IC has told you and you agreed.",
                yes="recorded by the IC, for them",
            )
            self.app.push_screen(question, lambda yes: self._then(yes, agreed_list.acknowledge_in_ic_mode, row))
        else:
            question = Confirm(
                f"The performers were told {row.name} will be there, and agreed?",
                f"{row.name}: {row.state}. Recorded as told by you, the IC.",
                yes="yes, they agreed",
            )
            self.app.push_screen(question, lambda yes: self._then(yes, agreed_list.told_in_ic_mode, row))

    def action_object(self) -> None:
        row = self.current()
        if row is None:
            return
        if row.kind == PERFORMER:
            self.say("O is for someone added to the list: a performer of the scene stays on it.")
            return
        question = Confirm(
            f"A performer objects to {row.name} being there?",
            f"{row.name} comes off the approved list of scene {self.scene} and, if inside, is marked "
            "out. No reason is asked, and who objected is not recorded.",
            yes="take them off the list",
        )
        self.app.push_screen(question, lambda yes: self._then(yes, agreed_list.object_in_ic_mode, row))

    def _then(self, yes: bool | None, service: Callable[..., Any], row: Entry) -> None:
        if yes:
            self.app.services.run(self, self._record, service, row, say=self.say)

    async def _record(self, service: Callable[..., Any], row: Entry) -> None:
        result = await self.app.services.ic(service, self.session, self.scene, row.ref)
        self.changed = True
        if service is agreed_list.object_in_ic_mode:
            self.say(
                f"Recorded: {row.name} is off the approved list."
                + (f" Marked out of: {', '.join(result)}." if result else "")
            )
            if result:  # for the AD, at the door once IC mode is left: the record has them out, they are not yet
                self.app.notify(
                    f"{row.name} must leave now: off the approved list of scene {self.scene} (a performer "
                    f"objected), marked out of the {' and '.join(result)}.",
                    title="Must leave the set",
                    severity="warning",
                    timeout=120,
                )
        elif service is agreed_list.told_in_ic_mode:
            self.say(f"Recorded: the performers were told of {row.name} and agreed.")
        else:
            self.say(f"Recorded: {row.name} has seen the approved list.")
        self.load()

    def action_close(self) -> None:
        self.dismiss(self.changed)
