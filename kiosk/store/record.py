"""The record in SQLite: the append-only, hash-chained ``events`` table, and the tables projected from it.

Every change is ``append``-ed as an event (kiosk.core.events) inside the caller's write transaction, then
``project``-ed: the rows of the event's key are folded again from all of that key's events
(kiosk.core.record.fold) and written with ``source_key`` (which key made them) and ``set_by`` (the local id of
the event that decided them).  The tables are therefore always what the log says, and ``rebuild`` makes them
again from the log alone.

Two chains protect the log.  Each device's events chain by hash (``prev``), so that they can travel to other
machines and be checked there.  Locally, every row also chains to the row before it (``chain`` = SHA-256 of
the previous row's chain and this event's hash), whoever made the event, and ``chains`` holds the newest
row: an edited, removed or reordered row, or rows cut off the end, break it where it happened.  Triggers refuse
UPDATE and DELETE on ``events``, so only someone bypassing the kiosk can try.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kiosk.core import events as ev
from kiosk.core import imports, projection
from kiosk.core.events import GENESIS, Event
from kiosk.errors import StoreError
from kiosk.store.db import Store
from kiosk.store.ledger import DAMAGED

# Indexed columns of an event's body, so that the door's questions are single index lookups.  SQLite generates
# them from the payload (kiosk.store.ledger): they cannot be edited, and the chain covers the payload.
COLUMNS = ("scene", "person", "badge", "zone", "decision", "reason")
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
    return Event(
        data["id"],
        data["device"],
        data["seq"],
        data["prev"],
        data["hlc"],
        data["at"],
        data["type"],
        data["key"],
        tuple(data["parents"]),
        data["body"],
    )


def _stored(row: tuple) -> Stored:
    return Stored(row[0], load(row[8]), row[8], row[9], row[10])


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


def now_iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="microseconds")


def local_head(db: Store) -> tuple[int, str, str]:
    """The local chain's newest row (its id and chain hash) and the newest clock reading this file has seen."""
    return db.execute("SELECT seq, hash, hlc FROM chains WHERE device = ''").fetchone()


def heads_of(db: Store, device: str) -> tuple[int, str, str, int, str]:
    """The local chain's head (id, chain, clock) and ``device``'s (seq, hash; 0 and GENESIS before its first).

    The local head is checked against the log's last row, and its clock reading for shape (one lookup at the end
    of the table): an edited ``chains`` table stops every write with ``StoreError`` naming it, never a crash."""
    row = db.execute(
        "SELECT l.seq, l.hash, l.hlc, COALESCE(d.seq, 0), COALESCE(d.hash, ?), e.id, e.chain, "
        "e.device, e.seq, e.hash FROM chains l LEFT JOIN chains d ON d.device = ? "
        "LEFT JOIN events e ON e.id = (SELECT MAX(id) FROM events) WHERE l.device = ''",
        [GENESIS, device],
    ).fetchone()
    if row is None:
        raise StoreError(DAMAGED.format(what="the chains table has lost the log's head"))
    if (row[0], row[1]) != (row[5] or 0, row[6] or GENESIS):
        raise StoreError(
            DAMAGED.format(
                what="the chains table's head is not the log's last row (the table was "
                "edited, or rows were cut off the end)"
            )
        )
    if row[7] == device and (row[3], row[4]) != (row[8], row[9]):  # the last row is this device's newest event
        raise StoreError(DAMAGED.format(what=f"the chains table's head of {device} is not its newest event"))
    if not isinstance(row[2], str) or not ev.is_hlc(row[2]) or not isinstance(row[3], int) or not ev.is_digest(row[4]):
        raise StoreError(DAMAGED.format(what="the chains table holds a value that is not a clock reading or a head"))
    return row[:5]


def next_hlc(ms: int, last_hlc: str) -> str:
    """The next clock reading after ``last_hlc``; one past the clock's range (an edited head) is damage."""
    hlc = ev.hlc_next(None, ms, last_hlc)
    if not ev.is_hlc(hlc):
        raise StoreError(
            DAMAGED.format(
                what=f"the chains table's clock reading {last_hlc!r} is past the end of "
                "the clock (the table was edited)"
            )
        )
    return hlc


