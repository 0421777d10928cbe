"""Setup: the people of the production (behind the supervisor PIN) - a filter, add, edit, import.

The same keys mean the same on every setup screen: F2 adds (in a form: saves), F3 or Enter on a row opens it,
Escape goes back without saving.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Footer, Input, Label, RadioButton, RadioSet, Static

from kiosk.core.roster import KINDS, ref_from_name
from kiosk.services import photos, roster
from kiosk.services.roster import ImportResult, Person
from kiosk.tui.screens.form import FilteredList, Form
from kiosk.tui.widgets import Col, Table, local_time


class PersonList(FilteredList[Person]):
    """Everyone in the production, filtered as the supervisor types."""

    COLUMNS = (
        Col("Ref", share=1, least=4),
        Col("Name", share=4),
        Col("Kind", width=4),
        Col("Badge issued", width=12),
        Col("Department", share=2),
        Col("Role", share=2),
    )
    TITLE_WORD = "People"
    FILTER_HINT = "Filter: part of a name, ref, department or role (Enter: to the table)"

    async def fetch(self) -> list[Person]:
        return await self.app.services.read(roster.list_people)

    def key(self, row: Person) -> str:
        return row.ref

    def searched(self, row: Person) -> tuple[str, ...]:
        return row.ref, row.name, row.department, row.role

    def cells(self, row: Person) -> tuple[str, ...]:
        issued = local_time(row.badge_issued_at, date=True)[:10] if row.badge_issued_at else "no badge"
        return row.ref, row.name, row.kind, issued, row.department, row.role


class PeopleScreen(PersonList):
    """Add, edit and import people."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Back"),
        Binding("f2", "add", "Add person"),
        Binding("f3", "edit", "Edit"),
        Binding("f4", "import_file", "Import CSV"),
        Binding("f5", "filter", "Filter"),
    ]

    def on_data_table_row_selected(self, event: Table.RowSelected) -> None:
        self.action_edit()

    def action_add(self) -> None:
        self.app.push_screen(PersonForm(None, {person.ref: person.name for person in self.rows}), self._saved)

    def action_edit(self) -> None:
        person = self.current()
        if person is None:
            self.notify("Nobody to edit: add someone (F2) or clear the filter.")
            return
        self.app.push_screen(PersonForm(person, {}), self._saved)

    def _saved(self, person: Person | None) -> None:
        if person:
            self.notify(f"Saved: {person.name} ({person.ref}).")
            self.load(select=person.ref)

    def action_import_file(self) -> None:
        from kiosk.tui.screens.importing import ImportScreen

        self.app.push_screen(ImportScreen(), self._imported)

    def _imported(self, result: ImportResult | None) -> None:
        if result:
            self.notify(
                f"Imported: {len(result.added)} added, {len(result.updated)} updated, "
                f"{len(result.unchanged)} unchanged."
            )
            self.load()


class PersonForm(Form):
    """Add a person (``person`` None) or edit one; the ref of someone already listed cannot change.  A path in
    Photo sets their photo for the door (read and scaled before anything is saved); Remove takes it away."""

    REFUSED = "Not saved: "

    def __init__(self, person: Person | None, taken: dict[str, str]) -> None:
        super().__init__()
        self.person = person
        self.taken = taken  # ref -> name of everyone listed, so adding never overwrites someone by accident
        self.has_photo = False  # as read when the form opened

    def compose(self) -> ComposeResult:
        person = self.person
        with Vertical(classes="dialog"):
            if person:
                yield Label(f"Edit {person.name}", classes="title", markup=False)
                yield Static(f"Ref: {person.ref} (stays as it is: it is on the badge)", id="ref", markup=False)
            else:
                yield Label("Add a person", classes="title")
                yield Input(placeholder="Ref (optional: made from the name when left empty)", id="ref")
            yield Input(person.name if person else "", placeholder="Name", id="name")
            yield Input(person.department if person else "", placeholder="Department, e.g. Camera", id="department")
            yield Input(person.role if person else "", placeholder="Role, e.g. Camera operator", id="role")
            with RadioSet(id="kind"):
                for kind in KINDS:
                    yield RadioButton(kind.capitalize(), value=person is not None and person.kind == kind)
            with Horizontal(classes="form-row"):
                yield Label("Photo (optional)")
                yield Input(placeholder="path to a JPEG or PNG, for the door", id="photo", compact=True)
            yield Static("Photo: none", id="photo_state", markup=False)
            yield Checkbox("Remove their photo (erased for good)", id="remove_photo", compact=True)
            yield Static(id="message", classes="message", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#remove_photo").display = False
        if self.person is not None:
            self.app.services.run(self, self._show_photo, self.person.ref, say=self.say)

    async def _show_photo(self, ref: str) -> None:
        kept = await self.app.services.db(photos.photo_info, ref)
        self.has_photo = kept is not None
        self.query_one("#photo_state", Static).update(
            f"Photo: on file ({kept.width}x{kept.height}, {max(1, kept.size // 1000)} KB); a new path replaces it"
            if kept
            else "Photo: none"
        )
        self.query_one("#remove_photo").display = self.has_photo

    async def save(self) -> None:
        kind_index = self.query_one("#kind", RadioSet).pressed_index
        kind = KINDS[kind_index] if kind_index >= 0 else ""
        name = self.value("#name")
        path, remove = self.value("#photo"), self.has_photo and self.query_one("#remove_photo", Checkbox).value
        if path and remove:
            self.say("A new photo, or remove the photo: not both. Clear the path or untick Remove.")
            return
        # Read and scaled off the database thread, before anything is saved: a bad file saves nothing.
        prepared = await self.app.services.picture(photos.from_file, Path(path)) if path else None
        if self.person:
            ref = self.person.ref
        else:
            ref = self.value("#ref")
            owner = self.taken.get(ref or (ref_from_name(name) if name else ""))
            if owner:
                self.say(
                    f"The ref {ref or ref_from_name(name)!r} is {owner}'s already: type another ref, "
                    "or edit them from the table (F3)."
                )
                return
        person = await self.app.services.db(
            roster.add_person, self.app.kiosk_id, name, kind, self.value("#department"), self.value("#role"), ref
        )
        by = f"supervisor at {self.app.kiosk_id}"
        if prepared is not None:
            await self.app.services.db(photos.keep, person.ref, prepared, by, self.app.kiosk_id)
        elif remove:
            await self.app.services.db(photos.remove_photo, person.ref, by, self.app.kiosk_id)
        self.dismiss(person)
