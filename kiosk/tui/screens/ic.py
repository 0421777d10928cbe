"""IC mode: the intimacy coordinator's check-ins, behind the IC's own passphrase.

Only here is anything of a check-in shown beyond done / pending; every opening of a record's notes is
audited by the service.  Leaving IC mode (Escape) locks the session: the key is dropped.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Label, RadioButton, RadioSet, Static

from kiosk.core.checkins import RECORDABLE, STATUS_WORDS, Status
from kiosk.services import checkins
from kiosk.tui.app import KioskApp, Refused
from kiosk.tui.screens.form import Form
from kiosk.tui.widgets import local_time


class ICUnlockScreen(ModalScreen["checkins.ICSession | None"]):
    """Unlock IC mode; the first time, the IC sets the passphrase and is told plainly what losing it means."""

    app: KioskApp
    BINDINGS = [Binding("escape", "dismiss(None)", "Back to the door")]

    def __init__(self) -> None:
        super().__init__()
        self.first_time = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("IC mode", classes="title", id="heading")
            yield Static(id="warning")
            yield Input(placeholder="Your name (recorded with every reading of notes)", id="reader")
            yield Input(password=True, placeholder="IC passphrase", id="passphrase")
            yield Input(password=True, placeholder="The same passphrase again", id="again")
            yield Static(id="message", classes="message")

    async def on_mount(self) -> None:
        try:
            self.first_time = not await self.app.call(checkins.passphrase_is_set)
        except Refused:
            return
        self.query_one("#again").display = self.first_time
        if self.first_time:
            self.query_one("#heading", Label).update("IC mode: set your passphrase")
            self.query_one("#warning", Static).update(checkins.LOST_PASSPHRASE_WARNING)
        self.query_one("#reader", Input).focus()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        order = ["reader", "passphrase"] + (["again"] if self.first_time else [])
        if event.input.id != order[-1]:
            self.query_one(f"#{order[order.index(event.input.id) + 1]}", Input).focus()
            return
        reader, passphrase = self.query_one("#reader", Input).value, self.query_one("#passphrase", Input).value
        message = self.query_one("#message", Static)
        if self.first_time and passphrase != self.query_one("#again", Input).value:
            message.update("The two passphrases differ - type them again.")
            return
        service = checkins.set_passphrase if self.first_time else checkins.unlock
        try:
            session = await self.app.call(service, passphrase, reader, kiosk=self.app.kiosk_id)
        except Refused as refused:
            message.update(str(refused))
            for field in ("passphrase", "again"):
                self.query_one(f"#{field}", Input).value = ""
            self.query_one("#passphrase", Input).focus()
            return
        self.dismiss(session)


class ICScreen(Screen[None]):
    """Every check-in, newest scene first: status and dates only until the IC opens one (audited)."""

    app: KioskApp
    BINDINGS = [
        Binding("enter", "check_in", "Check in"),
        Binding("a,A", "add", "Add someone"),
        Binding("f,F", "follow_ups", "Follow-ups"),
        Binding("escape", "leave", "Lock and leave"),
    ]

    def __init__(self, session: checkins.ICSession) -> None:
        super().__init__()
        self.session = session
        self.rows: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Label(f"IC mode - {self.session.reader}. Only you see this screen; Escape locks it.",
                    classes="title")
        yield DataTable(id="checkins", cursor_type="row", zebra_stripes=True)
        yield Footer()

    async def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("Scene", "Name", "Cast/crew", "Status", "Follow-up due",
                                              "Checked in")
        await self.load()

    async def load(self) -> None:
        try:
            self.rows = await self.app.attempt(checkins.ic_list, self.session)
        except Refused:
            return
        table = self.query_one(DataTable)
        table.clear()
        for row in self.rows:
            table.add_row(row["scene"], row["name"], row["kind"], row["status_words"], row["follow_up_due"] or "",
                          local_time(row["checked_in_at"], date=True))

    def _chosen(self) -> dict | None:
        table = self.query_one(DataTable)
        return self.rows[table.cursor_row] if self.rows and table.cursor_row < len(self.rows) else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_check_in()

    def action_check_in(self) -> None:
        row = self._chosen()
        if row is not None:
            self.app.push_screen(CheckInForm(self.session, row), self._after)

    def action_add(self) -> None:
        self.app.push_screen(AddToCheckIns(self.session), self._after)

    def action_follow_ups(self) -> None:
        self.app.push_screen(FollowUpsScreen(self.session), self._after)

    async def _after(self, changed: bool | None) -> None:
        if changed:
            await self.load()

    def action_leave(self) -> None:
        self.session.lock()
        self.dismiss(None)


class CheckInForm(Form):
    """One person's check-in: status, follow-up owner and due date, signposting, a short note.

    Opening it reads the record's notes (audited, as every reading is); F2, or Enter in the note, saves the
    whole record.
    """

    SUBMIT_FROM = "note"
    AUTO_FOCUS = "RadioSet"

    def __init__(self, session: checkins.ICSession, row: dict) -> None:
        super().__init__()
        self.session, self.row = session, row

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(f"Check-in: {self.row['name']} - scene {self.row['scene']}", classes="title")
            with RadioSet(id="statuses"):
                for status in RECORDABLE:
                    yield RadioButton(STATUS_WORDS[status], id=status.value.replace("-", "_"))
            with Horizontal(classes="fields"):
                yield Input(placeholder="Follow-up owner", id="follow_up_owner", compact=True)
                yield Input(placeholder="Due YYYY-MM-DD", id="due", compact=True)
            yield Input(placeholder="Signposting offered (e.g. union helpline, counsellor)", id="signposting",
                        compact=True)
            yield Input(placeholder="Short note (optional; only the IC can read it)", id="note", compact=True)
            yield Static("Arrows and Space: status    F2: save    Escape: cancel", id="keys")
            yield Static(id="message", classes="message")

    async def on_mount(self) -> None:
        try:
            record = await self.app.attempt(checkins.read_notes, self.session, self.row["scene"], self.row["ref"])
        except Refused:
            return
        if record["status"] != Status.PENDING:
            self.query_one(f"#{record['status'].replace('-', '_')}", RadioButton).value = True
        for field in ("follow_up_owner", "signposting", "note"):
            self.query_one(f"#{field}", Input).value = record.get(field) or ""
        self.query_one("#due", Input).value = record.get("follow_up_due") or ""

    async def action_save(self) -> None:
        # The buttons' own values, not RadioSet.pressed_button: that follows a message that may still be
        # queued behind the key that saves.
        chosen = next((button for button in self.query(RadioButton) if button.value), None)
        if chosen is None:
            self.say("Choose a status first (arrows, then Space).")
            return
        value = {field: self.query_one(f"#{field}", Input).value
                 for field in ("follow_up_owner", "due", "signposting", "note")}
        try:
            await self.app.attempt(checkins.record, self.session, self.row["scene"], self.row["ref"],
                                   chosen.id.replace("_", "-"), note=value["note"],
                                   signposting=value["signposting"], follow_up_owner=value["follow_up_owner"],
                                   due=value["due"] or None)
        except Refused as refused:
            self.say(str(refused))
            return
        self.dismiss(True)


class AddToCheckIns(Form):
    """Add someone else (crew too) to a scene's check-ins."""

    SUBMIT_FROM = "person"

    def __init__(self, session: checkins.ICSession) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Add someone to a scene's check-ins", classes="title")
            yield Input(placeholder="Scene ref", id="scene")
            yield Input(placeholder="Person: ref or full name", id="person")
            yield Static(id="message", classes="message")

    async def action_save(self) -> None:
        try:
            await self.app.attempt(checkins.add, self.session, self.query_one("#scene", Input).value,
                                   self.query_one("#person", Input).value)
        except Refused as refused:
            self.say(str(refused))
            return
        self.dismiss(True)


