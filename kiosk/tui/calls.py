"""The kiosk's one way to the services: ``Services.run`` a screen's task, and inside it ``await db(...)`` for
the door's database work, ``await read(...)`` for a long read, and ``await draw(...)`` for rendering.

- Database work runs on one background thread, in the order it was asked for, on the one connection: the
  screen never waits on the disk, and a scan is never reordered behind a later call.
- Long reads (a report with its audit, the roll-call, who is inside, a whole roster) run on a thread of their
  own, on a read-only connection of their own, each inside one read transaction (a consistent snapshot): the
  database thread stays free for the scans, which WAL lets commit beside the reader.
- Rendering (report and roll-call PDFs, badge PNGs and sheets, the terminal QR) runs in a separate process at
  low priority, so a long export neither holds the database thread nor takes the interpreter from the door.
- The door's photo is decoded and scaled on a thread of its own (``picture``): quick work that must neither
  queue behind the database nor wait behind a long export in the render process.
- A failure is told to the person in words (in the screen's own message line when it gave one, else as a
  notification), a failed database write also raises the app's NOT RECORDED state, and the task ends there.
  Nothing a service raises can close the kiosk: ``db``, ``read`` and ``draw`` may only be awaited inside
  ``run``, whose worker catches what they raise, and they refuse to run anywhere else.
- ``run`` takes the task's coroutine function and its arguments, and makes the coroutine only when the worker
  starts: a task cancelled before it starts (an exclusive refresh replaced by the next) leaves nothing unawaited.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import multiprocessing
import os
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from multiprocessing import resource_tracker
from typing import TYPE_CHECKING, Any, TypeVar

from kiosk.errors import KioskError, StoreError
from kiosk.services.reading import in_snapshot, open_reader, open_writer

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.notifications import SeverityLevel
    from textual.worker import Worker

    from kiosk.store.db import Store
    from kiosk.tui.app import KioskApp

T = TypeVar("T")
DRAW_NICENESS = 10  # the render process yields the CPU to the door


class Refused(Exception):
    """A call failed and the person at the kiosk has been told why; it only ends the task it is raised in."""


@dataclass(frozen=True)
class _Task:
    say: Callable[[str], object] | None


_TASK: ContextVar[_Task | None] = ContextVar("kiosk_task", default=None)


def _quiet_and_low() -> None:
    """In the render process: yield the CPU to the door, and never write on the kiosk's terminal."""
    os.nice(DRAW_NICENESS)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)


def _render_pool() -> ProcessPoolExecutor:
    """One render process, started fresh ("spawn": nothing of the app's threads or terminal state is copied).

    Its helper (multiprocessing's resource tracker) is started against the real standard error: Textual has
    replaced ``sys.stderr`` with a capture that has no file descriptor.
    """
    with contextlib.redirect_stderr(sys.__stderr__):
        resource_tracker.ensure_running()
    return ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_quiet_and_low
    )


SWITCH_INTERVAL = 0.001  # seconds a thread may keep the interpreter while another waits for it


