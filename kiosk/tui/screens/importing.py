"""Setup: importing the cast-and-crew list from a file, dry run first, then all rows or none."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Input, Label, Static

from kiosk.services import roster
from kiosk.tui.screens.form import Form
from kiosk.tui.widgets import Table

MAX_LIST_BYTES = 5_000_000  # a production's cast-and-crew list is a few hundred kilobytes at most


class ImportScreen(Form):
    """Import people from a CSV file: Enter runs a dry run (nothing saved), F2 then imports for real."""

    BINDINGS = [Binding("f2", "save", "Import for real")]
    REFUSED = "Not imported: "

    def __init__(self) -> None:
        super().__init__()
        self.data: bytes | None = None  # the file as dry-run without errors: what F2 imports

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Label("Import people from a CSV file", classes="title")
            yield Static("Columns: ref,name,department,role,kind (kind is cast or crew). Type the file's path "
                         "and press Enter for a dry run: nothing is saved until you press F2.")
            yield Input(placeholder="Path of the CSV file, e.g. /media/usb/crew.csv", id="path")
            yield Static(id="message", classes="message", markup=False)
            yield Table(id="errors", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        errors = self.query_one("#errors", Table)
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
        path = Path(event.value.strip()).expanduser() if event.value.strip() else None
        self.app.services.run(self, self.dry_run(path), say=lambda words: self.say(f"Cannot check the file: {words}"),
                              group="save", exclusive=True)

    async def dry_run(self, path: Path | None) -> None:
        errors = self.query_one("#errors", Table)
        errors.clear()
        errors.display = False
        self.data = None
        self.refresh_bindings()
        if path is None:
            self.say("Type the path of the CSV file, then Enter.")
            return
        try:
            data = await asyncio.to_thread(_read_list_file, path)
        except OSError as error:
            self.say(_unreadable(path, error))
            return
        result = await self.app.services.db(roster.import_people, data, self.app.kiosk_id, dry_run=True)
        if result.errors:
            for error in result.errors:
                errors.add_row(str(error.line), error.reason)
            errors.display = True
            lines = len({error.line for error in result.errors})
            self.say(f"{path.name}: {len(result.errors)} problem(s) on {lines} line(s). Nothing was imported: "
                     "fix the file, then Enter to check it again.")
            return
        self.data = data
        self.refresh_bindings()
        self.say(f"Dry run of {path.name}: {len(result.added)} to add, {len(result.updated)} to update, "
                 f"{len(result.unchanged)} unchanged. Nothing is saved yet: F2 imports for real.")

    async def save(self) -> None:
        """Runs only after a dry run without problems (``check_action``), on the very bytes it checked."""
        if self.data is not None:
            self.dismiss(await self.app.services.db(roster.import_people, self.data, self.app.kiosk_id))


def _read_list_file(path: Path) -> bytes:
    if path.is_file() and path.stat().st_size > MAX_LIST_BYTES:
        raise OSError(f"it is {path.stat().st_size // 1_000_000} MB, too large for a cast-and-crew list")
    return path.read_bytes()


def _unreadable(path: Path, error: OSError) -> str:
    """Why a file cannot be imported, in words."""
    if isinstance(error, FileNotFoundError):
        return f"No file at {path}: check the path (and that the USB stick is plugged in)."
    if isinstance(error, IsADirectoryError):
        return f"{path} is a folder: type the path of the file in it."
    if isinstance(error, PermissionError):
        return f"Not allowed to read {path}: copy it somewhere this kiosk's user can read."
    return f"Cannot read {path}: {error.strerror or error}."
