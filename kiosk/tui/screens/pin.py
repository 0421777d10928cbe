"""The supervisor PIN: set at first run, asked before the supervisor menu."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from kiosk.services import access

if TYPE_CHECKING:
    from kiosk.tui.app import KioskApp


class PinScreen(ModalScreen[bool]):
    """Asks the supervisor PIN; dismisses with True when it is right, False on Escape."""

    app: KioskApp
    BINDINGS = [Binding("escape", "dismiss(False)", "Back to the door")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Supervisor PIN", classes="title")
            yield Input(password=True, placeholder="PIN, then Enter", id="pin")
            yield Static(id="message", classes="message", markup=False)

    def say(self, words: str) -> None:
        self.query_one("#message", Static).update(words)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Check the PIN typed; Enter on an empty field is no try at all (it is not counted as a wrong PIN)."""
        event.input.value = ""
        if not event.value.strip():
            self.say("Type the PIN, then Enter.")
            return
        self.app.services.run(self, self._check, event.value, say=self.say, exclusive=True)

    async def _check(self, pin: str) -> None:
        if self.app.store.lost:  # nothing can be recorded: the PIN only lets the supervisor leave and restart
            await self.app.services.db(access.check_pin_to_leave, pin)
        else:
            await self.app.services.db(access.check_pin, pin, kiosk=self.app.kiosk_id)
        self.dismiss(True)


class SetPinScreen(ModalScreen[None]):
    """First run: the supervisor sets the PIN (twice); it cannot be skipped."""

    app: KioskApp

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("First run: set the supervisor PIN", classes="title")
            yield Static(
                f"{access.PIN_MIN_LENGTH} or more digits. It guards leaving the kiosk, choosing the "
                "scene, setup and reports. Keep it away from the door."
            )
            yield Input(password=True, placeholder="New PIN", id="pin")
            yield Input(password=True, placeholder="The same PIN again", id="again")
            yield Static(id="message", classes="message", markup=False)

    def say(self, words: str) -> None:
        self.query_one("#message", Static).update(words)
        pin = self.query_one("#pin", Input)
        pin.value = self.query_one("#again", Input).value = ""
        pin.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        pin, again = self.query_one("#pin", Input), self.query_one("#again", Input)
        if event.input is pin:
            again.focus()
        elif pin.value != again.value:
            self.say("The two PINs differ - type them again.")
        else:
            self.app.services.run(self, self._set, pin.value, say=self.say, exclusive=True)

    async def _set(self, pin: str) -> None:
        await self.app.services.db(access.set_pin, pin, kiosk=self.app.kiosk_id)
        self.dismiss(None)
