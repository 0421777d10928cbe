"""What dialogs with fields and screens of rows have in common: the one way each saves or loads.

- ``Form``: F2 saves, Enter moves on (or saves from ``SUBMIT_FROM``), Escape cancels.  ``save`` is the form's
  task; a refusal shows in its ``#message`` and nothing is saved.  Tabbing into a field puts the cursor at the
  end of what is there: typing adds to it, never replaces it unseen.
- ``ListScreen``: rows fetched through the services, shown in a ``Table`` laid out by its ``COLUMNS``, the cursor
  kept on the same row across reloads.  A failed load leaves the rows as they were and says why.
  ``FilteredList`` adds a filter box above the table.

Both are behind the supervisor PIN or the IC's passphrase: ``GUARDED``, they close when the kiosk is idle.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Label, Static

from kiosk.tui.widgets import Col, Table

if TYPE_CHECKING:
    from kiosk.tui.app import KioskApp

Row = TypeVar("Row")


class Form(ModalScreen[Any]):
    """A dialog that saves with F2: ``save`` runs as the form's task; problems show in ``#message``."""

    app: KioskApp
    GUARDED = True
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel"), Binding("f2", "save", "Save")]
    AUTO_FOCUS = "Input"
    SUBMIT_FROM: str | None = None  # id of the input whose Enter saves
    REFUSED = ""  # put before a refusal's words, e.g. "Not saved: "
    save: Callable[[], Awaitable[None]]  # the form's task: checks, calls the services, dismisses with the answer

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.select_on_focus = False

    def say(self, words: str) -> None:
        self.query_one("#message", Static).update(words)

    def value(self, selector: str) -> str:
        """What is typed in the input ``selector``, without surrounding spaces."""
        return self.query_one(selector, Input).value.strip()

    def action_save(self) -> None:
        self.app.services.run(
            self, self.save, say=lambda words: self.say(f"{self.REFUSED}{words}"), group="save", exclusive=True
        )

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id is not None and event.input.id == self.SUBMIT_FROM:
            await self.run_action("save")
        else:
            self.focus_next()


class ListScreen(Screen[Any], Generic[Row]):
    """A screen around one ``Table`` (``#rows``) of what ``fetch`` returns."""

    app: KioskApp
    GUARDED = True
    BINDINGS = [Binding("escape", "dismiss(None)", "Back")]
    COLUMNS: ClassVar[Sequence[Col | str]] = ()
    fetch: Callable[[], Awaitable[list[Row]]]  # the rows, through ``self.app.services.db``
    key: Callable[[Row], str]  # the row's key in the table
    cells: Callable[[Row], Sequence[object]]  # what the table shows of it

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Row] = []

    def table(self) -> Table:
        return self.query_one("#rows", Table)

    def on_mount(self) -> None:
        table = self.table()
        table.set_columns(*self.COLUMNS)
        table.focus()
        self.load()

    def load(self, select: str | None = None) -> None:
        """Fetch the rows again; keep the cursor on ``select``, else on the row it was on."""
        self.app.services.run(self, self._load, select, group="load", exclusive=True)

    async def _load(self, select: str | None) -> None:
        self.rows = await self.fetch()
        self.show_rows(select)

    def filtered_rows(self) -> list[Row]:
        """The rows to show (all of them unless a screen filters)."""
        return self.rows

    def show_rows(self, select: str | None = None) -> None:
        table = self.table()
        select = select or self.current_key()
        table.clear()
        for row in self.filtered_rows():
            table.add_row(*self.cells(row), key=self.key(row))
        if select is not None and select in table.rows:
            table.move_cursor(row=table.get_row_index(select))
        self.shown()

    def shown(self) -> None:
        """After the rows changed: a screen updates its heading here."""

    def current_key(self) -> str | None:
        table = self.table()
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def current(self) -> Row | None:
        """The row under the cursor, or None when there is none."""
        key = self.current_key()
        return next((row for row in self.rows if self.key(row) == key), None)


class FilteredList(ListScreen[Row]):
    """A list screen with a filter above its table: the rows whose ``searched`` text holds what was typed."""

    TITLE_WORD = ""
    FILTER_HINT = "Filter (Enter: to the table)"
    searched: Callable[[Row], Sequence[str]]  # the texts of a row the filter looks in

    def compose(self) -> ComposeResult:
        yield Label(self.TITLE_WORD, id="heading", classes="title")
        yield Input(placeholder=self.FILTER_HINT, id="filter")
        yield Table(id="rows", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def filtered_rows(self) -> list[Row]:
        text = self.query_one("#filter", Input).value.strip().casefold()
        return [row for row in self.rows if not text or any(text in value.casefold() for value in self.searched(row))]

    def shown(self) -> None:
        shown, everyone = self.table().row_count, len(self.rows)
        counted = f"{shown} of {everyone} shown" if shown != everyone else str(everyone)
        self.query_one("#heading", Label).update(f"{self.TITLE_WORD}: {counted}")

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.show_rows()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.table().focus()

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()
