"""Setup screens behind the supervisor PIN: the people (add, edit, import a CSV) and the scenes' approved lists.

Every key is in the Footer and nothing needs a mouse.  The same keys mean the same thing on every screen:
F2 adds (or, in a form, saves), F3 or Enter on a row opens it, Escape goes back without saving.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Label, RadioButton, RadioSet, Static

from kiosk.core.roster import KINDS, ref_from_name
from kiosk.services import badges, roster, scenes
from kiosk.services.roster import ImportResult
from kiosk.tui.app import KioskApp, Refused
from kiosk.tui.pickers import PersonPicker
from kiosk.tui.screens.form import Form
from kiosk.tui.widgets import local_time

MAX_CSV_BYTES = 5_000_000  # a production's cast-and-crew list is a few hundred kilobytes at most


def _row_key(table: DataTable) -> str | None:
    """The key of the row under the cursor, or None when the table is empty."""
    if table.row_count == 0:
        return None
    return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value


def _move_to(table: DataTable, key: str | None) -> None:
    if key is not None and key in table.rows:
        table.move_cursor(row=table.get_row_index(key))


def _value(screen: Screen, selector: str) -> str:
    return screen.query_one(selector, Input).value.strip()


# --- people ---------------------------------------------------------------------------------------------


class PeopleScreen(Screen[None]):
    """Everyone in the production, with a filter; add, edit, import a CSV."""

    app: KioskApp
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Back"),
        Binding("f2", "add", "Add person"),
        Binding("f3", "edit", "Edit"),
        Binding("f4", "import_csv", "Import CSV"),
        Binding("f5", "filter", "Filter"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.people: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Label("People", id="heading", classes="title")
        yield Input(placeholder="Filter: part of a name, ref, department or role (Enter: to the table)",
                    id="filter")
        yield DataTable(id="people", cursor_type="row", zebra_stripes=True)
        yield Footer()

    async def on_mount(self) -> None:
        table = self.query_one("#people", DataTable)
        table.add_columns("Ref", "Name", "Kind", "Badge issued", "Department", "Role")
        table.focus()
        await self.load()

    async def load(self, select: str | None = None) -> None:
        try:
            self.people = await self.app.call(roster.list_people)
        except Refused:
            return
        self.show_people(select)

    def show_people(self, select: str | None = None) -> None:
        text = _value(self, "#filter").casefold()
        shown = [person for person in self.people if not text or any(
            text in person[name].casefold() for name in ("ref", "name", "department", "role"))]
        table = self.query_one("#people", DataTable)
        table.clear()
        for person in shown:
            issued = local_time(person["badge_issued_at"], date=True) if person["badge_issued_at"] else "no badge"
            table.add_row(person["ref"], person["name"], person["kind"], issued, person["department"],
                          person["role"], key=person["ref"])
        _move_to(table, select)
        self.query_one("#heading", Label).update(
            f"People: {len(shown)} of {len(self.people)} shown" if text else f"People: {len(self.people)}")

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.show_people()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.query_one("#people", DataTable).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_edit()

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_add(self) -> None:
        taken = {person["ref"]: person["name"] for person in self.people}
        self.app.push_screen(PersonForm(None, taken), self._saved)

    def action_edit(self) -> None:
        ref = _row_key(self.query_one("#people", DataTable))
        person = next((person for person in self.people if person["ref"] == ref), None)
        if person is None:
            self.notify("Nobody to edit: add someone (F2) or clear the filter.")
            return
        self.app.push_screen(PersonForm(person, {}), self._saved)

    async def _saved(self, person: dict | None) -> None:
        if person:
            self.notify(f"Saved: {person['name']} ({person['ref']}).")
            await self.load(select=person["ref"])

    def action_import_csv(self) -> None:
        self.app.push_screen(ImportScreen(), self._imported)

    async def _imported(self, result: ImportResult | None) -> None:
        if result:
            self.notify(f"Imported: {len(result.added)} added, {len(result.updated)} updated, "
                        f"{len(result.unchanged)} unchanged.")
            await self.load()


class PersonForm(Form):
    """Add a person (``person`` None) or edit one; the ref of someone already listed cannot change."""

    def __init__(self, person: dict | None, taken: dict[str, str]) -> None:
        super().__init__()
        self.person = person
        self.taken = taken  # ref -> name of everyone listed, so adding never overwrites someone by accident

    def compose(self) -> ComposeResult:
        person = self.person or {}
        with Vertical(classes="dialog"):
            if self.person:
                yield Label(f"Edit {person['name']}", classes="title")
                yield Static(f"Ref: {person['ref']} (stays as it is: it is on the badge)", id="ref")
            else:
                yield Label("Add a person", classes="title")
                yield Input(placeholder="Ref (optional: made from the name when left empty)", id="ref")
            yield Input(person.get("name", ""), placeholder="Name", id="name")
            yield Input(person.get("department", ""), placeholder="Department, e.g. Camera", id="department")
            yield Input(person.get("role", ""), placeholder="Role, e.g. Camera operator", id="role")
            with RadioSet(id="kind"):
                for kind in KINDS:
                    yield RadioButton(kind.capitalize(), value=person.get("kind") == kind)
            yield Static(id="message", classes="message")
        yield Footer()

    async def action_save(self) -> None:
        kind_index = self.query_one("#kind", RadioSet).pressed_index
        kind = KINDS[kind_index] if kind_index >= 0 else ""
        name = _value(self, "#name")
        if self.person:
            ref = self.person["ref"]
        else:
            ref = _value(self, "#ref")
            owner = self.taken.get(ref or (ref_from_name(name) if name else ""))
            if owner:
                self.say(f"The ref {ref or ref_from_name(name)!r} is {owner}'s already: type another ref, "
                         "or edit them from the table (F3).")
                return
        try:
            person = await self.app.call(roster.add_person, self.app.kiosk_id, name, kind,
                                         _value(self, "#department"), _value(self, "#role"), ref)
        except Refused as refused:
            self.say(f"Not saved: {refused}")
            return
        self.dismiss(person)


class ImportScreen(Form):
    """Import people from a CSV file: Enter runs a dry run (nothing saved), F2 then imports for real."""

    BINDINGS = [Binding("f2", "save", "Import for real")]

    def __init__(self) -> None:
        super().__init__()
        self.data: bytes | None = None  # the file as dry-run without errors: what F2 imports

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Label("Import people from a CSV file", classes="title")
            yield Static("Columns: ref,name,department,role,kind (kind is cast or crew). Type the file's path "
                         "and press Enter for a dry run: nothing is saved until you press F2.")
            yield Input(placeholder="Path of the CSV file, e.g. /media/usb/crew.csv", id="path")
            yield Static(id="message", classes="message")
            yield DataTable(id="errors", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        errors = self.query_one("#errors", DataTable)
        errors.add_columns("Line", "Problem")
        errors.display = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """F2 shows greyed out until a dry run of the file found no problems."""
        return None if action == "save" and self.data is None else True

    def on_input_changed(self, event: Input.Changed) -> None:
        self.data = None
        self.refresh_bindings()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        event.prevent_default()  # Enter here is the dry run, not Form's move to the next field
        await self.dry_run(Path(event.value.strip()).expanduser() if event.value.strip() else None)
        self.refresh_bindings()

    async def dry_run(self, path: Path | None) -> None:
        errors = self.query_one("#errors", DataTable)
        errors.clear()
        errors.display = False
        self.data = None
        if path is None:
            self.say("Type the path of the CSV file, then Enter.")
            return
        try:
            data = await asyncio.to_thread(_read_csv_file, path)
        except OSError as error:
            self.say(_unreadable(path, error))
            return
        try:
            result = await self.app.call(roster.import_people, data, self.app.kiosk_id, dry_run=True)
        except Refused as refused:
            self.say(f"Cannot check the file: {refused}")
            return
        if result.errors:
            for error in result.errors:
                errors.add_row(str(error.line), error.reason)
            errors.display = True
            lines = len({error.line for error in result.errors})
            self.say(f"{path.name}: {len(result.errors)} problem(s) on {lines} line(s). Nothing was imported: "
                     "fix the file, then Enter to check it again.")
            return
        self.data = data
        self.say(f"Dry run of {path.name}: {len(result.added)} to add, {len(result.updated)} to update, "
                 f"{len(result.unchanged)} unchanged. Nothing is saved yet: F2 imports for real.")

    async def action_save(self) -> None:
        """Runs only after a dry run without problems (``check_action``), on the very bytes it checked."""
        try:
            result = await self.app.call(roster.import_people, self.data, self.app.kiosk_id)
        except Refused as refused:
            self.say(f"Not imported: {refused}")
            return
        self.dismiss(result)


def _read_csv_file(path: Path) -> bytes:
    if path.is_file() and path.stat().st_size > MAX_CSV_BYTES:
        raise OSError(f"it is {path.stat().st_size // 1_000_000} MB, too large for a cast-and-crew list")
    return path.read_bytes()


def _unreadable(path: Path, error: OSError) -> str:
    """Why a file cannot be imported, in words."""
    if isinstance(error, FileNotFoundError):
        return f"No file at {path}: check the path (and that the USB stick is plugged in)."
    if isinstance(error, IsADirectoryError):
        return f"{path} is a folder: type the path of the CSV file in it."
    if isinstance(error, PermissionError):
        return f"Not allowed to read {path}: copy it somewhere this kiosk's user can read."
    return f"Cannot read {path}: {error.strerror or error}."


# --- scenes ---------------------------------------------------------------------------------------------


class ScenesScreen(Screen[None]):
    """The closed scenes; create one, open one's approved list."""

    app: KioskApp
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Back"),
        Binding("f2", "add", "New scene"),
        Binding("f3", "approvals", "Approved list"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.scenes: dict[str, dict] = {}

    def compose(self) -> ComposeResult:
        yield Label("Scenes", id="heading", classes="title")
        yield DataTable(id="scenes", cursor_type="row", zebra_stripes=True)
        yield Footer()

    async def on_mount(self) -> None:
        table = self.query_one("#scenes", DataTable)
        table.add_columns("Ref", "Title", "Location", "Date", "State", "Coordinator", "Approved")
        table.focus()
        await self.load()

    async def load(self, select: str | None = None) -> None:
        try:
            rows = await self.app.call(scenes.list_scenes)
        except Refused:
            return
        self.scenes = {row["ref"]: row for row in rows}
        table = self.query_one("#scenes", DataTable)
        select = select or _row_key(table)
        table.clear()
        for row in rows:
            table.add_row(row["ref"], row["title"], row["location"], row["date"], row["state"],
                          row["coordinator"] or "-", str(row["approved"]), key=row["ref"])
        _move_to(table, select)
        self.query_one("#heading", Label).update(
            f"Scenes: {len(rows)} (Enter: approved list)" if rows else "No scenes yet: F2 creates one.")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_approvals()

    def action_add(self) -> None:
        self.app.push_screen(SceneForm(), self._added)

    async def _added(self, ref: str | None) -> None:
        if ref:
            self.notify(f"Scene {ref} created (in draft until the supervisor opens it).")
            await self.load(select=ref)

    def action_approvals(self) -> None:
        scene = self.scenes.get(_row_key(self.query_one("#scenes", DataTable)) or "")
        if scene is None:
            self.notify("No scene yet: F2 creates one.")
            return
        self.app.push_screen(ApprovalsScreen(scene), lambda _: self.load())


class SceneForm(Form):
    """A new closed scene; its coordinator and performers are approved for both zones by the service."""

    BINDINGS = [Binding("f2", "save", "Create scene")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Label("New closed scene", classes="title")
            with Horizontal(classes="fields"):
                yield Input(placeholder="Ref, e.g. 42", id="ref")
                yield Input(placeholder="Title, e.g. Bedroom, night", id="title")
            with Horizontal(classes="fields"):
                yield Input(placeholder="Location, e.g. Stage 3", id="location")
                yield Input(placeholder="Date, e.g. 2026-11-23", id="date")
            yield Label("Intimacy coordinator (approved for both zones)")
            yield PersonPicker("Find the coordinator: name, ref or department", id="coordinator")
            yield Label("Performers (Enter on each to add or take off; approved for both zones)")
            yield PersonPicker("Find a performer: name, ref or department", multiple=True, id="performers")
            yield Static(id="message", classes="message")
        yield Footer()

    def on_person_picker_chosen(self, event: PersonPicker.Chosen) -> None:
        if event.picker.id == "coordinator":
            self.query_one("#performers #search", Input).focus()

    async def action_save(self) -> None:
        ref = _value(self, "#ref")
        coordinator = self.query_one("#coordinator", PersonPicker).refs
        try:
            await self.app.call(scenes.add_scene, ref, _value(self, "#title"), self.app.kiosk_id,
                                _value(self, "#location"), _value(self, "#date"),
                                coordinator[0] if coordinator else None,
                                self.query_one("#performers", PersonPicker).refs)
        except Refused as refused:
            self.say(f"Not created: {refused}")
            return
        self.dismiss(ref)


class ApprovalsScreen(Screen[None]):
    """One scene's approved list, per zone, with who approved: approve people, or remove an approval."""

    app: KioskApp
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Back"),
        Binding("f2", "approve", "Approve people"),
        Binding("delete,f8", "remove", "Remove approval"),
    ]

    def __init__(self, scene: dict) -> None:
        super().__init__()
        self.scene = scene
        self.approvals: dict[str, dict] = {}  # row key "ref/zone" -> approval

    def compose(self) -> ComposeResult:
        yield Label(f"Scene {self.scene['ref']}: {self.scene['title']}", id="heading", classes="title")
        yield DataTable(id="approvals", cursor_type="row", zebra_stripes=True)
        yield Footer()

    async def on_mount(self) -> None:
        table = self.query_one("#approvals", DataTable)
        table.add_columns("Name", "Ref", "Zone", "Approved by", "When", "Note")
        table.focus()
        await self.load()

    async def load(self) -> None:
        try:
            rows = await self.app.call(scenes.approved_list, self.scene["ref"])
        except Refused:
            return
        self.approvals = {f"{row['ref']}/{row['zone']}": row for row in rows}
        table = self.query_one("#approvals", DataTable)
        select = _row_key(table)
        table.clear()
        for key, row in self.approvals.items():
            table.add_row(row["name"], row["ref"], row["zone"], row["approved_by"],
                          local_time(row["approved_at"], date=True),
                          "temporary (escalated at the door)" if row["temporary"] else "", key=key)
        _move_to(table, select)
        counts = {zone: sum(row["zone"] == zone for row in rows) for zone in ("set", "monitors")}
        self.query_one("#heading", Label).update(
            f"Scene {self.scene['ref']}: {self.scene['title']} - approved for the set: {counts['set']}, "
            f"for the monitors: {counts['monitors']}")

    def action_approve(self) -> None:
        self.app.push_screen(ApproveForm(self.scene["ref"]), self._changed)

    def action_remove(self) -> None:
        approval = self.approvals.get(_row_key(self.query_one("#approvals", DataTable)) or "")
        if approval is None:
            self.notify("Nobody is approved for this scene yet.")
            return
        self.app.push_screen(RemoveApprovalForm(self.scene["ref"], approval), self._changed)

    async def _changed(self, words: str | None) -> None:
        if words:
            self.notify(words)
            await self.load()


class ApproveForm(Form):
    """Approve one or more people for the set, the monitors or both, saying who approves."""

    BINDINGS = [Binding("f2", "save", "Approve")]

    SUBMIT_FROM = "by"

    def __init__(self, scene: str) -> None:
        super().__init__()
        self.scene = scene

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Label(f"Approve people for scene {self.scene}", classes="title")
            yield PersonPicker("Find people: name, ref or department (Enter on each to add)", multiple=True)
            with RadioSet(id="zone"):
                for zone in scenes.ZONE_CHOICES:
                    yield RadioButton(zone.capitalize(), value=zone == "set")
            yield Input(placeholder="Approved by (a name, for the record), then Enter", id="by")
            yield Static(id="message", classes="message")
        yield Footer()

    async def action_save(self) -> None:
        people = self.query_one(PersonPicker).refs
        if not people:
            self.say("Choose someone first: type part of a name, Enter, then Enter on each person.")
            return
        zone = scenes.ZONE_CHOICES[self.query_one("#zone", RadioSet).pressed_index]
        try:
            approved = await self.app.call(scenes.approve, self.scene, people, _value(self, "#by"),
                                           self.app.kiosk_id, zone)
        except Refused as refused:
            self.say(f"Not approved: {refused}")
            return
        self.dismiss(f"Approved for {zone}: {', '.join(person['name'] for person in approved)}.")


class RemoveApprovalForm(Form):
    """Take one person off one zone's list; the service keeps performers and the coordinator approved."""

    BINDINGS = [Binding("f2", "save", "Remove")]

    SUBMIT_FROM = "by"

    def __init__(self, scene: str, approval: dict) -> None:
        super().__init__()
        self.scene, self.approval = scene, approval

    def compose(self) -> ComposeResult:
        approval = self.approval
        with Vertical(classes="dialog"):
            yield Label(f"Remove {approval['name']} ({approval['ref']}) from the {approval['zone']} list "
                        f"of scene {self.scene}?", classes="title")
            yield Input(placeholder="Removed by (a name, for the record), then Enter", id="by")
            yield Static(id="message", classes="message")
        yield Footer()

    async def action_save(self) -> None:
        approval = self.approval
        try:
            await self.app.call(scenes.unapprove, self.scene, (approval["ref"],), _value(self, "#by"),
                                self.app.kiosk_id, approval["zone"])
        except Refused as refused:
            self.say(f"Not removed: {refused}")
            return
        self.dismiss(f"{approval['name']} is no longer approved for the {approval['zone']} of scene "
                     f"{self.scene}.")


# --- badges ---------------------------------------------------------------------------------------------


class BadgesScreen(PeopleScreen):
    """Everyone with their badge: preview one (QR drawn in the terminal), issue new ones to a folder and a
    printable sheet, revoke one."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Back"),
        Binding("f2", "issue", "New badge"),
        Binding("f4", "issue_all", "Badges for all"),
        Binding("f5", "filter", "Filter"),
        Binding("f8", "revoke", "Revoke"),
    ]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.prevent_default()  # Enter previews the badge here, instead of editing the person
        ref = _row_key(self.query_one("#people", DataTable))
        if ref is not None:
            self.app.push_screen(BadgePreview(ref))

    def action_issue(self) -> None:
        ref = _row_key(self.query_one("#people", DataTable))
        if ref is not None:
            self.app.push_screen(IssueForm([ref]), self._issued)

    def action_issue_all(self) -> None:
        self.app.push_screen(IssueForm(None), self._issued)

    def action_revoke(self) -> None:
        ref = _row_key(self.query_one("#people", DataTable))
        if ref is not None:
            self.app.push_screen(RevokeForm(ref), self._issued)

    async def _issued(self, done: bool | None) -> None:
        if done:
            await self.load(select=_row_key(self.query_one("#people", DataTable)))


class BadgePreview(ModalScreen[None]):
    """One person's valid badge as printed: name, department and role, the code, and its QR."""

    app: KioskApp
    BINDINGS = [Binding("escape,enter", "dismiss(None)", "Back")]

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog"):
            yield Static(id="card")
            yield Static(id="qr")

    async def on_mount(self) -> None:
        from kiosk.badges import terminal_qr

        try:
            card = await self.app.call(badges.active_card, self.ref)
            qr = await self.app.attempt(terminal_qr, card.code) if card else ""
        except Refused:
            return
        self.query_one("#card", Static).update(
            Text.assemble((f"{card.production}\n", "bold"), (f"{card.name}\n", "bold"),
                          f"{card.department}, {card.role}\n", (card.code_text, "bold"))
            if card else Text(f"{self.ref} has no valid badge: F2 issues one."))
        self.query_one("#qr", Static).update(Text(qr, no_wrap=True))


class IssueForm(Form):
    """Where to write new badges: a folder of PNGs and a PDF sheet to print at actual size."""

    SUBMIT_FROM = "sheet"

    def __init__(self, refs: list[str] | None) -> None:
        super().__init__()
        self.refs = refs

    def compose(self) -> ComposeResult:
        folder = self.app.gateway.db.path.parent / "badges"
        who = ", ".join(self.refs) if self.refs else "everyone on the roster"
        with Vertical(classes="dialog"):
            yield Label(f"New badges for {who}: their old badges stop working", classes="title")
            yield Input(str(folder), placeholder="Folder for the PNGs", id="out")
            yield Input(str(folder / "sheet.pdf"), placeholder="PDF sheet (empty: none)", id="sheet")
            with RadioSet(id="paper"):
                yield RadioButton("A4", value=True, id="a4")
                yield RadioButton("Letter", id="letter")
            yield Static("F2: issue    Escape: cancel")
            yield Static(id="message", classes="message")

    async def action_save(self) -> None:
        out, sheet = Path(_value(self, "#out")).expanduser(), _value(self, "#sheet")
        paper = next(button.id for button in self.query(RadioButton) if button.value)
        try:
            cards, _ = await self.app.call(badges.issue, self.refs, out, Path(sheet).expanduser() if sheet else None,
                                           paper, kiosk=self.app.kiosk_id)
        except Refused as refused:
            self.say(str(refused))
            return
        self.notify(f"{len(cards)} badge(s) issued to {out}" + (f", sheet {sheet}" if sheet else "") + ".")
        self.dismiss(True)


class RevokeForm(Form):
    """Revoke one person's badge at once, saying why."""

    SUBMIT_FROM = "reason"

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Revoke the badge of {self.ref}: refused at every door from now on", classes="title")
            yield Input(placeholder="Why (for the record), then Enter", id="reason")
            yield Static(id="message", classes="message")

    async def action_save(self) -> None:
        try:
            await self.app.call(badges.revoke_badge, self.ref, _value(self, "#reason"), kiosk=self.app.kiosk_id)
        except Refused as refused:
            self.say(str(refused))
            return
        self.notify(f"Badge of {self.ref} revoked.")
        self.dismiss(True)
