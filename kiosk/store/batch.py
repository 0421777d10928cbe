"""Many changes of keys a new event alone decides (a crew list), recorded fast: the events made before the write
lock is taken (``prepare_batch``), then chained on to the log and their rows written in a few bulk statements
under it (``write_batch``), one transaction.  Equivalent to ``record.record`` for each change, as the audit's
rebuild confirms.

A batch too long for one short transaction is an *import* (kiosk.core.imports): its events are written in chunks
(``write_chunk``, each in its own transaction), inert until ``close_import`` appends the closing event and writes
the rows and heads they make (made ready outside the lock by ``stage_import``), in the one short transaction that
puts the whole list in force.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from kiosk.core import events as ev
from kiosk.core import imports, projection
from kiosk.core.events import GENESIS, Event
from kiosk.store.db import Store
from kiosk.store.record import NEW_HEAD, advance, append, heads_of, now_iso, parents_of, project, wall_ms


@dataclass(frozen=True)
class Batch:
    """Changes made ready to record outside the write lock (``prepare_batch``): each event's id, payload text and
    table rows are made; only what follows the log's head (sequence, clock, hashes) is left to ``write_batch``."""

    device: str
    events: list[tuple[str, str, str, str, str]]  # (event id, key, the payload up to "hlc", from "hlc" to
    # "parents", from "type")
    rows: list[list[tuple[str, tuple]]]  # each event's rows: (table, values in ``columns`` order but ``set_by``)
    columns: dict[str, tuple[str, ...]]  # each table's columns as written, ``set_by`` last
    import_id: str | None = None  # an import's events name it: inert until ``close_import``


@dataclass
class Written:
    """What the chunks of an import wrote so far, and the heads and rows they make once it is closed."""

    events: int = 0
    heads: list[tuple[str, str, int, str]] = field(default_factory=list)
    tables: dict[str, list[tuple]] = field(default_factory=dict)


def prepare_batch(
    device: str, changes: list[tuple[str, str, dict[str, Any]]], at: str | None = None, import_id: str | None = None
) -> Batch:
    """The slow part of recording many changes of keys a new event alone decides (``projection.REPLACING``): pure
    work, done before the write lock is taken so that the door is not kept waiting behind it.  The payloads are
    the text ``ev.envelope`` makes, in pieces around what only the log's head decides.  With ``import_id`` each
    event's body names the import (``write_chunk``, ``close_import``)."""
    assert all(projection.family(key) in projection.REPLACING for _, key, _ in changes), "only keys a new event decides"
    ms = wall_ms()
    at = at or now_iso(ms)
    clock = ev.hlc_text(ms, 0)  # the fold of a replacing key reads only the body and the time
    quoted = functools.partial(json.dumps, ensure_ascii=False)
    events: list[tuple[str, str, str, str, str]] = []
    rows: list[list[tuple[str, tuple]]] = []
    columns: dict[str, tuple[str, ...]] = {}
    for type, key, body in changes:
        event_id = ev.new_id()
        named = {**body, "import": import_id} if import_id else body
        start = f'{{"at":{quoted(at)},"body":{ev.canonical(named)},"device":"{device}","hlc":"'
        middle = f'","id":"{event_id}","key":{quoted(key)},"parents":'
        events.append((event_id, key, start, middle, f',"type":{quoted(type)},"v":{ev.FORMAT}}}'))
        made = []
        for table, table_rows in projection.fold(
            key, [Event(event_id, device, 1, GENESIS, clock, at, type, key, (), body)]
        ).rows.items():
            names = columns.setdefault(table, (*table_rows[0], "source_key", "set_by")) if table_rows else ()
            made += [(table, (*(row[name] for name in names[:-2]), key)) for row in table_rows]
        rows.append(made)
    return Batch(device, events, rows, columns, import_id)


def write_batch(db: Store, batch: Batch) -> int:
    """Record a prepared batch in the caller's write transaction: its events chained on to the log and its rows
    written, one statement per table.  Equivalent to ``record`` for each change, as ``rebuild`` confirms."""
    assert batch.import_id is None, "an import is written by write_chunk and close_import"
    written = Written()
    write_chunk(db, batch, 0, len(batch.events), written)
    _write_rows(db, batch, written)
    return written.events


