"""Syncing a kiosk file with the hub: push this kiosk's events, then pull everyone's, until caught up.

The door never waits for the hub: it decides and records alone, and its events wait in the file until a sync
gets them to the hub.  A sync sends them in batches (the hub keeps each event once, whatever is sent twice) and
marks them held only after the hub has committed them; then it takes the other devices' events in pages, each
applied in one short write transaction of its own (``kiosk.store.sync.apply``), so a scan at the door waits at
most for one page, never for the whole catch-up.  Every sync reports this kiosk's clock to the hub, which
measures its skew and flags more than two minutes.

A sync that does not get through changes nothing but the note of since when none has: everything waits where
it was.  ``SyncResult`` says where things stand, for ``kiosk sync``, the door's status line and reports.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from kiosk.core import anomalies as clock_rules
from kiosk.core import record as rules
from kiosk.core.events import EventError
from kiosk.errors import AUTH, CHAIN, CONFLICT, INVALID, REFUSED, REVOKED, TLS, UNREACHABLE, HubError, KioskError
from kiosk.services import ServiceError, anomalies
from kiosk.services.ic_session import empty_wal
from kiosk.store import record
from kiosk.store import sync as state
from kiosk.store.db import Store, write

if TYPE_CHECKING:  # the client (and psycopg) load only where a hub is named: the door starts without them
    from kiosk.hub import HubClient

BATCH = 500  # events per pulled page: each page is one write transaction of a few milliseconds
PUSH_BATCH = 2000  # events per push: one transaction at the hub, and only the mark written here
STORE = "store"  # SyncResult.reason when this kiosk's own file failed (disk full, damaged): try again later
FORKED = CONFLICT  # SyncResult.reason when this file holds another history of a device than the hub
WRONG_DEVICE = "device"  # SyncResult.reason when the hub login is another device than this kiosk
Clock = Callable[[], datetime]

# What a person is told on the door's status line when syncing stopped for a reason retrying cannot cure.
STOPPED = {
    REVOKED: "this kiosk was revoked at the hub",
    CONFLICT: "its record conflicts with the hub's",
    CHAIN: "its record does not follow on from the hub's",
    AUTH: "the hub refused its password",
    TLS: "the hub's certificate is not the pinned one",
    INVALID: "the hub refused its events",
    REFUSED: "the hub refused it",
    WRONG_DEVICE: "the hub login is another device's",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


class WrongDevice(ServiceError):
    """The hub login is another device than this kiosk: its events could never be pushed with it."""


@dataclass(frozen=True)
class SyncResult:
    """Where syncing stands after a sync (or, from ``status``, as the file last recorded it)."""

    device: str
    pushed: int = 0  # this kiosk's events the hub was found to hold in this sync (sent now, or before a failure)
    pulled: int = 0  # events new to this file in this sync
    waiting: int = 0  # this kiosk's events the hub does not hold yet (nothing is lost: they wait here)
    last_success: str | None = None  # the last sync that got through (ISO 8601, UTC, this kiosk's clock)
    offline_since: str | None = None  # the first sync that failed since then
    skew_seconds: float | None = None  # the hub's clock minus this kiosk's
    skew_flagged: bool = False  # more than two minutes: the hub flags it
    conflicts: int = 0  # changes made on two machines without either seeing the other, settled by the record
    stranded: dict[str, int] = field(default_factory=dict)  # events recorded here as other devices, not at the hub
    error: str | None = None
    reason: str | None = None  # HubError.reason ("unreachable", "revoked"...), or STORE

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def retry(self) -> bool:
        """Whether trying again later may get through (the hub or the disk was not there)."""
        return self.error is not None and self.reason in (UNREACHABLE, STORE)

    def line(self, now: datetime | None = None) -> str:
        """One line for the door's screen: "hub: synced 2 s ago", "hub: offline since 14:02 - 37 waiting"."""
        waiting = f" - {self.waiting} waiting" if self.waiting else ""
        clock = f" - clock off by {_span(abs(self.skew_seconds or 0))}" if self.skew_flagged else ""
        if self.error and not self.retry:
            return f"hub: stopped - {STOPPED.get(self.reason or '', self.error)}{waiting}"
        if self.offline_since:
            since = datetime.fromisoformat(self.offline_since).astimezone().strftime("%H:%M")
            return f"hub: offline since {since}{waiting or ' - nothing waiting'}"
        if self.last_success:
            ago = ((now or utc_now()) - datetime.fromisoformat(self.last_success)).total_seconds()
            return f"hub: synced {_span(max(ago, 0))} ago{waiting}{clock}"
        return f"hub: not synced yet{waiting}"


def _span(seconds: float) -> str:
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def status(db: Store, device: str) -> SyncResult:
    """Where syncing as ``device`` stands, from this file alone (no hub): what waits, the last success, since
    when it is offline and why."""
    known = state.state(db, device)
    return SyncResult(
        device,
        waiting=max(0, state.local_seq(db, device) - known.held_seq),
        last_success=known.last_success,
        offline_since=known.offline_since,
        skew_seconds=known.skew,
        skew_flagged=known.skew_flagged,
        conflicts=db.execute("SELECT count(*) FROM conflicts").fetchone()[0],
        error=known.last_error,
        reason=known.last_reason,
    )


