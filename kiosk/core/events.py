"""Events: the unit of the record, the same in the local log and on the way to and from the hub.

An event says one thing that happened (a scan, an approval, a badge revoked), self-contained: it names things by
identifiers that mean the same on every machine (refs, badge digests, event ids), never by a database's row ids.

Each event carries
- ``id``: a random 128-bit id, globally unique (a re-sent event is recognised by it);
- ``device`` and ``seq``: the kiosk that made it, and its place in that kiosk's own history (1, 2, 3 ... with
  no gaps), so a receiver can tell that it has all of a device's events up to some point;
- ``prev``: the hash of the same device's event ``seq - 1`` (``GENESIS`` for the first), chaining each device's
  history so that no event of it can be altered, dropped or reordered without the break showing;
- ``hlc``: a hybrid logical clock reading, which orders events across devices without trusting their wall
  clocks (an event always sorts after every event its device had seen when it was made);
- ``at``: the device's wall-clock time (UTC), for people to read; never used to order events across devices;
- ``type`` and ``key``: what kind of change, and the one thing it changes (``approval/42/P01/set``);
- ``parents``: the ids of the events deciding the same key that the device had seen and nothing had yet
  superseded (usually one; more after concurrent changes met), so that two changes made without knowledge of
  each other (offline, on two machines) can be recognised as concurrent, and a change made after seeing both
  supersedes both;
- ``body``: the change itself, a JSON object.

The event travels as its *payload*: canonical JSON text (sorted keys, no spaces, UTF-8).  Its ``hash`` is the
SHA-256 of that text, so any store (SQLite here, PostgreSQL at the hub) can check an event by hashing the
bytes it holds, without re-encoding anything.  Pure: no I/O, no clock (times are passed in).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

FORMAT = 1
GENESIS = "0" * 64
# \Z, not $: in Python, $ also matches before a final newline, which would let "door-1\n" pass as a device name.
DEVICE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}\Z")
_HLC = re.compile(r"^[0-9]{13}-[0-9]{4}\Z")
_HEX64 = re.compile(r"^[0-9a-f]{64}\Z")
_ID = re.compile(r"^[0-9a-f]{32}\Z")
HLC_COUNTER_MAX = 9999
FIELDS = ("v", "id", "device", "seq", "prev", "hlc", "at", "type", "key", "parents", "body")
MAX_PARENTS = 256
SEALED_FIELD = "sealed"  # in an event body: the sealed content (blobs, by digest) the event refers to
ERASE_FIELD = "erase"  # in an event body: the sealed content to delete everywhere


class EventError(ValueError):
    """An event that is not well formed, or does not follow its device's chain."""


