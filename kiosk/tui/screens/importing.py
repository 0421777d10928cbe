"""Setup: importing the cast-and-crew list from a spreadsheet or CSV file, dry run first, then all rows or none.

The dry run says how the file was read (format, which column is which, what was left out) and names everyone it
would add or update, or every bad row by line (and cell, for a spreadsheet).  F2 imports exactly the bytes and
the options that were checked.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Input, Label, RadioButton, RadioSet, Static

from kiosk.core.roster import KINDS, RosterSource, parse_column_map
from kiosk.errors import ServiceError
from kiosk.services import roster
from kiosk.services.roster import ImportResult
from kiosk.tui.screens.form import Form
from kiosk.tui.widgets import Col, Table

MAX_LIST_BYTES = 5_000_000  # a production's cast-and-crew list is a few hundred kilobytes at most


class ImportScreen(Form):
    """Import people from a spreadsheet or CSV: Enter runs a dry run (nothing saved), F2 then imports for real."""

    BINDINGS = [Binding("f2", "save", "Import for real")]
    REFUSED = "Not imported: "
    KIND_CHOICES = ("file", *KINDS)  # the kind column of the file, or everyone is cast, or everyone is crew

    def __init__(self) -> None:
        super().__init__()
        self.checked: tuple[bytes, RosterSource] | None = None  # what a clean dry run read: what F2 imports

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Label("Import people from a spreadsheet (.xlsx) or CSV file", classes="title")
            yield Static(
                "Headers such as Name (or First and Last name), Dept, Position and Cast/Crew are "
                "found by themselves. Type the file's path and press Enter for a dry run: nothing is "
                "saved until you press F2."
            )
            yield Input(placeholder="Path of the file, e.g. /media/usb/crew.xlsx", id="path")
            with Horizontal(classes="fields"):
                yield Input(placeholder="Sheet (default: the first)", id="sheet")
                yield Input(placeholder="Encoding, if not UTF-8 (e.g. cp1252)", id="encoding")
            yield Input(placeholder="Other headers, e.g. name=Performer; department=Unit", id="map")
            with RadioSet(id="kind"):
                yield RadioButton("Cast/crew from the file", value=True)
                yield RadioButton("Everyone is cast")
                yield RadioButton("Everyone is crew")
            yield Static(id="message", classes="message", markup=False)
            yield Table(id="details", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        details = self.query_one("#details", Table)
        details.set_columns(Col("Where", width=16), Col("What", wrap=True))  # a long error is read whole
        details.display = False

    def on_input_changed(self, event: Input.Changed) -> None:
        self.checked = None

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self.checked = None

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        event.prevent_default()  # Enter here is the dry run, not Form's move to the next field
        path = self.value("#path")
        self.app.services.run(
            self,
            self.dry_run,
            Path(path).expanduser() if path else None,
            say=lambda words: self.say(f"Cannot check the file: {words}"),
            group="save",
            exclusive=True,
        )

    def source(self) -> RosterSource:
        """The options as typed; ``ServiceError`` in words for an unreadable header mapping."""
        entries = [entry for entry in self.value("#map").replace(";", "\n").splitlines() if entry.strip()]
        try:
            columns = parse_column_map(entries)
        except ValueError as error:
            raise ServiceError(str(error)) from None
        kind = self.KIND_CHOICES[max(self.query_one("#kind", RadioSet).pressed_index, 0)]
        return RosterSource(
            sheet=self.value("#sheet") or None,
            encoding=self.value("#encoding") or None,
            columns=columns,
            kind=None if kind == "file" else kind,
        )

    async def dry_run(self, path: Path | None) -> None:
        details = self.query_one("#details", Table)
        details.clear()
        details.display = False
        self.checked = None
        if path is None:
            self.say("Type the path of the file, then Enter.")
            return
        source = self.source()
        try:
            data = await asyncio.to_thread(_read_list_file, path)
        except OSError as error:
            self.say(_unreadable(path, error))
            return
        result = await self.app.services.db(roster.import_people, data, self.app.kiosk_id, dry_run=True, source=source)
        details.display = True
        if result.errors:
            for problem in result.errors:
                details.add_row(f"line {problem.line}" + (f", {problem.cell}" if problem.cell else ""), problem.reason)
            lines = len({problem.line for problem in result.errors})
            self.say(
                f"{path.name}: {len(result.errors)} problem(s) on {lines} line(s). Nothing was imported: "
                "fix the file (or the options), then Enter to check it again."
            )
            return
        self.checked = (data, source)
        for where, what in _what_it_read(result):
            details.add_row(where, what)
        self.say(
            f"Dry run of {path.name}: {len(result.added)} to add, {len(result.updated)} to update, "
            f"{len(result.unchanged)} unchanged. Nothing is saved yet: F2 imports for real."
        )

    async def save(self) -> None:
        """Imports the very bytes, with the very options, that a dry run found without problems."""
        if self.checked is None:
            self.say("Check the file first: type its path and press Enter (a dry run). Nothing was imported.")
            return
        data, source = self.checked
        # on its own connection: a long list goes in in chunks, and the door's scans go in between them
        self.dismiss(await self.app.services.long_write(roster.import_people, data, self.app.kiosk_id, source=source))


def _what_it_read(result: ImportResult) -> list[tuple[str, str]]:
    """The dry run's rows: how the file was read, then each person it would add or update, by name."""
    rows = []
    if result.reading is not None:
        rows.append(("read as", result.reading.format))
        rows += [(field, where) for field, where in result.reading.columns.items()]
        if result.reading.ignored:
            rows.append(("not read", ", ".join(result.reading.ignored)))
    rows += [("add", f"{result.names.get(ref, ref)} ({ref})") for ref in result.added]
    rows += [("update", f"{result.names.get(ref, ref)} ({ref})") for ref in result.updated]
    return rows


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
