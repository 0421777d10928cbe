"""A question before something that cannot be taken back at a glance: leave the kiosk, switch the door's
zone, write over a file.  Dismisses with True (go ahead) or False."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class Confirm(ModalScreen[bool]):
    """``question`` with ``details`` under it; Enter (or ``also``, e.g. the key that asked) says yes."""

    BINDINGS = [Binding("enter", "answer(True)", "Yes"), Binding("escape", "answer(False)", "No")]

    def __init__(self, question: str, details: str = "", yes: str = "go ahead", also: str = "") -> None:
        super().__init__()
        self.question, self.details, self.yes = question, details, yes
        self.also = {key.strip() for key in also.split(",") if key.strip()}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="title", markup=False)
            if self.details:
                yield Static(self.details, id="details", markup=False)
            yield Static(f"Enter: {self.yes}    Escape: no, back", id="keys", markup=False)

    def on_key(self, event: events.Key) -> None:
        if event.key in self.also:
            event.stop()
            self.dismiss(True)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