def failed(db: Store, device: str, error: Exception, clock: Clock = utc_now) -> SyncResult:
    """A sync that did not get through: noted in the file (since when, why), and where things stand."""
    reason = (
        error.reason
        if isinstance(error, HubError)
        else FORKED
        if isinstance(error, EventError)
        else WRONG_DEVICE
        if isinstance(error, WrongDevice)
        else STORE
    )
    words = db.explain(error) if isinstance(error, sqlite3.Error) else str(error)
    try:
        with write(db):
            state.note_failure(db, device, clock().isoformat(timespec="microseconds"), words, reason)
        known = status(db, device)
    except (KioskError, sqlite3.Error):  # the file itself cannot be written: say so, with what is known
        known = SyncResult(device)
    return replace(known, error=words, reason=reason)


def sync_once(
    db: Store,
    client: HubClient,
    kiosk: str,
    *,
    batch: int = BATCH,
    clock: Clock = utc_now,
    push_batch: int | None = None,
) -> SyncResult:
    """Push this kiosk's events (``push_batch`` at a time: by default ``PUSH_BATCH``, or ``batch`` when another
    is given), then pull everyone's (pages of ``batch``) until caught up; report the clock.  Raises HubError (the
    hub), StoreError (this file), EventError (this file holds another history of a device than the hub) or
    WrongDevice; ``failed`` turns any of them into the result to show."""
    if client.device != kiosk:
        raise WrongDevice(
            f"this kiosk records its events as {kiosk!r}, but the hub login is device "
            f"{client.device!r}: they could never be pushed with it. Run this kiosk as "
            f"{client.device!r} (--kiosk-id or $KIOSK_ID), or add device {kiosk!r} at the hub."
        )
    clock_report = client.report_clock(clock())
    skew = clock_report.skew.total_seconds()
    note_clock(db, kiosk, skew, clock_report.flagged)
    pushed = _push(db, client, push_batch or (PUSH_BATCH if batch == BATCH else batch))
    pulled = _pull(db, client, batch)
    heads = client.heads()
    stranded = {
        device: seq - heads.get(device, 0)
        for device, seq in state.cursors(db).items()
        if device != kiosk and seq > heads.get(device, 0)
    }
    with write(db):
        state.note_success(db, kiosk, clock().isoformat(timespec="microseconds"), skew, clock_report.flagged)
    return replace(status(db, kiosk), pushed=pushed, pulled=pulled, stranded=stranded)


def note_clock(db: Store, kiosk: str, skew: float, flagged: bool) -> None:
    """Put on the record a clock found more than two minutes off the hub's (or back within after that), as an
    event of this kiosk that travels to every other: each door's reports then flag it."""
    if clock_rules.worth_noting(anomalies.last_clock_note(db, kiosk), skew, flagged):
        with write(db):
            record.append(
                db,
                kiosk,
                rules.CLOCK,
                rules.clock_key(kiosk),
                {"device": kiosk, "skew": round(skew, 3), "flagged": flagged},
            )


def _push(db: Store, client: HubClient, batch: int) -> int:
    """Send what the hub does not hold, batch by batch, each marked held once the hub has committed it.

    The hub's answer is the truth: should it hold less of this kiosk than this file noted (a hub restored from
    an older copy), the events are found again from the start of the file and sent again.
    """
    device = client.device
    known = state.state(db, device)
    mark, held, pushed = known.pushed_id, known.held_seq, 0
    while True:
        out = state.outgoing(db, device, mark, held, batch)
        now_held = _send(client, out, held)
        lost = now_held < held
        if lost:
            mark = 0
        else:
            pushed += sum(1 for event in out.events if held < event.seq <= now_held)
            mark = out.head_id if out.complete else out.last_id
        held = now_held
        with write(db):
            state.mark_pushed(db, device, mark, held)
        if out.complete and not lost:
            return pushed


def _send(client: HubClient, out: state.Outgoing, held: int) -> int:
    """Push one batch; the highest seq of this kiosk the hub then holds."""
    try:
        now_held = client.push(out.events, out.blobs, out.photos)
    except HubError as error:
        if error.reason != CHAIN:
            raise
        now_held = client.push([])
        if now_held >= held:  # a break in the chain itself, not a hub that lost what it held
            raise
        return now_held
    if out.events and now_held < out.events[-1].seq:
        raise HubError(
            f"the hub committed the push but holds only event {now_held} of {client.device}, not {out.events[-1].seq}",
            REFUSED,
        )
    return now_held


def _pull(db: Store, client: HubClient, batch: int) -> int:
    """Take every device's events after this file's cursors, page by page, each page one short transaction."""
    pulled = erased = 0
    while True:
        page = client.pull(state.cursors(db), batch)
        if page.events:
            with write(db):
                applied = state.apply(db, page.events, page.blobs, page.photos)
            pulled, erased = pulled + applied.new, erased + applied.erased
        if not page.more:
            break
    if erased:
        empty_wal(db)  # no old page of the erased content is left in the write-ahead log either
    return pulled
