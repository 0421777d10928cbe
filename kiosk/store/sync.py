"""This file's side of the hub: what the hub holds of this device's events, the events it does not hold yet, the
sealed content that travels with them, and what the hub sends, applied.

The hub's hold on this device's events is marked only after the hub has committed them (``mark_pushed``): a
kiosk stopped in between sends them again, and the hub, idempotent on the event id, keeps them once.  The events
not yet sent are found by local row id after the mark, on the primary key (no index of their own: every index
on ``events`` is a page the door writes at each scan).  The pull cursors are the ``chains`` table: ``receive``
takes each device's events only in order, so its seq there is how far this file has it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kiosk.core import events as ev
from kiosk.core.events import ERASE_FIELD, SEALED_FIELD, Event
from kiosk.core.record import PHOTO_SET
from kiosk.store import record
from kiosk.store.db import Store
from kiosk.store.queries import one


@dataclass(frozen=True)
class SyncState:
    """Where syncing as ``device`` stands, as this file last recorded it."""

    device: str
    pushed_id: int = 0  # every event of the device up to this local row id is held by the hub
    held_seq: int = 0  # the highest seq of the device the hub said it holds, after committing it
    last_success: str | None = None  # the last sync that reached the hub and caught up (ISO, UTC)
    offline_since: str | None = None  # the first failed sync since then
    last_error: str | None = None
    last_reason: str | None = None  # what kind of failure (kiosk.services.sync: HubError's reason, or "store")
    skew: float | None = None  # the hub's clock minus this kiosk's, in seconds, at the last sync
    skew_flagged: bool = False


def state(db: Store, device: str) -> SyncState:
    row = one(
        db,
        "SELECT device, pushed_id, held_seq, last_success, offline_since, last_error, last_reason, "
        "skew, skew_flagged FROM sync WHERE device = ?",
        [device],
    )
    return SyncState(**{**row, "skew_flagged": bool(row["skew_flagged"])}) if row else SyncState(device)


def synced_before(db: Store) -> bool:
    """Whether this file has ever synced with a hub."""
    return db.execute("SELECT 1 FROM sync WHERE last_success IS NOT NULL LIMIT 1").fetchone() is not None


def local_seq(db: Store, device: str) -> int:
    """The newest seq of ``device`` this file holds (0: none)."""
    row = db.execute("SELECT seq FROM chains WHERE device = ?", [device]).fetchone()
    return row[0] if row else 0


def cursors(db: Store) -> dict[str, int]:
    """How far this file holds each device's events: the pull cursors."""
    return dict(db.execute("SELECT device, seq FROM chains WHERE device != ''").fetchall())


@dataclass(frozen=True)
class Outgoing:
    """A batch of this device's events for the hub, with the sealed content and the photos they name that this
    file holds."""

    events: list[Event]
    blobs: dict[str, bytes] = field(repr=False)
    last_id: int  # the local row id of the last event in the batch (the mark, when the batch is not the end)
    head_id: int  # the local chain's head when the batch was read (the mark, when nothing is left after it)
    complete: bool  # nothing of the device is left to send up to ``head_id``
    photos: dict[str, bytes] = field(default_factory=dict, repr=False)


def blobs_of(db: Store, digests: Sequence[str], photos: bool = False) -> dict[str, bytes]:
    """The sealed content (or, ``photos``, the photos) this file holds of ``digests``."""
    if not digests:
        return {}
    table = "SELECT digest, image FROM photo_blobs" if photos else "SELECT digest, blob FROM sealed"
    return dict(
        db.execute(f"{table} WHERE digest IN (SELECT value FROM json_each(?))", [json.dumps(list(digests))]).fetchall()
    )


def outgoing(db: Store, device: str, after_id: int, held_seq: int, limit: int) -> Outgoing:
    """The next events of ``device`` after local row ``after_id`` that the hub does not hold (seq past
    ``held_seq``), ``limit`` at a time, in order.

    Sealed content erased here before it was sent (re-sealed or purged) travels as the events that name it and
    the event that erases it: the batch then runs on to that event, so the hub sees both in one push.
    """
    head_id = record.local_head(db)[0]
    picked: list[tuple[int, Event]] = []
    blobs: dict[str, bytes] = {}
    photos: dict[str, bytes] = {}
    missing: set[str] = set()
    after, rows = after_id, []
    while True:
        rows = db.execute(
            "SELECT id, payload FROM events WHERE id > ? AND id <= ? AND device = ? AND seq > ? ORDER BY id LIMIT ?",
            [after, head_id, device, held_seq, limit],
        ).fetchall()
        for local_id, payload in rows:
            # Parsed, not just loaded: the hub checks the envelope's form but not the inside of the body, which
            # every kiosk pulling the event will refuse if it is not canonical.
            event = ev.parse(payload)
            picked.append((local_id, event))
            if f'"{SEALED_FIELD}":' not in payload and f'"{ERASE_FIELD}":' not in payload:
                continue  # canonical JSON writes a key so, wherever it is: this event names no content
            named = ev.named_digests(event.body, SEALED_FIELD)
            face = event.type == PHOTO_SET
            found = blobs_of(db, named, photos=face)
            (photos if face else blobs).update(found)
            missing = (missing | (set(named) - found.keys())) - set(ev.named_digests(event.body, ERASE_FIELD))
        if len(rows) < limit or not missing:
            break
        after = rows[-1][0]
    return Outgoing(
        [event for _, event in picked],
        blobs,
        picked[-1][0] if picked else after_id,
        head_id,
        complete=len(rows) < limit,
        photos=photos,
    )