class FollowUpsScreen(ModalScreen[bool]):
    """Follow-ups across all scenes, open ones first (soonest due); D marks the highlighted one done today."""

    app: KioskApp
    BINDINGS = [Binding("escape", "close", "Back"), Binding("d,D", "done", "Done today")]

    def __init__(self, session: checkins.ICSession) -> None:
        super().__init__()
        self.session = session
        self.rows: list[dict] = []
        self.changed = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Follow-ups (open first)", classes="title")
            yield DataTable(id="follow-ups", cursor_type="row", zebra_stripes=True)
            yield Static("D: mark done today    Escape: back", id="keys")
            yield Static(id="message", classes="message")

    async def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("Scene", "Name", "Owner", "Due", "Done on", "")
        await self.load()

    async def load(self) -> None:
        try:
            self.rows = await self.app.attempt(checkins.follow_ups, self.session)
        except Refused:
            return
        table = self.query_one(DataTable)
        table.clear()
        for row in self.rows:
            table.add_row(row["scene"], row["name"], row.get("follow_up_owner") or "", row["follow_up_due"] or "",
                          row["follow_up_done_on"] or "", "OVERDUE" if row.get("overdue") else "")
        table.focus()

    async def action_done(self) -> None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row >= len(self.rows):
            return
        row = self.rows[table.cursor_row]
        try:
            await self.app.attempt(checkins.mark_follow_up_done, self.session, row["scene"], row["ref"])
        except Refused as refused:
            self.query_one("#message", Static).update(str(refused))
            return
        self.changed = True
        await self.load()

    def action_close(self) -> None:
        self.dismiss(self.changed)