def device_name(host: str) -> str:
    """A host name made a device id: the characters an id may hold, at most 63 of them."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", host).strip("-._")[:63]
    return name or "kiosk"


# Made once: ``json.dumps`` with any option but the defaults builds a new encoder at every call, which costs more
# than encoding a short text.  Encoding keeps no state between calls, so one encoder serves every thread.
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode
_TEXT = json.JSONEncoder(ensure_ascii=False).encode


def canonical(value: Any) -> str:
    """The one text form of a JSON value: sorted keys, no spaces, non-ASCII kept, no NaN or infinity."""
    return _CANONICAL(value)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_id() -> str:
    """128 bits: the millisecond it was made (48 bits), then 80 random bits.  Unique as a random id is, and
    in the order made, so that the indexes they are kept in grow at one end (a scan writes fewer pages)."""
    return f"{time.time_ns() // 1_000_000:012x}{secrets.randbits(80):020x}"


def envelope(
    id: str,
    device: str,
    seq: int,
    prev: str,
    hlc: str,
    at: str,
    type: str,
    key: str,
    parents: tuple[str, ...],
    body_text: str,
) -> str:
    """The canonical payload of an event whose body is already canonical text: the same text ``canonical``
    makes of the whole event (keys in sorted order), built without encoding the body again - a crew list of
    fifty thousand people is recorded in one short transaction."""
    # id, device, hlc and prev are of a shape that needs no escaping (``check``); the rest is encoded.
    return (
        f'{{"at":{_TEXT(at)},"body":{body_text},"device":"{device}","hlc":"{hlc}",'
        f'"id":"{id}","key":{_TEXT(key)},"parents":{_CANONICAL(list(parents))},'
        f'"prev":"{prev}","seq":{seq},"type":{_TEXT(type)},"v":{FORMAT}}}'
    )


@dataclass(frozen=True)
class Event:
    id: str
    device: str
    seq: int
    prev: str
    hlc: str
    at: str
    type: str
    key: str
    parents: tuple[str, ...]
    body: Mapping[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def payload(self) -> str:
        return envelope(
            self.id,
            self.device,
            self.seq,
            self.prev,
            self.hlc,
            self.at,
            self.type,
            self.key,
            self.parents,
            canonical(dict(self.body)),
        )

    @functools.cached_property
    def hash(self) -> str:
        return digest(self.payload)

    @property
    def order(self) -> tuple[str, str, int]:
        """The position of this event in the one order every machine agrees on."""
        return (self.hlc, self.device, self.seq)


def make(
    device: str,
    seq: int,
    prev: str,
    hlc: str,
    at: str,
    type: str,
    key: str,
    body: Mapping[str, Any],
    parents: Iterable[str] = (),
    id: str | None = None,
) -> Event:
    """A new event, checked (``EventError`` when a field is out of shape)."""
    event = Event(id or new_id(), device, seq, prev, hlc, at, type, key, tuple(sorted(set(parents))), dict(body))
    check(event)
    return event


def _parents_ok(parents: Any) -> bool:
    return (
        isinstance(parents, tuple)
        and len(parents) <= MAX_PARENTS
        and all(isinstance(one, str) and _ID.match(one) for one in parents)
        and list(parents) == sorted(set(parents))
    )


# A NUL escaped in the JSON text (``\u0000`` after an even run of backslashes): PostgreSQL cannot store one.
_NUL = re.compile(r"(?:^|[^\\])(?:\\\\)*\\u0000")


def check(event: Event) -> None:
    """Every field in shape; raises ``EventError`` naming the first that is not."""
    problems = [
        (not _ID.match(event.id), "id must be 32 lowercase hex digits"),
        (not DEVICE_PATTERN.match(event.device), "device must be letters, digits, '.', '_' or '-' (at most 63)"),
        (isinstance(event.seq, bool) or not isinstance(event.seq, int) or event.seq < 1, "seq must be 1 or more"),
        (not _HEX64.match(event.prev), "prev must be a SHA-256 hex digest"),
        (not _HLC.match(event.hlc), "hlc must be 13 digits, '-', 4 digits"),
        (not isinstance(event.at, str) or not event.at, "at must be a time"),
        (not isinstance(event.type, str) or not event.type, "type is missing"),
        (not isinstance(event.key, str) or not event.key, "key is missing"),
        (not _parents_ok(event.parents), f"parents must be at most {MAX_PARENTS} event ids, sorted, each once"),
        (not isinstance(event.body, Mapping), "body must be a JSON object"),
    ]
    for wrong, words in problems:
        if wrong:
            raise EventError(f"event {event.id!r}: {words}")
    try:  # JSON values only (no NaN, no infinity, text keys), and text that is UTF-8 without NUL
        event.payload.encode("utf-8")
    except UnicodeEncodeError:
        raise EventError(f"event {event.id!r}: text that is not UTF-8") from None
    except (TypeError, ValueError) as error:
        raise EventError(f"event {event.id!r}: body must be a JSON object ({error})") from None
    if "\\u0000" in event.payload and _NUL.search(event.payload):  # the cheap test first: most text has none
        raise EventError(f"event {event.id!r}: no text in an event may hold a NUL character")


def parse(payload: str) -> Event:
    """The event whose canonical payload is ``payload``; ``EventError`` for anything else.

    Only the canonical text is accepted, so that the hash of what was received is the hash of what was sent.
    """
    try:
        data = json.loads(payload)
    except (ValueError, TypeError) as error:
        raise EventError(f"not an event payload ({error})") from None
    if not isinstance(data, dict) or set(data) != set(FIELDS) or data["v"] != FORMAT:
        raise EventError("not an event payload of format 1")
    event = Event(
        data["id"],
        data["device"],
        data["seq"],
        data["prev"],
        data["hlc"],
        data["at"],
        data["type"],
        data["key"],
        tuple(data["parents"]) if isinstance(data["parents"], list) else data["parents"],
        data["body"],
    )
    if type(data["v"]) is int and _canonical_or_none(data) == payload:
        # The whole object encoded once, in canonical form, is the text received: once its fields are in shape
        # (``check``, below), that is the envelope ``Event.payload`` builds, so the event keeps the text.
        event.__dict__["payload"] = payload
    check(event)
    if event.payload != payload:
        raise EventError(f"event {event.id}: payload is not in canonical form")
    return event


def _canonical_or_none(data: Mapping[str, Any]) -> str | None:
    try:
        return canonical(data)
    except (TypeError, ValueError):  # not JSON values: ``check`` says what is wrong
        return None


def named_digests(body: Mapping[str, Any], field: str) -> list[str]:
    """The blobs an event body names under ``field`` (``SEALED_FIELD`` or ``ERASE_FIELD``), by digest: one as
    text, several as a list, none as null or absent.  The one rule, kept by the hub too (``hub.digests`` in
    kiosk/hub/schema); ``EventError`` for anything else."""
    named = body.get(field)
    found = [] if named is None else [named] if isinstance(named, str) else named
    if not isinstance(found, list) or not all(isinstance(one, str) and _HEX64.match(one) for one in found):
        raise EventError(f"body.{field} must name SHA-256 hex digests (one as text, several as a list, or null)")
    return list(found)


def follows(event: Event, previous: Event | None) -> bool:
    """Whether ``event`` is the next link of its device's chain after ``previous`` (None: the first)."""
    if previous is None:
        return event.seq == 1 and event.prev == GENESIS
    return event.device == previous.device and event.seq == previous.seq + 1 and event.prev == previous.hash


