"""The kiosk app: locked down, fed by a barcode scanner, calling the services on one background thread."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from textual import events
from textual.app import App
from textual.screen import Screen
from textual.theme import Theme
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from kiosk.core.door import Zone
from kiosk.services import ServiceError
from kiosk.services import access
from kiosk.store.db import Store, StoreError, explain
from kiosk.tui.scanner import SCAN_GAP, Burst, KeyBurst

HIGH_CONTRAST = Theme(
    name="kiosk-high-contrast", dark=True, primary="#5fafff", secondary="#ffffff", accent="#ffd700",
    foreground="#ffffff", background="#000000", surface="#101010", panel="#1c1c1c",
    success="#00c853", warning="#ffab00", error="#ff1744",
)


class Refused(Exception):
    """A service call failed and the person at the kiosk has already been told why."""


class Gateway:
    """The app's only way to the services: every call runs on one background thread, one after another.

    The screen never waits on the disk (a scan's durable commit, a slow lock held by another kiosk), and the
    calls reach the database in the order they were made, on the one connection.
    """

    def __init__(self, db: Store):
        self.db = db
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-db")

    async def run(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, functools.partial(function, *args, **kwargs))

    def close(self) -> None:
        """Finish the calls under way; the database stays open for whoever opened it."""
        self._thread.shutdown(wait=True)


class KioskApp(App, inherit_bindings=False):
    """The stage-door kiosk.  No ctrl+q, ctrl+c, ctrl+z or command palette: leaving needs the supervisor PIN."""

    CSS_PATH = "kiosk.tcss"
    ENABLE_COMMAND_PALETTE = False
    TITLE = "Closed-set door"

    def __init__(self, db: Store, kiosk_id: str, scene: str | None = None,
                 scan_gap: float = SCAN_GAP, notice: str = ""):
        super().__init__()
        self.gateway = Gateway(db)
        self.kiosk_id = kiosk_id
        self.scene_ref = scene
        self.zone = Zone.SET
        self.notice = notice  # shown once at start (the demo's PIN and badge folder)
        self.keys = KeyBurst(scan_gap)
        self._pause: Timer | None = None
        self._passing_through: set[int] = set()
        self.register_theme(HIGH_CONTRAST)
        self.theme = HIGH_CONTRAST.name

    def get_default_screen(self) -> Screen:
        from kiosk.tui.screens.door import DoorScreen

        return DoorScreen()

    async def on_mount(self) -> None:
        from kiosk.tui.screens.pin import SetPinScreen

        if not await self.call(access.pin_is_set):
            await self.push_screen(SetPinScreen())
        if self.notice:
            self.notify(self.notice, title="Demo production", timeout=30)

    async def on_unmount(self) -> None:
        self.gateway.close()

    # --- services ---------------------------------------------------------------------------------------

    async def call(self, service: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``service(db, *args, **kwargs)`` on the database thread, as ``attempt`` runs it."""
        return await self.attempt(service, self.gateway.db, *args, **kwargs)

    async def attempt(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a service on the database thread; tell the user plainly when it fails, and raise ``Refused``.

        A refusal of the request (``ServiceError``) is a warning; a database failure means nothing was
        recorded, and says so in red until a later write succeeds.
        """
        try:
            result = await self.gateway.run(function, *args, **kwargs)
        except ServiceError as error:
            self.notify(str(error), severity="warning", timeout=8)
            raise Refused(str(error)) from None
        except (StoreError, sqlite3.Error, OSError) as error:
            message = explain(self.gateway.db.path, error) if isinstance(error, sqlite3.Error) else str(error)
            self.not_recorded(message)
            raise Refused(message) from None
        except Exception as error:  # a defect must not take the door down: report it and carry on
            message = f"Unexpected error ({type(error).__name__}: {error}). NOT RECORDED."
            self.not_recorded(message)
            raise Refused(message) from None
        self.not_recorded(None)
        return result

    def not_recorded(self, message: str | None) -> None:
        """Show (or with ``None`` clear) the red "NOT RECORDED" banner on the door screen."""
        from kiosk.tui.screens.door import DoorScreen

        for screen in self.screen_stack:
            if isinstance(screen, DoorScreen):
                screen.set_failure(message)
        if message:
            self.notify(message, title="NOT RECORDED", severity="error", timeout=10)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A defect in a screen's background task is shown, never silently lost and never fatal."""
        if event.state is WorkerState.ERROR:
            self.notify(f"Screen error: {event.worker.error!r}", severity="error", timeout=10)

    # --- the scanner ------------------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        """Hold text keys while they come as a burst; a burst is a scan, wherever the focus is.

        Only keys fresh from the terminal are held: not one let through after a burst, nor one that comes
        back up to the app after the focused widget left it to the bindings.
        """
        if isinstance(event, events.Key) and not event.is_forwarded and id(event) not in self._passing_through:
            if self.keys.takes(event.key, event.character):
                for burst in self.keys.feed(event, event.key, event.character, event.time):
                    await self._end_burst(burst)
                if self._pause is not None:
                    self._pause.stop()
                self._pause = self.set_timer(self.keys.wait, self._on_pause) if self.keys.holding else None
                return
            if (burst := self.keys.flush()) is not None:
                await self._end_burst(burst)
        if isinstance(event, events.Key):
            self._passing_through.discard(id(event))
        await super().on_event(event)

    async def _on_pause(self) -> None:
        if (burst := self.keys.flush()) is not None:
            await self._end_burst(burst)

    async def _end_burst(self, burst: Burst) -> None:
        typing = self.focused is not None and self.focused.check_consume_key("a", "a")  # an Input, a TextArea
        if burst.is_scan(typing_into_field=typing):
            self.scan(burst.text)
            return
        for event in burst.events:  # a person's key presses: on to bindings and the focused widget
            self._passing_through.add(id(event))
            await self.on_event(event)

    def scan(self, text: str) -> None:
        """Decide and record a scan at this door; the verdict shows once the row is on disk."""
        from kiosk.tui.screens.door import DoorScreen

        door_screen = next((s for s in self.screen_stack if isinstance(s, DoorScreen)), None)
        if door_screen is None:
            return
        if self.scene_ref is None:
            self.notify("No closed scene chosen: the supervisor chooses one (F10).", severity="warning")
            return
        self.run_worker(door_screen.record_scan(text, self.scene_ref, self.zone), group="scans",
                        exit_on_error=False)

    async def door_call(self, service: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A service call for the door of the current scene, with this kiosk's id."""
        return await self.call(service, self.scene_ref, *args, kiosk=self.kiosk_id, **kwargs)


def run_kiosk(db: Store, kiosk_id: str, scene: str | None = None, notice: str = "") -> None:
    KioskApp(db, kiosk_id, scene, notice=notice).run()