def advance(db: Store, local_id: int, chain: str, hlc: str, device: str, seq: int, event_hash: str) -> None:
    """Move the local chain's head and ``device``'s head on to the event just inserted (one statement)."""
    db.execute(
        "INSERT INTO chains (device, seq, hash, hlc) VALUES ('', ?, ?, ?), (?, ?, ?, NULL) "
        "ON CONFLICT(device) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, "
        "hlc = CASE WHEN excluded.hlc IS NULL THEN hlc ELSE max(hlc, excluded.hlc) END",
        [local_id, chain, hlc, device, seq, event_hash],
    )


def parents_of(db: Store, key: str) -> tuple[str, ...]:
    """The events deciding ``key`` now, that nothing supersedes: the parents of its next event."""
    if not projection.projected(key):
        return ()  # door facts and attempts: each stands alone
    return tuple(sorted(fold_from_log(db, key).frontier))  # from the log itself, not the heads table


def append(
    db: Store, device: str, type: str, key: str, body: dict[str, Any], *, at: str | None = None, id: str | None = None
) -> Stored:
    """Add one event made by ``device`` to the log; call inside ``store.db.write()``.  Returns it as stored.

    Its clock reading follows everything this file has seen; it supersedes what decides ``key`` now.
    """
    assert db.conn.in_transaction, "record.append must run inside store.db.write()"
    heads: dict[str, tuple] = db.memo.get("heads", dict)  # a door's last scan left the heads it moved
    if device not in heads:
        heads.clear()  # the local head of one device's entry is out of date once another's event is added
        heads[device] = heads_of(db, device)
    last_id, last_chain, last_hlc, seq, prev = heads[device]
    ms = wall_ms()
    event = ev.make(
        device,
        seq + 1,
        prev,
        next_hlc(ms, last_hlc),
        at or now_iso(ms),
        type,
        key,
        body,
        parents=parents_of(db, key),
        id=id,
    )
    stored = _insert(db, event, last_id, last_chain)
    heads[device] = (stored.id, stored.chain, max(last_hlc, event.hlc), event.seq, stored.hash)
    return stored


def receive(db: Store, event: Event) -> Stored | None:
    """Add an event made elsewhere (it follows its device's chain here); None if this file has it already."""
    assert db.conn.in_transaction, "record.receive must run inside store.db.write()"
    if db.execute("SELECT 1 FROM events WHERE event_id = ?", [event.id]).fetchone():
        return None
    last_id, last_chain, _, seq, prev = heads_of(db, event.device)
    if event.seq != seq + 1 or event.prev != prev:
        raise ev.EventError(f"event {event.seq} of {event.device} does not follow its event {seq} here")
    return _insert(db, event, last_id, last_chain)


def receive_all(db: Store, events: Iterable[Event]) -> int:
    """Add events made elsewhere, each device's in its order, and project every key they touch once; call
    inside ``store.db.write()``.  Returns how many were new here.

    The same as ``receive`` for each event in turn, in a few statements: the events already held are found in
    one query, the heads are read once and followed in memory (each event must follow its device's chain
    here, or nothing of the batch is taken: ``EventError``), and the new rows go in with one ``executemany``.
    """
    assert db.conn.in_transaction, "record.receive_all must run inside store.db.write()"
    events = list(events)
    if not events:
        return 0
    held = {
        event_id
        for (event_id,) in db.execute(
            "SELECT event_id FROM events WHERE event_id IN (SELECT value FROM json_each(?))",
            [json.dumps([event.id for event in events])],
        )
    }
    last_id, chain, last_hlc = local_head(db)
    heads = {
        device: (seq, event_hash)
        for device, seq, event_hash in db.execute(
            "SELECT device, seq, hash FROM chains WHERE device IN (SELECT value FROM json_each(?))",
            [json.dumps(sorted({event.device for event in events}))],
        )
    }
    keys: dict[str, None] = {}
    rows, moved, hlc, closing = [], {}, last_hlc, []
    for event in events:
        if event.id in held:
            continue
        seq, prev = heads.get(event.device, (0, GENESIS))
        if event.seq != seq + 1 or event.prev != prev:
            raise ev.EventError(f"event {event.seq} of {event.device} does not follow its event {seq} here")
        event_hash = event.hash
        chain = chained(chain, event_hash)
        last_id += 1
        rows.append((last_id, event.payload, event_hash, chain))  # the other columns are generated from the payload
        heads[event.device] = moved[event.device] = (event.seq, event_hash)
        hlc = max(hlc, event.hlc)
        held.add(event.id)
        keys[event.key] = None
        if (closes := imports.closed_by(event)) is not None:
            closing.append(closes)
    if not rows:
        return 0
    db.conn.executemany("INSERT INTO events (id, payload, hash, chain) VALUES (?, ?, ?, ?)", rows)
    db.conn.executemany(
        "INSERT INTO chains (device, seq, hash, hlc) VALUES (?, ?, ?, NULL) ON CONFLICT(device) "
        "DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        [(device, seq, event_hash) for device, (seq, event_hash) in moved.items()],
    )
    db.execute("UPDATE chains SET seq = ?, hash = ?, hlc = max(hlc, ?) WHERE device = ''", [last_id, chain, hlc])
    for import_id in closing:  # an import closed: its people count from now on
        keys.update(dict.fromkeys(import_members(db, import_id)))
    for key in keys:
        project(db, key)
    return len(rows)


