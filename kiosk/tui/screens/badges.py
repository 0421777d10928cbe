"""Setup: badges (behind the supervisor PIN) - preview one with its QR, issue new ones to a folder and a
printable sheet, revoke one.

Issuing is all or nothing in four steps: new codes are planned (database), the files drawn (render process),
the issue recorded (database: from then on the old badges stop working), and the files put in place.  A draw
that fails records nothing; a record that fails discards the drawn files.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, RadioButton, RadioSet, Static

from kiosk.badges import Staged, stage, terminal_qr, undrawable
from kiosk.core.badge import BadgeCard
from kiosk.core.text import department_and_role
from kiosk.services import badges
from kiosk.tui.screens.form import FilteredList, Form
from kiosk.tui.widgets import Col, Table, local_time

if TYPE_CHECKING:
    from kiosk.tui.app import KioskApp


BADGE_WORDS = {"active": "valid", "revoked": "REVOKED", "superseded": "replaced", None: "none"}


class BadgesScreen(FilteredList[badges.BadgeState]):
    """Everyone with their latest badge and its status (valid, REVOKED and why, replaced, none): Enter previews
    one, F2 issues a new one, F4 everyone's, F8 revokes one."""

    TITLE_WORD = "Badges"
    FILTER_HINT = "Filter: part of a name, ref, department or role (Enter: to the table)"
    COLUMNS = (
        Col("Ref", share=1, least=4),
        Col("Name", share=3),
        Col("Badge", width=8),
        Col("Since", width=10),
        Col("Why", share=2),
        Col("Department", share=1),
    )
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Back"),
        Binding("f2", "issue", "New badge"),
        Binding("f4", "issue_all", "Badges for all"),
        Binding("f5", "filter", "Filter"),
        Binding("f8", "revoke", "Revoke"),
    ]

    async def fetch(self) -> list[badges.BadgeState]:
        return await self.app.services.read(badges.badge_states)

    def key(self, row: badges.BadgeState) -> str:
        return row.ref

    def searched(self, row: badges.BadgeState) -> tuple[str, ...]:
        return row.ref, row.name, row.department, row.role

    def cells(self, row: badges.BadgeState) -> tuple[str, ...]:
        since = local_time(row.ended_at if row.status == "revoked" else row.issued_at, date=True)[:10]
        why = row.end_reason if row.status == "revoked" else ""
        return row.ref, row.name, BADGE_WORDS[row.status], since, why or "", row.department

    def shown(self) -> None:
        counts = Counter(row.status for row in self.rows)
        shown = self.table().row_count
        filtered = f", {shown} shown" if shown != len(self.rows) else ""
        self.query_one("#heading", Label).update(
            f"Badges: {counts['active']} valid, {counts['revoked']} revoked, {counts[None]} none "
            f"({len(self.rows)} people{filtered})"
        )

    def on_data_table_row_selected(self, event: Table.RowSelected) -> None:
        if (person := self.current()) is not None:
            self.app.push_screen(BadgePreview(person.ref))

    def action_issue(self) -> None:
        if (person := self.current()) is not None:
            self.app.push_screen(IssueForm([(person.ref, person.name)]), self._changed)

    def action_issue_all(self) -> None:
        self.app.push_screen(IssueForm(None), self._changed)

    def action_revoke(self) -> None:
        if (person := self.current()) is not None:
            self.app.push_screen(RevokeForm(person.ref, person.name), self._changed)

    def _changed(self, done: bool | None) -> None:
        if done:
            self.load()


class BadgePreview(ModalScreen[None]):
    """One person's valid badge: name, department and role; and, just after it was issued (``card``), its code
    and QR to try with the scanner.  The kiosk keeps only the code's digest, so later it shows that the badge is
    valid and since when, and a reprint is a new badge."""

    app: KioskApp
    GUARDED = True
    BINDINGS = [Binding("escape,enter", "dismiss(None)", "Back")]

    def __init__(self, ref: str, card: BadgeCard | None = None) -> None:
        super().__init__()
        self.ref, self.card = ref, card

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog"):
            yield Static(id="card")
            yield Static(id="qr")

    def on_mount(self) -> None:
        self.app.services.run(self, self._show)

    async def _show(self) -> None:
        services = self.app.services
        card = self.card or await services.db(badges.active_card, self.ref)
        if card is None:
            self.query_one("#card", Static).update(Text(f"{self.ref} has no valid badge: F2 issues one."))
            return
        code = (
            (card.code_text, "bold")
            if card.code
            else "Valid badge. Its code is on the printed badge only (the kiosk keeps a digest): F2 issues a new one."
        )
        self.query_one("#card", Static).update(
            Text.assemble(
                (f"{card.production}\n", "bold"),
                (f"{card.name}\n", "bold"),
                f"{department_and_role(card.department, card.role)}\n",
                code,
            )
        )
        if card.code:
            self.query_one("#qr", Static).update(Text(await services.draw(terminal_qr, card.code), no_wrap=True))