def verify_chain(events: Iterable[Event], after: Event | None = None) -> None:
    """Check one device's events, given in ``seq`` order, continuing from ``after``; ``EventError`` at a break."""
    previous = after
    for event in events:
        if not follows(event, previous):
            expected = 1 if previous is None else previous.seq + 1
            raise EventError(
                f"device {event.device}: event {event.seq} does not follow event {expected - 1} "
                f"(expected seq {expected} with the previous event's hash)"
            )
        previous = event


# --- the hybrid logical clock ----------------------------------------------------------------------------------


def hlc_text(wall_ms: int, counter: int) -> str:
    return f"{wall_ms:013d}-{counter:04d}"


def is_digest(text: object) -> bool:
    """Whether ``text`` is a SHA-256 hex digest, as every event's hash and ``prev`` are."""
    return isinstance(text, str) and _HEX64.match(text) is not None


def is_hlc(text: str) -> bool:
    """Whether ``text`` is a clock reading (13 digits, '-', 4 digits)."""
    return bool(_HLC.match(text))


def hlc_parts(text: str) -> tuple[int, int]:
    if not _HLC.match(text):
        raise EventError(f"{text!r} is not a clock reading")
    wall, counter = text.split("-")
    return int(wall), int(counter)


def hlc_run(first: str, count: int) -> list[str]:
    """``count`` readings in a row from ``first``, each the next after the one before (as ``hlc_next`` makes
    them when the wall clock stands still): the clock of a batch recorded at once."""
    wall, counter = hlc_parts(first)
    readings = []
    for _ in range(count):
        readings.append(f"{wall:013d}-{counter:04d}")
        counter += 1
        if counter > HLC_COUNTER_MAX:
            wall, counter = wall + 1, 0
    return readings


def hlc_next(last: str | None, wall_ms: int, seen: str | None = None) -> str:
    """The reading for a new event: after ``last`` (this device's previous reading) and after ``seen`` (the
    newest reading received from elsewhere), and equal to the wall clock when the wall clock is ahead of both.

    A device whose clock runs behind still orders its new events after everything it has seen; one whose clock
    runs ahead pulls the others' readings forward once they see its events, never back.
    """
    readings = [hlc_parts(text) for text in (last, seen) if text]
    highest = max(readings, default=(0, 0))
    if wall_ms > highest[0]:
        return hlc_text(wall_ms, 0)
    if highest[1] >= HLC_COUNTER_MAX:  # a burst faster than the counter: borrow the next millisecond
        return hlc_text(highest[0] + 1, 0)
    return hlc_text(highest[0], highest[1] + 1)
