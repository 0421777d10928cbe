"""The one way every dialog with fields behaves: F2 saves, Enter moves on, Escape cancels."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from kiosk.tui.app import KioskApp


class Form(ModalScreen[Any]):
    """A dialog that saves with F2 (its ``action_save``); Enter moves to the next field, or saves from
    ``SUBMIT_FROM``; problems show in its ``#message`` and nothing is saved."""

    app: KioskApp
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel"), Binding("f2", "save", "Save")]
    AUTO_FOCUS = "Input"
    SUBMIT_FROM: str | None = None  # id of the input whose Enter saves

    def say(self, words: str) -> None:
        self.query_one("#message", Static).update(words)

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id is not None and event.input.id == self.SUBMIT_FROM:
            await self.run_action("save")
        else:
            self.focus_next()
