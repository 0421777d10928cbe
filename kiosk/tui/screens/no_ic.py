"""A performer's own choice to work without an IC, at the door (N): they scan their own badge here (it is not
a door scan), read that the choice is theirs alone and can be withdrawn at any time without a reason, and
confirm with Enter.  Scanned again by a performer whose choice stands, it is withdrawn: the set goes on hold
until an IC is here.  Nobody else can make it for them: only a performer's own valid badge is taken."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from kiosk.core.protocol import NO_IC_PROMISE
from kiosk.services import no_ic

if TYPE_CHECKING:
    from kiosk.tui.app import KioskApp

ASK = "Performer: scan your own badge here. (This is not a door scan; nobody can do this for you.)"


class NoIcScreen(ModalScreen[bool]):
    """Dismisses with whether a choice (or its withdrawal) was recorded."""

    app: KioskApp
    BINDINGS = [Binding("enter", "confirm", "Confirm"), Binding("escape", "back", "Back")]

    def __init__(self, scene: str) -> None:
        super().__init__()
        self.scene = scene
        self.code: str | None = None  # the performer's badge, held only while this screen is up
        self.performer: no_ic.Performer | None = None
        self.recorded = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(
                f"Scene {self.scene}: working without an intimacy coordinator",
                classes="title",
                id="heading",
                markup=False,
            )
            yield Static(ASK, id="message", markup=False)
            yield Static("Escape: back to the door", id="keys", markup=False)

    def take_scan(self, text: str) -> None:
        if self.recorded:  # done here: the next badge is someone at the door
            self.dismiss(True)
            self.app.call_after_refresh(self.app.scan, text)
            return
        if self.performer is not None:
            return
        self.app.services.run(self, self._identify, text, say=self._say)

    def _say(self, message: str) -> None:
        self.query_one("#message", Static).update(f"{message}\n\n{ASK}")

    async def _identify(self, code: str) -> None:
        performer = await self.app.services.db(no_ic.identify, self.scene, code)
        self.code, self.performer = code, performer
        if performer.chose:
            words = (
                f"{performer.name}: you chose to work without an IC. Withdraw that choice now? No reason is "
                "needed. The set goes on hold until an intimacy coordinator is here."
            )
            keys = "Enter: withdraw my choice    Escape: no, back"
        else:
            words = f"{performer.name}: work on this scene without an intimacy coordinator?\n\n{NO_IC_PROMISE}"
            keys = "Enter: yes, this is my own choice    Escape: no, back"
        self.query_one("#message", Static).update(words)
        self.query_one("#keys", Static).update(keys)

    def action_confirm(self) -> None:
        if self.recorded:
            self.dismiss(True)
        elif self.performer is not None and self.code is not None:
            self.app.services.run(self, self._choose, self.code, self.performer.chose, say=self._say)

    async def _choose(self, code: str, withdraw: bool) -> None:
        choice = await self.app.services.db(no_ic.choose, self.scene, code, self.app.kiosk_id, withdraw=withdraw)
        self.recorded, self.code = True, None
        name = choice.performer.name
        if withdraw:
            words = f"{name}: your choice is withdrawn." + (
                " The set is ON HOLD until an IC is here." if choice.held else ""
            )
        else:
            words = (
                f"{name}: your choice is recorded. You can withdraw it at any time, without a reason: scan "
                "your badge here again (N)."
            )
            words += (
                "\nEvery performer chose it: the scene runs without an IC."
                if choice.without_ic
                else "\nThe scene still needs an IC until every performer has made this choice themselves."
            )
        self.query_one("#message", Static).update(words)
        self.query_one("#keys", Static).update("Enter or Escape: back to the door")

    def action_back(self) -> None:
        self.code = None
        self.dismiss(self.recorded)
