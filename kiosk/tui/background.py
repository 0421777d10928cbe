"""What the door does beside the scans: following the hub, and automatic backups to a folder (a USB stick).

Each runs on a thread of its own with its own connection to the kiosk file (``kiosk.services.follow.Follower``,
``kiosk.services.keeper.BackupKeeper``), never on the app's database thread: a scan never waits for the
network or the stick, and the door decides alone when either is gone.  What they have to say reaches the app as
a message (``HubNews``, ``BackupNews``, posted thread-safely); the door screen then reads its lists again
through its usual guarded call, so events pulled from other doors show as they arrive.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

from kiosk.services.backup import EVERY_SECONDS, KEEP
from kiosk.services.follow import Follower
from kiosk.services.keeper import LOOK_SECONDS, BackupKeeper, BackupStatus
from kiosk.services.sync import SyncResult

if TYPE_CHECKING:
    from textual.app import App

STOP_WAIT = 3.0  # seconds the kiosk waits for its background threads when it closes (they stop at their next look)


@dataclass(frozen=True)
class HubSettings:
    """The hub this door follows: this kiosk's own connection string and password (None: in the string, or a
    libpq passfile)."""

    dsn: str
    password: str | None = field(default=None, repr=False)
    options: dict[str, Any] = field(default_factory=dict)  # for ``follow``: fallback, pause (tests)


@dataclass(frozen=True)
class BackupSettings:
    """Where and how often the door backs itself up."""

    folder: Path
    every: float = EVERY_SECONDS
    keep: int = KEEP
    look: float = LOOK_SECONDS


class HubNews(Message):
    """A sync ended (or failed): where syncing stands."""

    def __init__(self, result: SyncResult) -> None:
        super().__init__()
        self.result = result


class BackupNews(Message):
    """A backup was made, or failed."""

    def __init__(self, status: BackupStatus) -> None:
        super().__init__()
        self.status = status


def hub_words(result: SyncResult | None, waiting: int | None, now: datetime | None = None) -> str:
    """The door's hub line: the follower's latest result, with the count of this kiosk's events not yet at the
    hub as the file has it now (scans made since that sync count too)."""
    if result is None:
        return "hub: syncing" + (f" - {waiting} waiting" if waiting else "")
    return (result if waiting is None else replace(result, waiting=waiting)).line(now)


def hub_mood(result: SyncResult | None) -> str:
    """How the line is coloured: "ok", "offline" (trying again) or "stopped" (a person must act)."""
    if result is None or result.ok:
        return "ok"
    return "offline" if result.retry else "stopped"


class Background:
    """The door's background threads, started with the app and stopped with it."""

    def __init__(self, app: App, path: Path, kiosk: str, hub: HubSettings | None,
                 backups: BackupSettings | None) -> None:
        self.app = app
        self.hub, self.backups = hub, backups
        self.follower = (Follower(path, hub.dsn, kiosk, hub.password, on_result=self._hub_news, **hub.options)
                         if hub else None)
        self.keeper = (BackupKeeper(path, backups.folder, every=backups.every, keep=backups.keep,
                                    look=backups.look, on_status=self._backup_news) if backups else None)

    def _post(self, message: Message) -> None:
        with contextlib.suppress(RuntimeError):  # the app has closed meanwhile: nobody to tell
            self.app.post_message(message)

    def _hub_news(self, result: SyncResult) -> None:
        self._post(HubNews(result))

    def _backup_news(self, status: BackupStatus) -> None:
        self._post(BackupNews(status))

    def start(self) -> None:
        for thread in (self.follower, self.keeper):
            if thread is not None:
                thread.start()

    def nudge(self) -> None:
        """Something was recorded at this door: push it now."""
        if self.follower is not None:
            self.follower.nudge()

    def stop(self) -> None:
        for thread in (self.follower, self.keeper):
            if thread is not None:
                thread.stop(STOP_WAIT)
