"""What the door does beside the scans: following the hub, and automatic backups to a folder (a USB stick).

Each runs in a process of its own with its own connection to the kiosk file (``kiosk.services.follow.follow``,
``kiosk.services.keeper.BackupKeeper``), never on the app's database thread: a scan never waits for the
network or the stick, and the door decides alone when either is gone.  What they have to say comes back on a
queue, and a thread in the app hands it on as a message (``HubNews``, ``BackupNews``, posted thread-safely);
the door screen then reads its lists again through its usual guarded call, so events pulled from other doors
show as they arrive.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from multiprocessing import resource_tracker
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

from kiosk.services.backup import EVERY_SECONDS, KEEP
from kiosk.services.keeper import LOOK_SECONDS, BackupKeeper, BackupStatus
from kiosk.services.sync import SyncResult

if TYPE_CHECKING:
    from textual.app import App

STOP_WAIT = 3.0  # seconds the kiosk waits for each background process when it closes (then it is ended)
NICENESS = 10  # the background processes yield the CPU to the door


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


def _quiet_and_low(stop: Any) -> None:
    """In a background process: yield the CPU to the door, never write on the kiosk's terminal, and stop when
    the kiosk is gone, however it went (a kiosk killed outright does not get to say so)."""
    os.nice(NICENESS)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    parent = os.getppid()

    def watch() -> None:  # polls, never waits on ``stop``: a process that ends with a thread waiting on a
        while not stop.is_set():  # multiprocessing Event leaves the next ``set()`` waiting for it for ever
            time.sleep(1.0)
            if os.getppid() != parent:
                stop.set()

    threading.Thread(target=watch, name="kiosk-watch", daemon=True).start()


def _following(path: Path, kiosk: str, hub: HubSettings, stop: Any, wake: Any, told: Any) -> None:
    """The follower, in its process: each sync's result goes to ``told``."""
    _quiet_and_low(stop)
    from kiosk.services.follow import follow

    try:
        follow(path, hub.dsn, kiosk, hub.password, stop=stop, wake=wake, on_result=told.put, **hub.options)
    except Exception as error:  # a defect: the door goes on, and the line says syncing stopped
        told.put(SyncResult(kiosk, error=f"syncing stopped ({type(error).__name__}: {error})", reason="defect"))


def _keeping(path: Path, kiosk: str, backups: BackupSettings, stop: Any, told: Any) -> None:
    """The backup keeper, in its process: each try's status goes to ``told``."""
    _quiet_and_low(stop)
    BackupKeeper(
        path,
        backups.folder,
        kiosk,
        every=backups.every,
        keep=backups.keep,
        look=backups.look,
        on_status=told.put,
        stop=stop,
    ).run()


class _Child:
    """One background process, and the thread in the app that hands on what it tells (``tell``)."""

    def __init__(
        self,
        context: Any,
        name: str,
        target: Callable[..., None],
        args: tuple,
        tell: Callable[[Any], None],
        wake: Any = None,
    ) -> None:
        self.stop, self.wake, self.told = context.Event(), wake, context.Queue()
        self.process = context.Process(
            target=target, args=(*args, self.stop, *((wake,) if wake else ()), self.told), name=name, daemon=True
        )
        self.tell = tell
        self._done = threading.Event()
        self._reader = threading.Thread(target=self._hand_on, name=f"{name}-news", daemon=True)

    def start(self) -> None:
        self.process.start()
        self._reader.start()

    def _hand_on(self) -> None:
        while not self._done.is_set():
            try:
                news = self.told.get(timeout=0.5)
            except queue.Empty:
                continue
            except (OSError, EOFError, ValueError):  # the process is gone
                return
            self.tell(news)

    def set(self, event: Any) -> None:
        """Set one of the process's events - only while it runs: a process gone while waiting on one leaves
        ``set()`` waiting for it for ever."""
        if self.process.is_alive():
            event.set()

    def close(self) -> None:
        self._done.set()
        self.set(self.stop)
        self.process.join(STOP_WAIT)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(STOP_WAIT)
        self._reader.join(STOP_WAIT)


class Background:
    """The door's background processes, started with the app and stopped with it.

    Processes, not threads: a thread would share the interpreter with the door, and a sync's or a backup's
    Python work (parsing and folding events, auditing a copy) would then hold up the keys of a scanner's burst
    long enough to cut a badge code in two.  Each is started fresh ("spawn": nothing of the app's threads or
    terminal state is copied), at low priority, and never writes on the terminal.
    """

    def __init__(
        self, app: App, path: Path, kiosk: str, hub: HubSettings | None, backups: BackupSettings | None
    ) -> None:
        self.app, self.path, self.kiosk = app, path, kiosk
        self.hub, self.backups = hub, backups
        self.follower: _Child | None = None
        self.keeper: _Child | None = None

    def _post(self, message: Message) -> None:
        with contextlib.suppress(RuntimeError):  # the app has closed meanwhile: nobody to tell
            self.app.post_message(message)

    def start(self) -> None:
        if self.hub is None and self.backups is None:
            return
        context = multiprocessing.get_context("spawn")
        with contextlib.redirect_stderr(sys.__stderr__):  # Textual's capture of stderr has no file descriptor
            resource_tracker.ensure_running()
        if self.hub is not None:
            self.follower = _Child(
                context,
                "kiosk-sync",
                _following,
                (self.path, self.kiosk, self.hub),
                lambda result: self._post(HubNews(result)),
                wake=context.Event(),
            )
            self.follower.start()
        if self.backups is not None:
            self.keeper = _Child(
                context,
                "kiosk-backup",
                _keeping,
                (self.path, self.kiosk, self.backups),
                lambda status: self._post(BackupNews(status)),
            )
            self.keeper.start()

    def nudge(self) -> None:
        """Something was recorded at this door: push it now."""
        if self.follower is not None:
            self.follower.set(self.follower.wake)

    def stop(self) -> None:
        for child in (self.follower, self.keeper):
            if child is not None:
                child.close()
