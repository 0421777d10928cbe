"""The kiosk app: locked down, fed by a barcode scanner, calling the services through ``Services``.

App-wide state is held here as reactives that screens watch: the scene this door guards, the zone, the last
answer at the door (a verdict, or a scan that was not recorded), and a failed write (NOT RECORDED).

What the PIN or the IC's passphrase opened does not stay open for whoever walks up next: screens marked
``GUARDED`` (the supervisor's, IC mode) close after ``idle_lock`` seconds without a key, back to the door,
and those marked ``CONFIDENTIAL`` (IC mode) close as soon as a badge is scanned - someone is at the door.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events
from textual.app import App
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.theme import Theme
from textual.timer import Timer
from textual.widget import Widget

from kiosk.core.door import Zone
from kiosk.services import access, door
from kiosk.services.keeper import BackupStatus
from kiosk.services.photos import photo_of
from kiosk.services.sync import SyncResult
from kiosk.tui import photo
from kiosk.tui.background import Background, BackupNews, BackupSettings, HubNews, HubSettings
from kiosk.tui.calls import Services
from kiosk.tui.scanner import SCAN_GAP, Burst, KeyBurst
from kiosk.tui.screens.door import DoorScreen
from kiosk.tui.screens.pin import SetPinScreen

if TYPE_CHECKING:
    from kiosk.store.db import Store

IDLE_LOCK = 180  # seconds without a key before IC mode and the supervisor's screens lock ($KIOSK_IDLE_LOCK)
IDLE_LOCK_ENV = "KIOSK_IDLE_LOCK"

PhotoLookup = Callable[["Store", str], "bytes | None"]  # (database, person ref) -> the person's photo, a JPEG

HIGH_CONTRAST = Theme(
    name="kiosk-high-contrast",
    dark=True,
    primary="#5fafff",
    secondary="#ffffff",
    accent="#ffd700",
    foreground="#ffffff",
    background="#000000",
    surface="#101010",
    panel="#1c1c1c",
    success="#00c853",
    warning="#ffab00",
    error="#ff1744",
)


@dataclass(frozen=True)
class NotRecorded:
    """A scan whose verdict could not be stored: the AD must not admit on it."""

    message: str


class KioskApp(App, inherit_bindings=False):
    """The stage-door kiosk.  No ctrl+q, ctrl+c, ctrl+z or command palette: leaving needs the supervisor PIN."""

    CSS_PATH = "kiosk.tcss"
    ENABLE_COMMAND_PALETTE = False
    TITLE = "Closed-set door"
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]  # 80x24 gets the compact door, 120x40 the roomy one

    scene_ref: reactive[str | None] = reactive(None)
    zone: reactive[Zone] = reactive(Zone.SET)
    answer: reactive[door.Verdict | NotRecorded | None] = reactive(None, always_update=True)
    failure: reactive[str | None] = reactive(None)  # why the last database call failed; None once one works
    hub_result: reactive[SyncResult | None] = reactive(None, always_update=True)  # the follower's latest sync
    backup_status: reactive[BackupStatus | None] = reactive(None, always_update=True)

    def __init__(
        self,
        db: Store,
        kiosk_id: str,
        scene: str | None = None,
        scan_gap: float = SCAN_GAP,
        notice: str = "",
        idle_lock: float = IDLE_LOCK,
        photos: PhotoLookup | None = photo_of,
        hub: HubSettings | None = None,
        backups: BackupSettings | None = None,
    ):
        super().__init__()
        self.photos = photos
        self.idle_lock = idle_lock
        self._last_key = time.monotonic()
        self.services = Services(self, db)
        self.kiosk_id = kiosk_id
        self.set_reactive(KioskApp.scene_ref, scene)
        self.notice = notice  # the demo's PIN and badge folder: on the READY panel until the first answer
        self.keys = KeyBurst(scan_gap)
        self._pause: Timer | None = None
        self._passing_through: set[int] = set()
        self.register_theme(HIGH_CONTRAST)
        self.theme = HIGH_CONTRAST.name
        self.background = Background(self, Path(db.path), kiosk_id, hub, backups)

    async def photo_of(self, person_ref: str) -> bytes | None:
        """The photo (JPEG bytes) of the person a verdict names, for the door to show beside it, or None for
        nobody's.  Read on the database thread (``kiosk.services.photos.photo_of`` unless the app was given
        another lookup, or ``photos=None`` for a door without photos); called only inside ``Services.run``."""
        if self.photos is None:
            return None
        return await self.services.db(self.photos, person_ref)

    @property
    def store(self) -> Store:
        return self.services.store

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notifications show their text as it is: a name like ``Eve [/]`` is a name, never markup."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def get_default_screen(self) -> Screen:
        return DoorScreen()

    def on_mount(self) -> None:
        self.services.run(self, self._first_run)
        self.set_interval(min(5.0, self.idle_lock / 2), self._check_idle)
        self.background.start()

    async def _first_run(self) -> None:
        if not await self.services.db(access.pin_is_set):
            await self.push_screen(SetPinScreen())

    async def on_unmount(self) -> None:
        self.background.stop()
        self.services.close()

    # --- the hub and the backups, from their own threads ------------------------------------------------------

    def on_hub_news(self, news: HubNews) -> None:
        self.hub_result = news.result

    def on_backup_news(self, news: BackupNews) -> None:
        before = self.backup_status
        self.backup_status = news.status
        if news.status.words and (before is None or before.words != news.status.words):
            self.notify(news.status.words, title="Backup", severity="warning", timeout=15)

    # --- locking what the PIN or the passphrase opened ----------------------------------------------------

    def _check_idle(self) -> None:
        if time.monotonic() - self._last_key >= self.idle_lock:
            minutes = f"{self.idle_lock / 60:.0f} min" if self.idle_lock >= 60 else f"{self.idle_lock:.0f} s"
            self.lock("GUARDED", f"Locked after {minutes} without a key: the PIN or the IC passphrase opens it again.")

    def lock(self, mark: str, why: str) -> None:
        """Close every screen marked ``mark`` (and whatever is open over them), back to what lay beneath.

        Not while one of them is still working (an import, a badge issue): it locks when that is done.
        """
        stack = self.screen_stack
        first = next((index for index, screen in enumerate(stack) if getattr(screen, mark, False)), None)
        if first is None:
            return
        closing = set(stack[first:])
        if any(
            isinstance(worker.node, Widget) and worker.node.screen in closing and not worker.is_finished
            for worker in self.workers
        ):
            return
        for _ in closing:
            self.pop_screen()
        self.notify(why, timeout=8)

    # --- the scanner ------------------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        """Hold text keys while they come as a burst; a burst is a scan, wherever the focus is.

        Only keys fresh from the terminal are held: not one let through after a burst, nor one that comes
        back up to the app after the focused widget left it to the bindings.
        """
        if isinstance(event, (events.Key, events.MouseDown, events.Paste)):
            self._last_key = time.monotonic()
        if isinstance(event, events.Key) and not event.is_forwarded and id(event) not in self._passing_through:
            if self.keys.takes(event.key, event.character):
                for burst in self.keys.feed(event, event.key, event.character, event.time):
                    await self._end_burst(burst)
                if self._pause is not None:
                    self._pause.stop()
                self._pause = self.set_timer(self.keys.wait, self._on_pause) if self.keys.holding else None
                return
            if (held := self.keys.flush()) is not None:
                await self._end_burst(held)
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
        """Decide and record a scan at this door; the answer shows once its row is on disk.

        Someone is at the door: IC mode closes first, so nothing of it stays on the screen they can see.  A
        screen that asks for a badge of its own (a performer's, to choose to work without an IC) takes it
        instead: it is no door scan.
        """
        taker = getattr(self.screen, "take_scan", None)
        if callable(taker):
            taker(text)
            return
        self.lock("CONFIDENTIAL", "IC mode locked: a badge was scanned at the door.")
        if self.scene_ref is None:
            self.answer = NotRecorded("No scene is chosen at this door: the supervisor chooses one (F10).")
            return
        self.services.run(
            self,
            self._scan,
            text,
            self.scene_ref,
            self.zone,
            group="scans",
            say=lambda message: setattr(self, "answer", NotRecorded(message)),
        )

    async def _scan(self, text: str, scene: str, zone: Zone) -> None:
        self.answer = await self.services.db(door.scan, scene, text, zone, kiosk=self.kiosk_id)
        self.background.nudge()  # on its way to the hub now, not at the follower's next look


def idle_lock_from_environment() -> float:
    """``$KIOSK_IDLE_LOCK`` (seconds, at least 10), else ``IDLE_LOCK``."""
    try:
        return max(10.0, float(os.environ.get(IDLE_LOCK_ENV, IDLE_LOCK)))
    except ValueError:
        return IDLE_LOCK


def run_kiosk(
    db: Store,
    kiosk_id: str,
    scene: str | None = None,
    notice: str = "",
    photos: PhotoLookup | None = photo_of,
    hub: HubSettings | None = None,
    backups: BackupSettings | None = None,
) -> None:
    photo.choose()  # before the app starts: textual-image may ask the terminal which graphics it has
    KioskApp(
        db,
        kiosk_id,
        scene,
        notice=notice,
        idle_lock=idle_lock_from_environment(),
        photos=photos,
        hub=hub,
        backups=backups,
    ).run()
