"""IC mode: the intimacy coordinator's check-ins, behind the IC's own passphrase.

Only here is anything of a check-in shown beyond done / pending; every opening of a record's notes is
audited by the service.  IC mode locks itself - the key is dropped - whenever it closes: Escape, a few minutes
without a key (``KioskApp.idle_lock``), or a badge scanned at the door (someone is there to see the screen).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, RadioButton, RadioSet, Static

from kiosk.core.checkins import RECORDABLE, STATUS_WORDS, State, Status, failed_attempts_words
from kiosk.services import checkins, offered
from kiosk.services.checkins import ICCheckin
from kiosk.tui.pickers import PersonPicker
from kiosk.tui.screens.form import Form, ListScreen
from kiosk.tui.widgets import Col, Table, local_time

if TYPE_CHECKING:
    from kiosk.tui.app import KioskApp


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
            yield Static(id="message", classes="message", markup=False)

    def say(self, words: str) -> None:
        self.query_one("#message", Static).update(words)

    def on_mount(self) -> None:
        self.query_one("#again").display = False
        self.app.services.run(self, self._ask, say=self.say)

    async def _ask(self) -> None:
        self.first_time = not await self.app.services.db(checkins.passphrase_is_set)
        self.query_one("#again").display = self.first_time
        if self.first_time:
            self.query_one("#heading", Label).update("IC mode: set your passphrase")
            self.query_one("#warning", Static).update(checkins.LOST_PASSPHRASE_WARNING)
        self.query_one("#reader", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        order = ["reader", "passphrase"] + (["again"] if self.first_time else [])
        if event.input.id != order[-1]:
            self.query_one(f"#{order[order.index(str(event.input.id)) + 1]}", Input).focus()
            return
        reader, passphrase = self.query_one("#reader", Input).value, self.query_one("#passphrase", Input).value
        if self.first_time and passphrase != self.query_one("#again", Input).value:
            self.refuse("The two passphrases differ - type them again.")
            return
        self.app.services.run(self, self._unlock, passphrase, reader, say=self.refuse, exclusive=True)

    async def _unlock(self, passphrase: str, reader: str) -> None:
        service = checkins.set_passphrase if self.first_time else checkins.unlock
        self.dismiss(await self.app.services.db(service, passphrase, reader, kiosk=self.app.kiosk_id))

    def refuse(self, words: str) -> None:
        """Say why, and start the passphrase again: cleared, with the focus in it."""
        self.say(words)
        for field in ("passphrase", "again"):
            self.query_one(f"#{field}", Input).value = ""
        self.query_one("#passphrase", Input).focus()


class ICScreen(ListScreen[ICCheckin]):
    """Every check-in, newest scene first: status and dates only until the IC opens one (audited)."""

    CONFIDENTIAL = True
    BINDINGS = [
        Binding("enter", "check_in", "Check in"),
        Binding("a,A", "add", "Add someone"),
        Binding("f,F", "follow_ups", "Follow-ups"),
        Binding("n,N", "not_needed", "Not needed"),
        Binding("t,T", "told", "Agreed list"),
        Binding("escape", "leave", "Lock and leave"),
    ]
    COLUMNS = (
        Col("Scene", width=5),
        Col("Name", least=10),
        Col("Kind", width=4),
        Col("Status", width=20),
        Col("Due", width=10),
        Col("Checked in", width=11),
    )

    def __init__(self, session: checkins.ICSession) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        yield Label(
            f"IC mode - {self.session.reader}. Only you see this screen; Escape locks it.",
            classes="title",
            markup=False,
        )
        failed = Static(
            failed_attempts_words(self.session.failed_attempts), id="failed", classes="warning", markup=False
        )
        failed.display = bool(self.session.failed_attempts)  # told once, at the unlock after them
        yield failed
        yield Table(id="rows", cursor_type="row", zebra_stripes=True)
        yield Footer()

    async def fetch(self) -> list[ICCheckin]:
        return await self.app.services.ic(checkins.ic_list, self.session)

    def key(self, row: ICCheckin) -> str:
        return str(row.id)

    def cells(self, row: ICCheckin) -> tuple[str, ...]:
        checked_in = local_time(row.checked_in_at, date=True)[5:]  # MM-DD HH:MM: the year is this year's
        status = "Offered" if row.state == State.OFFERED else row.status_words
        return row.scene, row.name, row.kind, status, row.follow_up_due or "", checked_in

    def on_data_table_row_selected(self, event: Table.RowSelected) -> None:
        self.action_check_in()

    def action_check_in(self) -> None:
        row = self.current()
        if row is not None:
            self.app.push_screen(CheckInForm(self.session, row), self._after)

    def action_add(self) -> None:
        self.app.push_screen(AddToCheckIns(self.session), self._after)

    def action_follow_ups(self) -> None:
        self.app.push_screen(FollowUpsScreen(self.session), self._after)

    def action_not_needed(self) -> None:
        """Close the highlighted offered check-in (someone who was inside, not a performer) as not needed."""
        from kiosk.tui.screens.confirm import Confirm

        row = self.current()
        if row is None:
            return
        if row.state != State.OFFERED:
            self.notify(
                f"{row.name}: only a check-in offered to someone who was inside (not a performer, not "
                "checked in yet) is closed as not needed. Enter records this one.",
                severity="warning",
            )
            return
        question = Confirm(
            f"Close the check-in offered to {row.name} as not needed?",
            f"Scene {row.scene}. The production sees it as done; nothing else is recorded.",
            yes="close it: not needed",
        )
        self.app.push_screen(question, lambda yes: self._close(yes, row))

    def _close(self, yes: bool | None, row: ICCheckin) -> None:
        if yes:
            self.app.services.run(self, self._not_needed, row)

    async def _not_needed(self, row: ICCheckin) -> None:
        await self.app.services.ic(offered.close_not_needed, self.session, row.scene, row.ref)
        self.notify(f"{row.name}: closed, not needed.")
        self.load()

    def action_told(self) -> None:
        """Who the performers know will be there, for the door's scene (else the highlighted check-in's)."""
        from kiosk.tui.screens.ic_protocol import AgreedListScreen

        row = self.current()
        scene = self.app.scene_ref or (row.scene if row is not None else None)
        if scene is None:
            self.notify("No scene is chosen at this door: the supervisor chooses one (F10).", severity="warning")
            return
        self.app.push_screen(AgreedListScreen(self.session, scene), self._after)

    def _after(self, changed: bool | None) -> None:
        if changed:
            self.load()

    def action_leave(self) -> None:
        self.dismiss(None)

    def on_unmount(self) -> None:
        self.session.lock()  # however IC mode closes


class CheckInForm(Form):
    """One person's check-in: status, follow-up owner and due date, signposting, a short note.

    Opening it reads the record's notes (audited, as every reading is); F2, or Enter in the note, saves the
    whole record.
    """

    SUBMIT_FROM = "note"
    AUTO_FOCUS = "RadioSet"
    CONFIDENTIAL = True
    FIELDS = (
        ("follow_up_owner", "Follow-up owner", "who follows up"),
        ("due", "Follow-up due", "YYYY-MM-DD"),
        ("signposting", "Signposting", "e.g. union helpline, counsellor"),
        ("note", "Short note", "optional; only the IC can read it"),
    )

    def __init__(self, session: checkins.ICSession, row: ICCheckin) -> None:
        super().__init__()
        self.session, self.row = session, row

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(f"Check-in: {self.row.name} - scene {self.row.scene}", classes="title", markup=False)
            with RadioSet(id="statuses"):
                for status in RECORDABLE:
                    yield RadioButton(STATUS_WORDS[status], id=status.value.replace("-", "_"))
            for field, label, hint in self.FIELDS:
                with Horizontal(classes="form-row"):
                    yield Label(label)
                    yield Input(placeholder=hint, id=field, compact=True)
            yield Static("Arrows and Space: status    Tab: next field    F2: save    Escape: cancel", id="keys")
            yield Static(id="message", classes="message", markup=False)

    def on_mount(self) -> None:
        self.app.services.run(self, self._open, say=self.say)

    async def _open(self) -> None:
        record = await self.app.services.ic(checkins.read_notes, self.session, self.row.scene, self.row.ref)
        if record.status != Status.PENDING:
            self.query_one(f"#{record.status.replace('-', '_')}", RadioButton).value = True
        for field in ("follow_up_owner", "signposting", "note"):
            self.query_one(f"#{field}", Input).value = getattr(record, field) or ""
        self.query_one("#due", Input).value = record.follow_up_due or ""

    async def save(self) -> None:
        # The buttons' own values, not RadioSet.pressed_button: that follows a message that may still be
        # queued behind the key that saves.
        chosen = next((button for button in self.query(RadioButton) if button.value), None)
        if chosen is None or chosen.id is None:
            self.say("Choose a status first (arrows, then Space).")
            return
        value = {
            field: self.query_one(f"#{field}", Input).value
            for field in ("follow_up_owner", "due", "signposting", "note")
        }
        await self.app.services.ic(
            checkins.record,
            self.session,
            self.row.scene,
            self.row.ref,
            chosen.id.replace("_", "-"),
            note=value["note"],
            signposting=value["signposting"],
            follow_up_owner=value["follow_up_owner"],
            due=value["due"] or None,
        )
        self.dismiss(True)


class AddToCheckIns(Form):
    """Add someone else (crew too) to a scene's check-ins: the scene (the door's, unless changed), and the
    person found by name like everywhere else; Enter on them adds them."""

    CONFIDENTIAL = True
    AUTO_FOCUS = "#search"

    def __init__(self, session: checkins.ICSession) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Add someone to a scene's check-ins", classes="title")
            with Horizontal(classes="form-row"):
                yield Label("Scene")
                yield Input(self.app.scene_ref or "", placeholder="scene ref, e.g. 42", id="scene", compact=True)
            yield PersonPicker("Who? Name, ref or department, then Enter on them")
            yield Static(id="message", classes="message", markup=False)

    def on_person_picker_chosen(self, event: PersonPicker.Chosen) -> None:
        self.action_save()

    async def save(self) -> None:
        people = self.query_one(PersonPicker).refs
        if not people:
            self.say("Choose the person: type part of the name, then Enter on them.")
            return
        await self.app.services.ic(checkins.add, self.session, self.value("#scene"), people[0])
        self.dismiss(True)


class FollowUpsScreen(ListScreen[ICCheckin]):
    """Follow-ups across all scenes, open ones first (soonest due); D marks the highlighted one done today."""

    CONFIDENTIAL = True
    BINDINGS = [Binding("escape", "close", "Back"), Binding("d,D", "done", "Done today")]
    COLUMNS = (
        Col("Scene", width=5),
        Col("Name", share=2),
        Col("Owner", share=1),
        Col("Due", width=10),
        Col("Done on", width=10),
        Col("", width=7),
    )

    def __init__(self, session: checkins.ICSession) -> None:
        super().__init__()
        self.session = session
        self.changed = False

    def compose(self) -> ComposeResult:
        yield Label("Follow-ups (open first)", classes="title")
        yield Table(id="rows", cursor_type="row", zebra_stripes=True)
        yield Static(id="message", classes="message", markup=False)
        yield Footer()

    async def fetch(self) -> list[ICCheckin]:
        return await self.app.services.ic(checkins.follow_ups, self.session)

    def key(self, row: ICCheckin) -> str:
        return str(row.id)

    def cells(self, row: ICCheckin) -> tuple[str, ...]:
        return (
            row.scene,
            row.name,
            row.follow_up_owner or "",
            row.follow_up_due or "",
            row.follow_up_done_on or "",
            "OVERDUE" if row.overdue else "",
        )

    def action_done(self) -> None:
        row = self.current()
        if row is not None:
            self.app.services.run(self, self._done, row, say=self.query_one("#message", Static).update)

    async def _done(self, row: ICCheckin) -> None:
        await self.app.services.ic(checkins.mark_follow_up_done, self.session, row.scene, row.ref)
        self.changed = True
        self.load()

    def action_close(self) -> None:
        self.dismiss(self.changed)
