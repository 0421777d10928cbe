"""Following the hub: a kiosk kept in step with it for as long as it runs, off the door's own thread.

``follow`` is the loop: it syncs, then waits until there is something to do - another device pushed (the hub's
LISTEN/NOTIFY wake-up), this kiosk recorded something (``nudge``, or its own new events seen in the file), or
``fallback`` seconds passed - and syncs again.  It opens its own connection to the kiosk file, so the door's
database thread never waits on the network; its writes are the short transactions of ``sync_once``.

It never stops on a lost hub or a busy disk: it says so (``on_result``), waits a growing pause (1 s doubling up
to a minute, with some jitter so that many kiosks do not come back in step) and tries again.  It stops, saying
why, only for what trying again cannot cure: this device revoked, a history that conflicts with the hub's, a
refused password or certificate, a login for another device.

``Follower`` runs it in a thread, for the door screen: ``start()``, ``nudge()`` after each scan, ``result``
for the status line, ``stop()``.
"""

from __future__ import annotations

import random
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from time import monotonic

from kiosk.core.events import EventError
from kiosk.errors import KioskError
from kiosk.hub import HubClient, HubError
from kiosk.services import anomalies
from kiosk.services.sync import BATCH, Clock, SyncResult, failed, sync_once, utc_now
from kiosk.store import Store, reopen
from kiosk.store import sync as state

FALLBACK_SECONDS = 30.0  # sync at least this often, woken or not
POLL_SECONDS = 0.2  # how often the wait looks for this kiosk's own new events
FIRST_PAUSE, LONGEST_PAUSE = 1.0, 60.0  # after a failed sync
ANOMALY_SECONDS = 300.0  # how often the anomalies this kiosk's events are part of are counted for the hub


def pauses(first: float = FIRST_PAUSE, longest: float = LONGEST_PAUSE) -> Callable[[], float]:
    """The pause before each try after a failure: doubling from ``first`` up to ``longest``, each within a
    fifth either way."""
    pause = first / 2

    def next_pause() -> float:
        nonlocal pause
        pause = min(pause * 2, longest)
        return pause * random.uniform(0.8, 1.2)

    return next_pause


def report_anomalies(db: Store, client: HubClient) -> int:
    """Count the anomalies and conflicts this kiosk's events are part of, and record the count at the hub."""
    count = anomalies.find(db).involving(client.device)
    client.report_anomalies(count)
    return count


class _Idle:
    """Waiting for something to do between syncs."""

    def __init__(self, db: Store, device: str, stop: threading.Event, wake: threading.Event, poll: float):
        self.db, self.device, self.stop, self.wake, self.poll = db, device, stop, wake, poll

    def until_work(self, client: HubClient, fallback: float) -> None:
        known = state.local_seq(self.db, self.device)
        deadline = monotonic() + fallback
        while not self.stop.is_set() and (left := deadline - monotonic()) > 0:
            if self.wake.is_set() or state.local_seq(self.db, self.device) != known:
                break
            if client.wait(min(self.poll, left)):
                break
        self.wake.clear()


def follow(
    path: Path,
    dsn: str,
    kiosk: str,
    password: str | None = None,
    *,
    stop: threading.Event,
    wake: threading.Event | None = None,
    on_result: Callable[[SyncResult], object] = lambda result: None,
    fallback: float = FALLBACK_SECONDS,
    poll: float = POLL_SECONDS,
    batch: int = BATCH,
    clock: Clock = utc_now,
    pause: Callable[[], Callable[[], float]] = pauses,
) -> SyncResult:
    """Keep the kiosk file at ``path`` (open in this process already, through ``kiosk.store.connect``) in step
    with the hub until ``stop`` is set, or a failure that trying again cannot cure; returns the last result.
    Each sync's result goes to ``on_result``."""
    idle = _Idle(reopen(path), kiosk, stop, wake or threading.Event(), poll)
    client: HubClient | None = None
    result = SyncResult(kiosk)
    next_pause = pause()
    counted_at = -ANOMALY_SECONDS
    try:
        while not stop.is_set():
            try:
                client = client or HubClient(dsn, password)
                result = sync_once(idle.db, client, kiosk, batch=batch, clock=clock)
                if monotonic() - counted_at >= ANOMALY_SECONDS:
                    report_anomalies(idle.db, client)
                    counted_at = monotonic()
                on_result(result)
                next_pause = pause()
                idle.until_work(client, fallback)
            except (HubError, KioskError, EventError, sqlite3.Error) as error:
                result = failed(idle.db, kiosk, error, clock)
                on_result(result)
                if not result.retry:
                    return result
                stop.wait(next_pause())
        return result
    finally:
        if client is not None:
            client.close()
        idle.db.close()


class Follower:
    """``follow`` in a thread of its own, for the door screen.  The latest result is ``result`` (None before
    the first sync ends); ``running`` is False once it stopped (``result`` says why)."""

    def __init__(self, path: Path, dsn: str, kiosk: str, password: str | None = None, **options) -> None:
        self._stop, self._wake = threading.Event(), threading.Event()
        self._result: SyncResult | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._run, args=(path, dsn, kiosk, password), kwargs=options, name="kiosk-sync", daemon=True
        )

    def _keep(self, result: SyncResult) -> None:
        with self._lock:
            self._result = result

    def _run(self, path: Path, dsn: str, kiosk: str, password: str | None, **options) -> None:
        try:
            follow(path, dsn, kiosk, password, stop=self._stop, wake=self._wake, on_result=self._keep, **options)
        except Exception as error:  # a defect: the door goes on, and the status line says syncing stopped
            self._keep(SyncResult(kiosk, error=f"syncing stopped ({type(error).__name__}: {error})", reason="defect"))

    @property
    def result(self) -> SyncResult | None:
        with self._lock:
            return self._result

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        self._thread.start()

    def nudge(self) -> None:
        """Something was recorded here: push it now rather than at the next look."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