def _insert(db: Store, event: Event, last_id: int, last_chain: str) -> Stored:
    event_hash = event.hash
    chain = chained(last_chain, event_hash)
    cursor = db.execute(
        "INSERT INTO events (payload, hash, chain) VALUES (?, ?, ?)", [event.payload, event_hash, chain]
    )  # the other columns are generated from the payload
    local_id = int(cursor.lastrowid or 0)
    if local_id != last_id + 1:
        raise StoreError(DAMAGED.format(what="the log's row ids are not contiguous"))
    advance(db, local_id, chain, event.hlc, event.device, event.seq, event_hash)
    return Stored(local_id, event, event.payload, event_hash, chain)


def events_of(db: Store, key: str) -> list[Stored]:
    """The events of ``key`` that count, in local order: an unclosed import's are left out (kiosk.core.imports)."""
    stored = [
        _stored(row)
        for row in db.execute(f"SELECT {_SELECT} FROM events WHERE key = ? AND decision IS NULL ORDER BY id", [key])
    ]
    named = imports.named_imports(item.event for item in stored)
    if not named:
        return stored
    closed = closed_imports(db, named)
    return [item for item in stored if (one := imports.import_of(item.event)) is None or one in closed]


def closed_imports(db: Store, named: Iterable[str]) -> set[str]:
    """Which of the imports ``named`` have their closing event in the log."""
    if not (named := sorted(named)):  # the keys of scenes, approvals, states... hold no import: no query
        return set()
    return {
        key.split("/", 1)[1]
        for (key,) in db.execute(
            "SELECT DISTINCT key FROM events WHERE key IN (SELECT value FROM json_each(?)) AND decision IS NULL "
            "AND type = ?",
            [json.dumps([imports.import_key(one) for one in named]), imports.IMPORTED],
        )
    }


def import_members(db: Store, import_id: str) -> list[str]:
    """The keys an import's events change (person keys: a crew list is all an import records)."""
    return [
        key
        for (key,) in db.execute(
            "SELECT DISTINCT key FROM events WHERE key >= 'person/' AND key < 'person0' AND decision IS NULL "
            "AND json_extract(payload, '$.body.import') = ? ORDER BY key",
            [import_id],
        )
    ]


def project(db: Store, key: str) -> projection.Folded:
    """Fold ``key``'s events again and write what they make: its head, its rows, its conflicts.  Door facts
    and attempts make nothing: they are read from the log itself."""
    if not projection.projected(key):
        return projection.Folded()
    stored = events_of(db, key)
    local = {item.event.id: item.id for item in stored}
    folded = projection.fold(key, [item.event for item in stored])
    if folded.winner is not None:
        db.execute(
            f"INSERT INTO heads (key, event_id, event, parents) VALUES (?, ?, ?, ?) {NEW_HEAD}",
            [key, folded.winner.id, local[folded.winner.id], ev.canonical(list(folded.frontier))],
        )
    db.execute(f"DELETE FROM {projection.FAMILY_TABLES[projection.family(key)]} WHERE source_key = ?", [key])
    _write_rows(db, key, folded, local[folded.winner.id] if folded.winner else None)
    db.execute("DELETE FROM conflicts WHERE key = ?", [key])
    for conflict in folded.conflicts:
        db.execute(
            "INSERT INTO conflicts (key, kept, lost, words) VALUES (?, ?, ?, ?)",
            [conflict.key, conflict.kept, conflict.lost, conflict.words],
        )
    return folded


NEW_HEAD = (
    "ON CONFLICT(key) DO UPDATE SET event_id = excluded.event_id, event = excluded.event, parents = excluded.parents"
)