class IssueForm(Form):
    """Where to write new badges: a folder of PNGs and a PDF sheet to print at actual size.

    A name with characters no installed font has would print as squares: the first F2 says so, and which font
    package to install; F2 again issues them all the same.
    """

    SUBMIT_FROM = "sheet"

    def __init__(self, people: list[tuple[str, str]] | None) -> None:
        super().__init__()
        self.people = people  # (ref, name) of each, or None for everyone
        self.refs = [ref for ref, _ in people] if people else None
        self.warned = False

    def compose(self) -> ComposeResult:
        folder = self.app.store.path.parent / "badges"
        who = ", ".join(f"{name} ({ref})" for ref, name in self.people) if self.people else "everyone on the roster"
        with Vertical(classes="dialog"):
            yield Label(f"New badges for {who}: their old badges stop working", classes="title", markup=False)
            yield Input(str(folder), placeholder="Folder for the PNGs", id="out")
            yield Input(str(folder / "sheet.pdf"), placeholder="PDF sheet (empty: none)", id="sheet")
            with RadioSet(id="paper"):
                yield RadioButton("A4 sheet", value=True, id="a4")
                yield RadioButton("Letter sheet", id="letter")
                yield RadioButton("Card printer (one CR80 card a page)", id="cr80")
            yield Static("F2: issue    Escape: cancel")
            yield Static(id="message", classes="message", markup=False)

    async def save(self) -> None:
        services = self.app.services
        out, sheet = Path(self.value("#out")).expanduser(), self.value("#sheet")
        sheet_path = Path(sheet).expanduser() if sheet else None
        paper = next(str(button.id) for button in self.query(RadioButton) if button.value)
        cards = await services.db(badges.plan_badges, self.refs)
        if not self.warned:
            warnings = await services.draw(undrawable, cards)
            self.warned = True
            if warnings:
                self.say(
                    "\n".join(warnings[:3])
                    + (f"\n...and {len(warnings) - 3} more." if len(warnings) > 3 else "")
                    + "\nF2 again: issue them all the same."
                )
                return
        self.say(f"Drawing {len(cards)} badge(s)...")
        staged: Staged = await services.draw(stage, cards, out, sheet_path, paper)
        try:
            await services.db(badges.record_badges, cards, kiosk=self.app.kiosk_id)
        except BaseException:
            await services.draw(staged.discard)
            raise
        await services.draw(staged.commit)
        self.notify(f"{len(cards)} badge(s) issued to {out}" + (f", sheet {sheet}" if sheet else "") + ".")
        self.dismiss(True)
        if len(cards) == 1:  # the one time its code is known: shown with its QR, to try with the scanner
            self.app.push_screen(BadgePreview(cards[0].ref, cards[0]))


class RevokeForm(Form):
    """Revoke one person's badge at once, saying why."""

    SUBMIT_FROM = "reason"

    def __init__(self, ref: str, name: str) -> None:
        super().__init__()
        self.ref, self.holder = ref, name

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(
                f"Revoke the badge of {self.holder} ({self.ref}): refused at every door from now on",
                classes="title",
                markup=False,
            )
            yield Input(placeholder="Why (for the record), then Enter", id="reason")
            yield Static(id="message", classes="message", markup=False)

    async def save(self) -> None:
        await self.app.services.db(badges.revoke_badge, self.ref, self.value("#reason"), kiosk=self.app.kiosk_id)
        self.notify(f"Badge of {self.holder} ({self.ref}) revoked.")
        self.dismiss(True)
