"""The floor for the terminal benchmarks: a bare Textual app with one Input that echoes what is submitted."""

from textual.app import App, ComposeResult
from textual.widgets import Input, Static


class BareInput(App):
    def compose(self) -> ComposeResult:
        yield Static("READY", id="echo")
        yield Input()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#echo", Static).update(f"GOT {event.value}")
        event.input.value = ""


if __name__ == "__main__":
    BareInput().run()
