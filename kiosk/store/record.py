"""The record in SQLite: the append-only, hash-chained ``events`` table, and the tables projected from it.

Every change is ``append``-ed as an event (kiosk.core.events) inside the caller's write transaction, then
``project``-ed: the rows of the event's key are folded again from all of that key's events
(kiosk.core.record.fold) and written with ``source_key`` (which key made them) and ``set_by`` (the local id of
the event that decided them).  The tables are therefore always what the log says, and ``rebuild`` makes them
again from the log alone.

Two chains protect the log.  Each device's events chain by hash (``prev``), so that they can travel to other
machines and be checked there.  Locally, every row also chains to the row before it (``chain`` = SHA-256 of
the previous row's chain and this event's hash), whoever made the event, and ``chain_head`` holds the newest
row: an edited, removed or reordered row, or rows cut off the end, break it where it happened.  Triggers refuse
UPDATE and DELETE on ``events``, so only someone bypassing the kiosk can try.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kiosk.core import events as ev
from kiosk.core import record as rules
from kiosk.core.events import GENESIS, Event
from kiosk.store.db import Store

# Indexed columns copied out of an event's body, so that the door's questions are single index lookups.  They
# are part of the row the chain covers only through the payload: ``verify`` checks they say what it says.
COLUMNS = ("scene", "person", "badge", "zone", "decision", "reason", "scan_id")
_SELECT = "id, event_id, device, seq, hlc, at, type, key, payload, hash, chain"


@dataclass(frozen=True)
class Stored:
    """An event as this file holds it: its place in the local log, its text and hash, the local chain."""

    id: int
    event: Event
    payload: str
    hash: str
    chain: str


def chained(previous: str, event_hash: str) -> str:
    return hashlib.sha256(f"{previous}:{event_hash}".encode()).hexdigest()


def load(payload: str) -> Event:
    """An event from a payload this file wrote (checked when written; ``verify`` checks it again)."""
    data = json.loads(payload)
    return Event(data["id"], data["device"], data["seq"], data["prev"], data["hlc"], data["at"], data["type"],
                 data["key"], data["parent"], data["body"])


def _stored(row: tuple) -> Stored:
    return Stored(row[0], load(row[8]), row[8], row[9], row[10])


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


def now_iso(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="microseconds")


def head(db: Store, key: str) -> tuple[str, int] | None:
    """The event that decides ``key`` now (its event id and local id), or None when the key has none."""
    row = db.execute("SELECT event_id, event FROM heads WHERE key = ?", [key]).fetchone()
    return (row[0], row[1]) if row else None


def append(db: Store, device: str, type: str, key: str, body: dict[str, Any], *, at: str | None = None) -> Stored:
    """Add one event made by ``device`` to the log; call inside ``store.db.write()``.  Returns it as stored.

    Its clock reading follows everything this file has seen; its parent is the event deciding ``key`` now.
    """
    assert db.conn.in_transaction, "record.append must run inside store.db.write()"
    last_id, last_chain, last_hlc = db.execute(
        "SELECT last_id, last_chain, last_hlc FROM chain_head WHERE id = 1").fetchone()
    seq, prev = db.execute("SELECT seq, hash FROM device_heads WHERE device = ?", [device]).fetchone() or (0, GENESIS)
    ms = wall_ms()
    current = head(db, key)
    event = ev.make(device, seq + 1, prev, ev.hlc_next(None, ms, last_hlc), at or now_iso(ms), type, key, body,
                    parent=current[0] if current else None)
    return _insert(db, event, last_id, last_chain)


def receive(db: Store, event: Event) -> Stored | None:
    """Add an event made elsewhere (it follows its device's chain here); None if this file has it already."""
    assert db.conn.in_transaction, "record.receive must run inside store.db.write()"
    if db.execute("SELECT 1 FROM events WHERE event_id = ?", [event.id]).fetchone():
        return None
    seq, prev = db.execute("SELECT seq, hash FROM device_heads WHERE device = ?",
                           [event.device]).fetchone() or (0, GENESIS)
    if event.seq != seq + 1 or event.prev != prev:
        raise ev.EventError(f"event {event.seq} of {event.device} does not follow its event {seq} here")
    last_id, last_chain, _ = db.execute("SELECT last_id, last_chain, last_hlc FROM chain_head WHERE id = 1").fetchone()
    return _insert(db, event, last_id, last_chain)


def columns_of_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """The indexed columns an event's body fills (the rest stay empty)."""
    return {name: body.get(name) for name in COLUMNS if name in body}


def _insert(db: Store, event: Event, last_id: int, last_chain: str) -> Stored:
    event_hash = event.hash
    chain = chained(last_chain, event_hash)
    values = {name: event.body.get(name) for name in COLUMNS}
    cursor = db.execute(
        f"INSERT INTO events (event_id, device, seq, hlc, at, type, key, payload, hash, chain, {', '.join(COLUMNS)}) "
        f"VALUES ({', '.join('?' * (10 + len(COLUMNS)))})",
        [event.id, event.device, event.seq, event.hlc, event.at, event.type, event.key, event.payload, event_hash,
         chain, *values.values()])
    local_id = int(cursor.lastrowid or 0)
    assert local_id == last_id + 1, "the log's row ids are contiguous"
    db.execute("UPDATE chain_head SET last_id = ?, last_chain = ?, last_hlc = max(last_hlc, ?) WHERE id = 1",
               [local_id, chain, event.hlc])
    db.execute("INSERT INTO device_heads (device, seq, hash) VALUES (?, ?, ?) ON CONFLICT(device) DO UPDATE "
               "SET seq = excluded.seq, hash = excluded.hash", [event.device, event.seq, event_hash])
    return Stored(local_id, event, event.payload, event_hash, chain)


def events_of(db: Store, key: str) -> list[Stored]:
    return [_stored(row) for row in db.execute(f"SELECT {_SELECT} FROM events WHERE key = ? ORDER BY id", [key])]


def project(db: Store, key: str) -> rules.Folded:
    """Fold ``key``'s events again and write what they make: its head, its rows, its conflicts.  Door facts
    and attempts make nothing: they are read from the log itself."""
    if not rules.projected(key):
        return rules.Folded()
    stored = events_of(db, key)
    local = {item.event.id: item.id for item in stored}
    folded = rules.fold(key, [item.event for item in stored])
    if folded.winner is not None:
        db.execute("INSERT INTO heads (key, event_id, event) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE "
                   "SET event_id = excluded.event_id, event = excluded.event",
                   [key, folded.winner.id, local[folded.winner.id]])
    db.execute(f"DELETE FROM {rules.FAMILY_TABLES[rules.family(key)]} WHERE source_key = ?", [key])
    _write_rows(db, key, folded, local[folded.winner.id] if folded.winner else None)
    db.execute("DELETE FROM conflicts WHERE key = ?", [key])
    for conflict in folded.conflicts:
        db.execute("INSERT INTO conflicts (key, kept, lost, words) VALUES (?, ?, ?, ?)",
                   [conflict.key, conflict.kept, conflict.lost, conflict.words])
    return folded


def _write_rows(db: Store, key: str, folded: rules.Folded, set_by: int | None) -> None:
    for table, rows in folded.rows.items():
        for row in rows:
            full = {**row, "source_key": key, "set_by": set_by}
            db.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(full)}) VALUES ({', '.join('?' * len(full))})",
                       list(full.values()))