class Services:
    """The database thread, the reading thread, the render process, and the tasks that use them."""

    def __init__(self, app: KioskApp, db: Store):
        self.app, self.store = app, db
        # A thread that lets go of the interpreter at each SQLite call (the door's) waits for it to come back
        # from a thread busy in Python (gathering a report) up to the switch interval, at every call: at
        # Python's 5 ms a scan took 12-14 ms behind a gathering, 4-9 ms at 1 ms (idle 1-5 ms, same run).
        sys.setswitchinterval(SWITCH_INTERVAL)
        self._database = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-db")
        self._reading = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-read")
        self._reader: Store | None = None  # opened on the reading thread at its first read
        self._writing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-long-write")
        self._writer: Store | None = None  # opened on the long-writing thread at its first write
        self._render: Executor | None = None
        self._pictures = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-photo")
        self._cleared_by: Callable[..., Any] | None = None  # besides a write, what ends the NOT RECORDED state

    # --- tasks ------------------------------------------------------------------------------------------------

    def run(
        self,
        node: DOMNode,
        task: Callable[..., Awaitable[Any]],
        *args: Any,
        say: Callable[[str], object] | None = None,
        group: str = "services",
        exclusive: bool = False,
    ) -> Worker[None]:
        """Run ``task(*args)`` (a coroutine function whose coroutine awaits ``db``/``read``/``draw``) as a worker
        of ``node``; the coroutine is made when the worker starts, never for a worker cancelled before that.

        A call that fails inside it is told through ``say`` (else a notification) and ends the task; a defect
        in the screen's own code is shown as a notification.  Either way the kiosk goes on.
        """
        if inspect.isawaitable(task):
            raise TypeError("Services.run takes the task's coroutine function and its arguments, not a coroutine")

        async def guarded() -> None:
            token = _TASK.set(_Task(say))
            try:
                await task(*args)
            except Refused:
                pass  # already told
            except Exception as error:  # a defect in a screen: shown, never fatal
                self.app.notify(f"Screen error ({type(error).__name__}: {error})", severity="error", timeout=10)
            finally:
                _TASK.reset(token)

        return node.run_worker(guarded, group=group, exclusive=exclusive, exit_on_error=False)

    # --- calls ------------------------------------------------------------------------------------------------

    async def db(self, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``service(store, *args, **kwargs)`` on the database thread."""
        return await self._database_call(service, self.store, *args, **kwargs)

    async def ic(self, service: Callable[..., T], session: Any, *args: Any, **kwargs: Any) -> T:
        """``service(session, *args, **kwargs)`` on the database thread: an IC-mode service, given the IC's
        unlocked session (which holds its own way to the database)."""
        return await self._database_call(service, session, *args, **kwargs)

    async def _database_call(self, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """The call on the database thread.  A failure raises the app's NOT RECORDED state and keeps it until
        a write succeeds again - reads go on working on a full disk or a deleted file, and the door's refresh
        every few seconds must not take the banner away - or, when the failing call wrote nothing (a read), until
        that same call works again."""
        task = self._task()
        begun, done = self.store.writes_begun, self.store.writes_done  # did it write, did a write succeed
        try:
            result = await self._on(self._database, service, *args, **kwargs)
        except Exception as error:
            message, failed_write = self._words(error)
            if failed_write:
                write_pending = self.app.failure is not None and self._cleared_by is None  # a write failed before
                wrote = self.store.writes_begun > begun
                self.app.failure, self._cleared_by = message, None if write_pending or wrote else service
            self._tell(task, message, severity="error" if failed_write else "warning")
            raise Refused(message) from None
        if self.store.writes_done > done or service == self._cleared_by:
            self.app.failure = self._cleared_by = None
        return result

    async def read(self, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``service(reader, *args, **kwargs)`` on the reading thread, inside one read transaction of the
        read-only connection: for long reads, which would otherwise hold the database thread the scans use."""
        return await self._read_call(service, *args, **kwargs)

    async def _read_call(self, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        # nothing was written: told as a warning, the NOT RECORDED state untouched
        return await self._apart(self._reading, self._in_reader, "warning", service, *args, **kwargs)

    async def _apart(
        self,
        executor: Executor,
        inside: Callable[..., T],
        severity: SeverityLevel,
        service: Callable[..., T],
        *args: Any,
        **kwargs: Any,
    ) -> T:
        """The call on a thread with a connection of its own (``inside`` opens it): a failure is told with
        ``severity``, never taken for the door's NOT RECORDED (the door's own connection is not the one)."""
        task = self._task()
        try:
            return await self._on(executor, inside, service, *args, **kwargs)
        except Exception as error:
            message, _ = self._words(error)
            self._tell(task, message, severity=severity)
            raise Refused(message) from None

    def _in_reader(self, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """On the reading thread: its connection (opened at the first read, again after a failed open)."""
        if self._reader is None:
            self._reader = open_reader(self.store)
        return in_snapshot(self._reader, service, *args, **kwargs)

    async def long_write(self, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``service(writer, *args, **kwargs)`` on the long-writing thread, with a connection of its own: for a
        long write done in short transactions (a people import), so that the door's scans go in between them
        on the database thread.  A failure is told; it is not the door's NOT RECORDED (the write is all or
        nothing, and the door's own writes go on)."""
        return await self._apart(self._writing, self._in_writer, "error", service, *args, **kwargs)

    def _in_writer(self, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._writer is None:
            self._writer = open_writer(self.store)
        return service(self._writer, *args, **kwargs)

    async def draw(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)`` in the render process (its arguments and result are pickled)."""
        task = self._task()
        if self._render is None:
            self._render = _render_pool()
        try:
            return await self._on(self._render, function, *args, **kwargs)
        except Exception as error:
            message = (
                str(error)
                if isinstance(error, KioskError)
                else f"Could not draw it ({type(error).__name__}: {error}). Nothing was written."
            )
            self._tell(task, message, severity="warning")
            raise Refused(message) from None

    async def picture(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)`` on the photo thread.  A failure is told in words (a note, never NOT
        RECORDED: no record depends on a picture)."""
        task = self._task()
        try:
            return await self._on(self._pictures, function, *args, **kwargs)
        except Exception as error:
            message = (
                str(error) if isinstance(error, KioskError) else f"Photo not shown ({type(error).__name__}: {error})."
            )
            if task.say is not None:
                task.say(message)
            raise Refused(message) from None

    def close(self) -> None:
        """Finish the calls under way (the database stays open for whoever opened it)."""
        self._database.shutdown(wait=True)
        self._pictures.shutdown(wait=False, cancel_futures=True)
        self._reading.shutdown(wait=True, cancel_futures=True)
        self._writing.shutdown(wait=True)
        for connection in (self._reader, self._writer):
            if connection is not None:
                connection.close()
        self._reader = self._writer = None
        if self._render is not None:
            self._render.shutdown(wait=True, cancel_futures=True)

    # --- inside -----------------------------------------------------------------------------------------------

    @staticmethod
    def _task() -> _Task:
        task = _TASK.get()
        if task is None:
            raise RuntimeError(
                "services are called only inside Services.run(...): a failure elsewhere would close the kiosk"
            )
        return task

    @staticmethod
    async def _on(executor: Executor, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, functools.partial(function, *args, **kwargs))

    def _words(self, error: Exception) -> tuple[str, bool]:
        """What to tell the person, and whether a write may have failed (NOT RECORDED)."""
        if isinstance(error, StoreError):
            return str(error), True
        if isinstance(error, KioskError):
            return str(error), False
        if isinstance(error, sqlite3.Error):
            return self.store.explain(error), True
        if isinstance(error, OSError):
            return f"{error.strerror or error}. NOT RECORDED.", True
        return (
            f"Unexpected error ({type(error).__name__}: {error}): the record may be damaged - call the "
            "supervisor (kiosk audit verify). NOT RECORDED.",
            True,
        )

    def _tell(self, task: _Task, message: str, severity: SeverityLevel) -> None:
        if task.say is not None:
            task.say(message)
        if task.say is None or severity == "error":
            self.app.notify(
                message,
                title="NOT RECORDED" if severity == "error" else "",
                severity=severity,
                timeout=10 if severity == "error" else 8,
            )