def write_chunk(db: Store, batch: Batch, start: int, stop: int, written: Written) -> None:
    """Chain the batch's events ``start:stop`` on to the log, in the caller's write transaction, and keep in
    ``written`` the heads and rows they make (written by ``write_batch``, or for an import by ``close_import``)."""
    assert db.conn.in_transaction, "write_chunk must run inside store.db.write()"
    chunk = batch.events[start:stop]
    if not chunk:
        return
    device = batch.device
    last_id, chain, last_hlc, seq, prev = heads_of(db, device)
    parents = {
        key: ev.canonical(list(parents_of(db, key)))
        for (key,) in db.execute(  # keys the log has: a
            "SELECT key FROM heads WHERE key IN (SELECT value FROM json_each(?))",  # few, as a list changes few people
            [json.dumps([key for _, key, *_ in chunk])],
        )
    }
    clocks = ev.hlc_run(ev.hlc_next(None, wall_ms(), last_hlc), len(chunk))
    events: list[tuple] = []
    sha256 = hashlib.sha256
    for table in batch.columns:
        written.tables.setdefault(table, [])
    for (event_id, key, begin, middle, end), hlc, made in zip(chunk, clocks, batch.rows[start:stop], strict=True):
        seq += 1
        last_id += 1
        before = parents.get(key, "[]")
        payload = f'{begin}{hlc}{middle}{before},"prev":"{prev}","seq":{seq}{end}'
        prev = sha256(payload.encode()).hexdigest()
        chain = sha256(f"{chain}:{prev}".encode()).hexdigest()  # ``chained``
        events.append((last_id, payload, prev, chain))  # the other columns are generated from the payload
        parents[key] = f'["{event_id}"]'
        written.heads.append((key, event_id, last_id, parents[key]))
        for table, values in made:
            written.tables[table].append((*values, last_id))
    db.conn.executemany("INSERT INTO events (id, payload, hash, chain) VALUES (?, ?, ?, ?)", events)
    advance(db, last_id, chain, clocks[-1], device, seq, prev)
    written.events += len(chunk)


def stage_import(db: Store, batch: Batch, written: Written) -> None:
    """Before the closing transaction, outside the write lock: the heads and rows the import's events make, in key
    order, in this connection's own temporary tables, so that ``close_import`` copies them in two statements."""
    assert not db.conn.in_transaction, "staged outside the write lock"
    names = batch.columns["people"]
    unstage_import(db)
    db.execute("CREATE TEMP TABLE import_heads (key, event_id, event, parents)")
    db.execute(f"CREATE TEMP TABLE import_people ({', '.join(names)})")
    db.conn.executemany("INSERT INTO temp.import_heads VALUES (?, ?, ?, ?)", sorted(written.heads))
    db.conn.executemany(
        f"INSERT INTO temp.import_people VALUES ({', '.join('?' * len(names))})", sorted(written.tables["people"])
    )


def close_import(db: Store, batch: Batch, written: Written, since: int) -> None:
    """Put an import written in chunks in force, in the caller's write transaction: its closing event, then the
    heads and rows its events make, staged by ``stage_import``.  ``since``: the newest event that had set a row
    of the people table when the import compared the roster; a person saved since (during the import, here or
    received) is folded again from the log, as the staged rows may not be what the log now says (few, rare)."""
    assert batch.import_id is not None and written.events == len(batch.events), "every chunk written first"
    assert set(batch.columns) <= {"people"}, "an import records people"
    changed = [key for (key,) in db.execute("SELECT source_key FROM people WHERE set_by > ?", [since])]
    append(
        db,
        batch.device,
        imports.IMPORTED,
        imports.import_key(batch.import_id),
        {"import": batch.import_id, "people": written.events},
    )
    names = ", ".join(batch.columns["people"])
    db.execute(
        f"INSERT INTO heads (key, event_id, event, parents) SELECT * FROM temp.import_heads WHERE true {NEW_HEAD}"
    )  # WHERE: an upsert from a SELECT needs one (SQLite's parsing)
    db.execute(f"INSERT OR REPLACE INTO people ({names}) SELECT {names} FROM temp.import_people")
    for key in changed:
        project(db, key)


def unstage_import(db: Store) -> None:
    """After the closing transaction: the temporary tables of ``stage_import`` dropped."""
    db.execute("DROP TABLE IF EXISTS temp.import_heads")
    db.execute("DROP TABLE IF EXISTS temp.import_people")


def _write_rows(db: Store, batch: Batch, written: Written) -> None:
    db.conn.executemany(
        f"INSERT INTO heads (key, event_id, event, parents) VALUES (?, ?, ?, ?) {NEW_HEAD}", written.heads
    )
    for table, rows in written.tables.items():
        names = batch.columns[table]
        db.conn.executemany(
            f"INSERT OR REPLACE INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", rows
        )


def record_batch(db: Store, device: str, changes: list[tuple[str, str, dict[str, Any]]]) -> int:
    """``prepare_batch`` and ``write_batch`` at once, in the caller's write transaction (a few changes)."""
    return write_batch(db, prepare_batch(device, changes))