def record_batch(db: Store, device: str, changes: list[tuple[str, str, dict[str, Any]]]) -> int:
    """Record many changes of keys that a new event alone decides (``rules.REPLACING``: people from a crew
    list, say) in the caller's write transaction, fast: bodies encoded once, one statement per table.

    Equivalent to ``record`` for each change, as ``rebuild`` confirms; returns how many were recorded.
    """
    assert db.conn.in_transaction, "record.record_batch must run inside store.db.write()"
    if not changes:
        return 0
    assert all(rules.family(key) in rules.REPLACING for _, key, _ in changes), "only keys a new event decides"
    last_id, chain, last_hlc = db.execute("SELECT last_id, last_chain, last_hlc FROM chain_head WHERE id = 1").fetchone()
    seq, prev = db.execute("SELECT seq, hash FROM device_heads WHERE device = ?", [device]).fetchone() or (0, GENESIS)
    keys = [key for _, key, _ in changes]
    parents = dict(db.execute("SELECT key, event_id FROM heads WHERE key IN (SELECT value FROM json_each(?))",
                              [json.dumps(keys)]).fetchall())
    ms = wall_ms()
    at = now_iso(ms)
    hlc = last_hlc
    rows, heads, tables = [], [], {}
    for type, key, body in changes:
        seq += 1
        hlc = ev.hlc_next(None, ms, hlc)
        event_id = ev.new_id()
        body_text = ev.canonical(body)
        payload = ev.envelope(event_id, device, seq, prev, hlc, at, type, key, parents.get(key), body_text)
        event_prev, prev = prev, ev.digest(payload)
        chain = chained(chain, prev)
        last_id += 1
        rows.append((last_id, event_id, device, seq, hlc, at, type, key, payload, prev, chain,
                     *(body.get(name) for name in COLUMNS)))
        heads.append((key, event_id, last_id))
        event = Event(event_id, device, seq, event_prev, hlc, at, type, key, parents.get(key), body)
        parents[key] = event_id
        for table, made in rules.fold(key, [event]).rows.items():
            tables.setdefault(table, []).extend({**row, "source_key": key, "set_by": last_id} for row in made)
    db.conn.executemany(f"INSERT INTO events (id, event_id, device, seq, hlc, at, type, key, payload, hash, chain, "
                        f"{', '.join(COLUMNS)}) VALUES ({', '.join('?' * (11 + len(COLUMNS)))})", rows)
    db.execute("UPDATE chain_head SET last_id = ?, last_chain = ?, last_hlc = ? WHERE id = 1", [last_id, chain, hlc])
    db.execute("INSERT INTO device_heads (device, seq, hash) VALUES (?, ?, ?) ON CONFLICT(device) DO UPDATE "
               "SET seq = excluded.seq, hash = excluded.hash", [device, seq, prev])
    db.conn.executemany("INSERT INTO heads (key, event_id, event) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE "
                        "SET event_id = excluded.event_id, event = excluded.event", heads)
    for table, made in tables.items():
        names = list(made[0])
        db.conn.executemany(f"INSERT OR REPLACE INTO {table} ({', '.join(names)}) VALUES "
                            f"({', '.join('?' * len(names))})", [[row[name] for name in names] for row in made])
    return len(changes)


