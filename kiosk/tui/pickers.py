"""Choosing people by name: a search box and the matches, for the door's lookups and the setup screens."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from kiosk.services import roster

if TYPE_CHECKING:
    from kiosk.tui.app import KioskApp

Search = Callable[..., list[roster.Person]]  # a service: (db, *its arguments, the text typed) -> people


class PersonPicker(Vertical):
    """Type part of a name, ref or department; the matches show as you type.  Down and Up move through them
    from the search box, Enter chooses the highlighted one (Tab reaches the list itself too).

    With ``multiple`` each Enter on a match adds that person or, chosen already, takes them off again.  Who
    is chosen (or that nobody matches) shows under the matches; every choice posts ``PersonPicker.Chosen``.
    ``search`` is the service that finds people, called with ``search_args`` and then the text typed; with
    ``list_all`` the matches show before anything is typed.
    """

    app: KioskApp
    BINDINGS = [Binding("down", "move(1)", show=False), Binding("up", "move(-1)", show=False)]

    class Chosen(Message):
        def __init__(self, picker: PersonPicker, ref: str) -> None:
            super().__init__()
            self.picker, self.ref = picker, ref

        @property
        def control(self) -> PersonPicker:
            return self.picker

    def __init__(
        self,
        placeholder: str = "Name, ref or department",
        multiple: bool = False,
        id: str | None = None,
        search: Search = roster.search_people,
        search_args: tuple = (),
        list_all: bool = False,
    ) -> None:
        super().__init__(id=id, classes="picker")
        self.placeholder = placeholder
        self.multiple = multiple
        self.finder, self.finder_args, self.list_all = search, search_args, list_all
        self.chosen: dict[str, str] = {}  # ref -> name, in the order chosen
        self._found: dict[str, roster.Person] = {}  # ref -> person, of the matches shown
        self._wanted: str | None = None  # the text to search for next, while a search is under way

    def compose(self) -> ComposeResult:
        yield Input(placeholder=self.placeholder, id="search")
        matches = OptionList(id="matches", markup=False)
        matches.display = False  # until there is something to choose from
        yield matches
        yield Static("Chosen: nobody yet", id="chosen", markup=False)

    def on_mount(self) -> None:
        if self.list_all:
            self.search("")

    @property
    def refs(self) -> tuple[str, ...]:
        return tuple(self.chosen)

    def restart(
        self, placeholder: str, search: Search = roster.search_people, search_args: tuple = (), list_all: bool = False
    ) -> None:
        """Start again for another choice (the next person of a form), with its own search."""
        self.finder, self.finder_args, self.list_all, self.chosen = search, search_args, list_all, {}
        field = self.query_one("#search", Input)
        field.placeholder = placeholder
        self._say("Chosen: nobody yet")
        if field.value:
            field.value = ""  # which searches again
        else:
            self.search("")
        field.focus()

    def _say(self, words: str) -> None:
        self.query_one("#chosen", Static).update(words)

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.search(event.value)

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        matches = self.query_one("#matches", OptionList)
        if matches.highlighted is not None and matches.option_count:
            self._choose(str(matches.get_option_at_index(matches.highlighted).id))
        elif event.value.strip():
            self._say(f"Nobody matches {event.value.strip()!r}: try part of the name, the ref or the department.")

    def action_move(self, step: int) -> None:
        matches = self.query_one("#matches", OptionList)
        if matches.option_count:
            current = matches.highlighted if matches.highlighted is not None else -step
            matches.highlighted = max(0, min(matches.option_count - 1, current + step))

    def search(self, text: str) -> None:
        """Search for ``text``; typed fast, only the latest text is searched once the search under way ends."""
        searching = self._wanted is not None
        self._wanted = text
        if not searching:
            self.app.services.run(self, self._search_latest, group="search")

    async def _search_latest(self) -> None:
        try:
            while self._wanted is not None:
                text = self._wanted
                await self._search(text)
                if self._wanted == text:
                    break
        finally:
            self._wanted = None

    async def _search(self, text: str) -> None:
        wanted = text.strip()
        people = await self.app.services.db(self.finder, *self.finder_args, wanted) if wanted or self.list_all else []
        self._found = {person.ref: person for person in people}
        matches = self.query_one("#matches", OptionList)
        matches.clear_options()
        matches.add_options(Option(person.words, id=person.ref) for person in people)
        matches.display = bool(people)
        if people:
            matches.highlighted = 0
        if wanted and not people:
            self._say(f"Nobody matches {wanted!r}: try part of the name, the ref or the department.")
        elif not people and self.list_all:
            self._say("Nobody to choose from here.")
        elif not self.chosen:
            self._say("Chosen: nobody yet")

    @on(OptionList.OptionSelected, "#matches")
    def _match_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(str(event.option.id))

    def _choose(self, ref: str) -> None:
        person = self._found[ref]
        if not self.multiple:
            self.chosen = {person.ref: person.name}
        elif self.chosen.pop(person.ref, None) is None:
            self.chosen[person.ref] = person.name
        self._say(
            f"Chosen ({len(self.chosen)}): {', '.join(self.chosen.values()) or 'nobody yet'}"
            if self.multiple
            else f"Chosen: {person.words}"
        )
        self.post_message(self.Chosen(self, person.ref))