def _write_rows(db: Store, key: str, folded: projection.Folded, set_by: int | None) -> None:
    for table, rows in folded.rows.items():
        for row in rows:
            full = {**row, "source_key": key, "set_by": set_by}
            db.execute(
                f"INSERT OR REPLACE INTO {table} ({', '.join(full)}) VALUES ({', '.join('?' * len(full))})",
                list(full.values()),
            )


def record(db: Store, device: str, type: str, key: str, body: dict[str, Any], *, at: str | None = None) -> Stored:
    """``append`` an event and ``project`` its key: the one way a service changes what the tables say."""
    stored = append(db, device, type, key, body, at=at)
    project(db, key)
    return stored


# --- what the log says, for checking the tables ---------------------------------------------------------------


def latest_intact(db: Store, keys: Sequence[str]) -> dict[str, tuple[Stored, bool]]:
    """For each key that has events, the latest in the order every machine agrees on, and whether that row is
    what the chain says: its payload hashes to its hash, and the next row (or the head) chains from it.  A row
    edited in place shows here, at once, unless the whole log after it was rewritten.  One query for all."""
    found = {}
    for row in db.execute(_latest_sql(len(keys)), list(keys)).fetchall():
        stored = _stored(row)
        following_hash, following_chain, head_id, head_chain = row[11:]
        chain_holds = (
            following_chain == chained(stored.chain, following_hash)
            if following_hash is not None
            else (head_id, head_chain) == (stored.id, stored.chain)
        )
        found[stored.event.key] = (stored, chain_holds and ev.digest(stored.payload) == stored.hash)
    return found


@functools.cache
def _latest_sql(keys: int) -> str:
    latest = "SELECT id FROM events WHERE key = ? AND decision IS NULL ORDER BY hlc DESC, device DESC, seq DESC LIMIT 1"
    return " UNION ALL ".join(
        f"SELECT {', '.join(f'e.{name}' for name in _SELECT.split(', '))}, n.hash, n.chain, h.seq, h.hash "
        f"FROM events e LEFT JOIN events n ON n.id = e.id + 1 JOIN chains h ON h.device = '' "
        f"WHERE e.id = ({latest})"
        for _ in range(keys)
    )


def fold_from_log(db: Store, key: str) -> projection.Folded:
    return projection.fold(key, [item.event for item in events_of(db, key)])


def under(key: str, column: str = "key") -> tuple[str, tuple[str, str, str]]:
    """The condition that ``column`` is ``key`` or a key below it (``ready/42`` -> ``ready/42/...``), with its
    parameters: one indexed range from ``key`` to the character after "/" ("0"), the few keys in it that only
    start like ``key`` (``ready/42-b``) filtered out.  (``key = ? OR key BETWEEN ...`` is not searched by the
    index: SQLite scans the whole table for it.)"""
    return f"{column} >= ?1 AND {column} < ?3 AND ({column} = ?1 OR {column} >= ?2)", (key, f"{key}/", f"{key}0")


def rows_from_log(db: Store, table: str, key: str) -> list[dict[str, Any]]:
    """The rows of ``table`` that ``key`` and the keys below it make, folded from the log itself: what a check
    that must not trust the tables reads (a row added or changed with ``sqlite3`` is not in it)."""
    by_key: dict[str, list[Event]] = {}
    keys, bounds = under(key)
    for found, payload in db.execute(
        f"SELECT key, payload FROM events WHERE {keys} AND decision IS NULL ORDER BY id", bounds
    ):
        by_key.setdefault(found, []).append(load(payload))
    closed = closed_imports(db, imports.named_imports(event for events in by_key.values() for event in events))
    return [
        {**row, "source_key": found}
        for found, events in sorted(by_key.items())
        for row in projection.fold(found, imports.in_force(events, closed)).rows.get(table, [])
    ]


def rows_from_tables(db: Store, table: str, key: str) -> list[dict[str, Any]]:
    """The same rows as the tables hold them (fast; what screens and reports show)."""
    keys, bounds = under(key, "source_key")
    cursor = db.execute(f"SELECT * FROM {table} WHERE {keys} ORDER BY source_key", bounds)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def all_events(db: Store) -> Iterable[Stored]:
    """Every event, in local order, one at a time (the log may hold millions)."""
    cursor = db.conn.cursor()
    cursor.execute(f"SELECT {_SELECT} FROM events ORDER BY id")
    for row in cursor:
        yield _stored(row)