def record(db: Store, device: str, type: str, key: str, body: dict[str, Any], *, at: str | None = None) -> Stored:
    """``append`` an event and ``project`` its key: the one way a service changes what the tables say."""
    stored = append(db, device, type, key, body, at=at)
    project(db, key)
    return stored


# --- what the log says, for checking the tables ---------------------------------------------------------------

def latest(db: Store, key: str) -> Stored | None:
    """The event of ``key`` latest in the order every machine agrees on."""
    row = db.execute(f"SELECT {_SELECT} FROM events WHERE key = ? ORDER BY hlc DESC, device DESC, seq DESC LIMIT 1",
                     [key]).fetchone()
    return _stored(row) if row else None


def intact(db: Store, stored: Stored) -> bool:
    """Whether one row is what the chain says: its payload hashes to its hash, and the next row (or the head)
    chains from it.  A row edited in place shows here, at once, unless the whole log after it was rewritten."""
    if ev.digest(stored.payload) != stored.hash:
        return False
    following = db.execute("SELECT hash, chain FROM events WHERE id = ?", [stored.id + 1]).fetchone()
    if following is None:
        return db.execute("SELECT last_id, last_chain FROM chain_head WHERE id = 1").fetchone() == \
            (stored.id, stored.chain)
    return following[1] == chained(stored.chain, following[0])


def fold_from_log(db: Store, key: str) -> rules.Folded:
    return rules.fold(key, [item.event for item in events_of(db, key)])


def all_events(db: Store) -> Iterable[Stored]:
    """Every event, in local order, one at a time (the log may hold millions)."""
    cursor = db.conn.cursor()
    cursor.execute(f"SELECT {_SELECT} FROM events ORDER BY id")
    for row in cursor:
        yield _stored(row)
