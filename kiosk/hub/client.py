"""A kiosk's side of the hub: push its own events, pull everyone's by per-device cursors, report its clock,
and wait for other devices' pushes.

One ``HubClient`` is one device (the role its connection string logs in as) on one connection, used by one
thread.  A call that finds the connection lost raises HubError with reason ``unreachable`` (``error.retry``
is true: a sync loop just tries again later) after trying once to open it again, so that the next call finds
it open, or, when the hub now refuses this device (revoked, password changed), says that instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from time import monotonic
from typing import Self

import psycopg
from psycopg import sql

from kiosk.core import events
from kiosk.core.events import Event, EventError
from kiosk.core.record import PHOTO_SET
from kiosk.errors import INVALID, REFUSED, REVOKED, UNREACHABLE, HubError
from kiosk.hub import schema
from kiosk.hub.connection import connection_params, explain, only_row, open_connection, snapshot

# One statement for the whole batch, its columns sent as binary arrays (text arrays of JSON payloads cost
# several times more to escape than the hub spends checking them).
_INSERT_EVENTS = """
INSERT INTO hub.events (device, seq, event_id, prev, hlc, type, key, payload, hash)
SELECT * FROM unnest(%b::text[], %b::bigint[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[],
                     %b::text[], %b::text[])
"""

# Each device's events after its cursor (0 for a device the caller has not named), at most `limit` of them in
# (device, seq) order; devices sort by their bytes, as Python sorts their names.  The cursors are joined as a
# relation, so that "seq > after" compares two columns and stays an index condition under row-level security
# (a COALESCE pulled up into that comparison counts as leaky, and each device's events would be read from seq 1
# and filtered row by row instead: OFFSET 0 keeps the subquery whole).
_PULL = """
SELECT e.device, e.seq, e.payload, e.hash
FROM (SELECT d.name, coalesce(c.after, 0) AS after
      FROM hub.devices AS d LEFT JOIN unnest(%(devices)s::text[], %(afters)s::bigint[]) AS c (device, after)
      ON c.device = d.name
      OFFSET 0) AS d
CROSS JOIN LATERAL (
    SELECT e.device, e.seq, e.payload, e.hash FROM hub.events AS e
    WHERE e.device = d.name AND e.seq > d.after
    ORDER BY e.seq LIMIT %(limit)s) AS e
ORDER BY d.name COLLATE "C", e.seq
LIMIT %(limit)s
"""


@dataclass(frozen=True)
class Pull:
    events: list[Event]  # in (device, seq) order
    blobs: dict[str, bytes] = field(repr=False)  # the sealed content these events refer to (erased: absent)
    cursors: dict[str, int]  # the cursors given, moved past the events returned: pass them to the next pull
    more: bool  # the limit was reached: there may be more to pull now
    photos: dict[str, bytes] = field(default_factory=dict, repr=False)  # the photos these events set (erased: absent)


@dataclass(frozen=True)
class ClockReport:
    skew: timedelta  # the hub's clock minus this device's
    flagged: bool  # further off than two minutes


def sealed_digests(event: Event) -> list[str]:
    """The sealed blobs an event refers to (its body's ``sealed``: one digest, a list, or none)."""
    try:
        return events.named_digests(event.body, schema.SEALED_FIELD)
    except EventError:
        return []  # the hub refuses such an event: there is nothing to fetch for it


_VERIFY = "whose bytes do not match its digest; its administrator should run `kiosk hub verify`"


def _check_digests(found: Mapping[str, bytes], what: str, wrong: str, reason: str) -> None:
    """HubError (``reason``) naming the first content that does not hash to the digest it is held under."""
    for digest, content in found.items():
        if hashlib.sha256(content).hexdigest() != digest:
            raise HubError(f"{what} {digest[:12]}... {wrong}", reason)


class HubClient:
    """This device at the hub.  ``HubClient(dsn)`` connects (TLS verify-full against the pinned CA) and checks
    that the role is an active device; use it as a context manager, or ``close()`` it."""

    def __init__(self, dsn: str, password: str | None = None) -> None:
        self._params = connection_params(dsn, password)
        self._conn: psycopg.Connection | None = None
        self.device = ""
        self._open()

    def __repr__(self) -> str:
        where = f"{self._params.get('host', '')}:{self._params.get('port', '')}/{self._params.get('dbname', '')}"
        return f"<HubClient device={self.device!r} hub={where}>"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    def _open(self) -> None:
        """Connect, learn which device this role is, and LISTEN for other devices' pushes."""
        conn = open_connection(self._params, autocommit=True)
        try:
            (device,) = only_row(conn.execute("SELECT hub.my_device()"))
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(schema.CHANNEL)))
        except psycopg.Error as error:
            conn.close()
            raise explain(error) from None
        if device is None:
            conn.close()
            raise HubError(f"{self._params.get('user', '')!r} is not an active device of this hub (revoked?)", REVOKED)
        self._conn, self.device = conn, device

    @contextmanager
    def _call(self) -> Iterator[psycopg.Connection]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._open()
        assert self._conn is not None
        conn = self._conn
        try:
            yield conn
        except psycopg.Error as error:
            raise self._explain(conn, error) from None

    def _explain(self, conn: psycopg.Connection, error: psycopg.Error) -> HubError:
        """Like connection.explain, but says why when the hub ended this session or refuses this device because
        it was revoked meanwhile (a lost connection is opened again at once to learn it)."""
        found = explain(error)
        if found.reason == UNREACHABLE:
            try:
                self._open()
            except HubError as reopened:
                return reopened
            return found
        if error.sqlstate == "42501" and not conn.broken:
            try:
                (device,) = only_row(conn.execute("SELECT hub.my_device()"))
            except psycopg.Error:
                device = self.device
            if device is None:
                return HubError(f"device {self.device} has been revoked at the hub", REVOKED)
        return found

    @staticmethod
    def _drain(conn: psycopg.Connection) -> None:
        """Drop the wake-ups received so far: what they announced is about to be read anyway."""
        for _ in conn.notifies(timeout=0):
            pass

    def push(
        self,
        pushed: Sequence[Event],
        blobs: Mapping[str, bytes] | None = None,
        photos: Mapping[str, bytes] | None = None,
    ) -> int:
        """Store this device's events, the sealed blobs (digest -> content) they refer to and the photos they set
        (digest -> JPEG), in one transaction; returns the highest seq the hub holds for this device, once
        committed (mark events sent up to it).

        Events already held are skipped, so re-sending is always safe; ``push([])`` only asks where the hub is.
        A push that breaks the chain (a gap, a wrong prev) or reuses an id or seq with other content is refused
        whole: HubError with reason ``chain`` or ``conflict``.
        """
        ordered = sorted(pushed, key=lambda event: event.seq)
        others = [event for event in ordered if event.device != self.device]
        if others:
            raise HubError(
                f"event {others[0].seq} of device {others[0].device} cannot be pushed by device "
                f"{self.device}: a device pushes only its own events",
                REFUSED,
            )
        blobs, photos = blobs or {}, photos or {}
        _check_digests(blobs, "sealed content", "does not hash to its digest", INVALID)
        _check_digests(photos, "the photo", "does not hash to its digest", INVALID)
        with self._call() as conn:
            self._drain(conn)
            with conn.pipeline(), conn.transaction():  # one round trip: BEGIN, the inserts, the answer, COMMIT
                for table, held in (("sealed", blobs), ("photos", photos)):
                    if held:
                        with conn.cursor() as cursor:
                            cursor.executemany(
                                sql.SQL(
                                    "INSERT INTO {} (digest, content, device) VALUES (%s, %s, %s) "
                                    "ON CONFLICT (digest) DO NOTHING"
                                ).format(sql.Identifier("hub", table)),
                                [(digest, content, self.device) for digest, content in held.items()],
                            )
                if ordered:
                    payloads = [event.payload for event in ordered]  # a property: encoded once here
                    conn.execute(
                        _INSERT_EVENTS,
                        [
                            [event.device for event in ordered],
                            [event.seq for event in ordered],
                            [event.id for event in ordered],
                            [event.prev for event in ordered],
                            [event.hlc for event in ordered],
                            [event.type for event in ordered],
                            [event.key for event in ordered],
                            payloads,
                            [events.digest(text) for text in payloads],
                        ],
                    )
                answer = conn.execute(
                    "SELECT hub.my_device(), coalesce(max(seq), 0) FROM hub.events WHERE device = %s", [self.device]
                )
            device, held = only_row(answer)
        if device is None:  # nothing was stored: the policies refuse a revoked device's rows
            raise HubError(f"device {self.device} has been revoked at the hub", REVOKED)
        return held

    def pull(self, cursors: Mapping[str, int], limit: int = 1000) -> Pull:
        """Every device's events after its cursor (``{device: last seq held}``; a device not named starts at 0),
        at most ``limit`` in (device, seq) order, with the sealed blobs they refer to, all from one snapshot.

        Per-device cursors never skip a row that commits late, as one global serial would.
        """
        if limit < 1:
            raise HubError("a pull asks for at least one event", INVALID)
        with self._call() as conn:
            self._drain(conn)
            with conn.pipeline(), snapshot(conn):  # one round trip, two when there are sealed blobs to fetch
                # The planner's guess for a lateral join over every device crosses the JIT threshold, and
                # compiling costs ten times what the few index scans do.
                conn.execute("SET LOCAL jit = off")
                active = conn.execute("SELECT hub.my_device()")
                found = conn.execute(
                    _PULL, {"devices": list(cursors), "afters": list(cursors.values()), "limit": limit}
                )
                if only_row(active)[0] is None:
                    raise HubError(f"device {self.device} has been revoked at the hub", REVOKED)
                rows = found.fetchall()
                pulled = [self._event(*row) for row in rows]
                named: dict[bool, set[str]] = {False: set(), True: set()}  # sealed content; photos
                for event in pulled:
                    named[event.type == PHOTO_SET].update(sealed_digests(event))
                wanted, faces = sorted(named[False]), sorted(named[True])
                blobs = (
                    conn.execute("SELECT digest, content FROM hub.sealed WHERE digest = ANY (%s)", [wanted]).fetchall()
                    if wanted
                    else []
                )
                photos = (
                    conn.execute("SELECT digest, content FROM hub.photos WHERE digest = ANY (%s)", [faces]).fetchall()
                    if faces
                    else []
                )
        held, shown = dict(blobs), dict(photos)
        _check_digests(held, "the hub holds sealed content", _VERIFY, INVALID)
        _check_digests(shown, "the hub holds the photo", _VERIFY, INVALID)
        moved = dict(cursors)
        moved.update((event.device, event.seq) for event in pulled)
        return Pull(pulled, held, moved, more=len(rows) == limit, photos=shown)

    @staticmethod
    def _event(device: str, seq: int, payload: str, hash_: str) -> Event:
        try:
            event = events.parse(payload)
        except EventError as error:
            raise HubError(
                f"the hub holds event {seq} of device {device} that is not a well-formed event ({error}); "
                "its administrator should run `kiosk hub verify`",
                INVALID,
            ) from None
        if events.digest(payload) != hash_:
            raise HubError(
                f"the hub holds event {seq} of device {device} whose hash does not match its payload; "
                "its administrator should run `kiosk hub verify`",
                INVALID,
            )
        event.__dict__["hash"] = hash_  # checked just above: the cached property need not hash it again
        return event

    def report_clock(self, device_now: datetime) -> ClockReport:
        """Record this device's clock at the hub (call it at every sync); returns the skew, flagged beyond two
        minutes.  ``device_now`` must be timezone-aware."""
        if device_now.tzinfo is None:
            raise HubError("the device's time must carry its time zone (UTC)", INVALID)
        with self._call() as conn:
            skew, flagged = only_row(conn.execute("SELECT skew, flagged FROM hub.report_clock(%s)", [device_now]))
        return ClockReport(skew, flagged)

    def report_anomalies(self, count: int) -> None:
        """Record at the hub how many anomalies and conflicts this device's events are part of."""
        with self._call() as conn:
            conn.execute("SELECT hub.report_anomalies(%s)", [count])

    def heads(self) -> dict[str, int]:
        """The highest seq the hub holds of each device that has pushed (one index probe per device)."""
        with self._call() as conn:
            rows = conn.execute(
                "SELECT d.name, (SELECT max(e.seq) FROM hub.events AS e WHERE e.device = d.name) FROM hub.devices AS d"
            ).fetchall()
        return {name: seq for name, seq in rows if seq is not None}

    def wait(self, timeout: float) -> set[str]:
        """Block until another device pushes, or ``timeout`` seconds pass; returns the devices that pushed
        (empty: none did).  Wake-ups that came before the last pull or push were dropped by it."""
        pushed: set[str] = set()
        deadline = monotonic() + timeout
        with self._call() as conn:
            while not pushed and (left := deadline - monotonic()) > 0:
                pushed.update(
                    note.payload for note in conn.notifies(timeout=left, stop_after=1) if note.payload != self.device
                )
        return pushed