def mark_pushed(db: Store, device: str, pushed_id: int, held_seq: int) -> None:
    """The hub has committed ``device``'s events up to ``held_seq``, and holds every one up to local row
    ``pushed_id``; inside the caller's ``write()``."""
    db.execute(
        "INSERT INTO sync (device, pushed_id, held_seq) VALUES (?, ?, ?) ON CONFLICT(device) DO UPDATE SET "
        "pushed_id = excluded.pushed_id, held_seq = excluded.held_seq",
        [device, pushed_id, held_seq],
    )


def note_success(db: Store, device: str, at: str, skew: float, flagged: bool) -> None:
    db.execute(
        "INSERT INTO sync (device, last_success, skew, skew_flagged) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(device) DO UPDATE SET last_success = excluded.last_success, offline_since = NULL, "
        "last_error = NULL, last_reason = NULL, skew = excluded.skew, skew_flagged = excluded.skew_flagged",
        [device, at, skew, flagged],
    )


def note_failure(db: Store, device: str, at: str, error: str, reason: str) -> None:
    """A sync that did not get through: since when none has (kept from the first failure), and why."""
    db.execute(
        "INSERT INTO sync (device, offline_since, last_error, last_reason) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(device) DO UPDATE SET offline_since = coalesce(offline_since, excluded.offline_since), "
        "last_error = excluded.last_error, last_reason = excluded.last_reason",
        [device, at, error, reason],
    )


@dataclass(frozen=True)
class Applied:
    new: int  # events this file did not hold before
    erased: int  # sealed blobs deleted here because an event received erases them


def apply(
    db: Store, received: Sequence[Event], blobs: Mapping[str, bytes], photos: Mapping[str, bytes] | None = None
) -> Applied:
    """Take events made elsewhere (each device's in order), the sealed content they name and the photos they set
    into this file, projected; inside the caller's ``write()``.  Content an event received erases is deleted here
    too (a photo once no photo of the record names it).  Content that does not hash to the digest its event
    names is refused with the events: ``EventError``."""
    held = {
        event_id
        for (event_id,) in db.execute(
            "SELECT event_id FROM events WHERE event_id IN (SELECT value FROM json_each(?))",
            [json.dumps([event.id for event in received])],
        )
    }
    new = [event for event in received if event.id not in held]
    into = {False: "sealed (digest, blob)", True: "photo_blobs (digest, image)"}
    for face, given in ((False, blobs), (True, photos or {})):
        for digest in {
            digest
            for event in new
            if (event.type == PHOTO_SET) == face
            for digest in ev.named_digests(event.body, SEALED_FIELD)
        } & given.keys():
            if hashlib.sha256(given[digest]).hexdigest() != digest:
                what = "photo" if face else "sealed content"
                raise ev.EventError(f"the {what} {digest[:12]}... sent with the events does not match its digest")
            db.execute(f"INSERT OR IGNORE INTO {into[face]} VALUES (?, ?)", [digest, given[digest]])
    count = record.receive_all(db, new)
    erase = json.dumps(sorted({digest for event in new for digest in ev.named_digests(event.body, ERASE_FIELD)}))
    erased = 0
    if erase != "[]":
        db.execute("PRAGMA secure_delete = ON")  # the freed pages are zeroed, not left holding the ciphertext
        erased = db.execute("DELETE FROM sealed WHERE digest IN (SELECT value FROM json_each(?))", [erase]).rowcount
        erased += db.execute(
            "DELETE FROM photo_blobs WHERE digest IN (SELECT value FROM json_each(?)) "
            "AND digest NOT IN (SELECT digest FROM photos)",
            [erase],
        ).rowcount
    return Applied(count, erased)
