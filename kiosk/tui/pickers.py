"""Choosing people by name: a search box and the matches, for the door's lookups and the setup screens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from kiosk.services import roster

if TYPE_CHECKING:
    from kiosk.tui.app import KioskApp


class PersonPicker(Vertical):
    """Type part of a name, ref or department; Enter goes to the matches; Enter on a match chooses it.

    With ``multiple`` each Enter on a match adds that person or, chosen already, takes them off again.  Who
    is chosen shows under the matches; every choice posts ``PersonPicker.Chosen``.
    """

    app: KioskApp

    class Chosen(Message):
        def __init__(self, picker: PersonPicker, ref: str) -> None:
            super().__init__()
            self.picker, self.ref = picker, ref

        @property
        def control(self) -> PersonPicker:
            return self.picker

    def __init__(self, placeholder: str = "Name, ref or department", multiple: bool = False,
                 id: str | None = None) -> None:
        super().__init__(id=id, classes="picker")
        self.placeholder = placeholder
        self.multiple = multiple
        self.chosen: dict[str, str] = {}  # ref -> name, in the order chosen
        self._found: dict[str, roster.Person] = {}  # ref -> person, of the matches shown

    def compose(self) -> ComposeResult:
        yield Input(placeholder=self.placeholder, id="search")
        matches = OptionList(id="matches", markup=False)
        matches.display = False  # until there is something to choose from
        yield matches
        yield Static("Chosen: nobody yet", id="chosen", markup=False)

    @property
    def refs(self) -> tuple[str, ...]:
        return tuple(self.chosen)

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.search(event.value)

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        matches = self.query_one("#matches", OptionList)
        if matches.option_count:
            matches.focus()

    def search(self, text: str) -> None:
        self.app.services.run(self, self._search(text), group="search", exclusive=True)

    async def _search(self, text: str) -> None:
        people = await self.app.services.db(roster.search_people, text) if text.strip() else []
        self._found = {person.ref: person for person in people}
        matches = self.query_one("#matches", OptionList)
        matches.clear_options()
        matches.add_options(Option(person.words, id=person.ref) for person in people)
        matches.display = bool(people)
        if people:
            matches.highlighted = 0

    @on(OptionList.OptionSelected, "#matches")
    def _match_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        person = self._found[str(event.option.id)]
        if not self.multiple:
            self.chosen = {person.ref: person.name}
        elif self.chosen.pop(person.ref, None) is None:
            self.chosen[person.ref] = person.name
        self.query_one("#chosen", Static).update(
            f"Chosen ({len(self.chosen)}): {', '.join(self.chosen.values()) or 'nobody yet'}" if self.multiple
            else f"Chosen: {person.words}")
        self.post_message(self.Chosen(self, person.ref))
