"""Checking the record: the chains of the log, and the tables against a rebuild from the log alone.

``verify`` walks every row: the local chain, each event's hash and canonical text, each device's own chain, the
indexed columns against the payload, and the head; an anchor filed earlier proves no row up to it was rewritten
since.  ``differences`` folds the log again in memory and names every table row that is not what it says.
``rebuild`` rewrites the tables from the log (for recovery, from an intact log).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kiosk.core import events as ev
from kiosk.core import imports, projection
from kiosk.core import record as rules
from kiosk.core.audit import ANCHOR_HEX, AuditResult, parse_anchor
from kiosk.core.events import GENESIS, Event
from kiosk.store import ledger, record
from kiosk.store.db import Store, snapshot

# Every family of keys that makes table rows (the production's key has no slash): a family added to the record's
# rules is covered here, and by ``rebuild`` and ``differences``, without a word changed in this file.
PROJECTED_KEYS = (*(f"{family}/%" for family in projection.FAMILY_TABLES if family != "production"), "production")


_WALK = (
    f"SELECT id, payload, hash, chain, event_id, device, seq, hlc, at, type, key, {', '.join(record.COLUMNS)} "
    "FROM events ORDER BY id"
)


def verify(db: Store, anchor: str | None = None) -> AuditResult:
    """Walk the whole log; report the first row where it breaks (see the module note).  In one read snapshot:
    the log's rows and the head they are checked against are of the same moment, however a door writes."""
    with snapshot(db):
        return _verify(db, anchor)


def _verify(db: Store, anchor: str | None) -> AuditResult:
    anchor_id, anchor_hash = parse_anchor(anchor) if anchor else (None, "")
    shape = ledger.problem(db.conn)
    if shape:
        return AuditResult(False, 0, None, shape)
    previous_chain, count, newest = GENESIS, 0, ev.hlc_text(0, 0)
    devices: dict[str, tuple[int, str]] = {}
    legacy_break = ""
    cursor = db.conn.cursor()
    for row in cursor.execute(_WALK):
        local_id, _, digest, chain = row[:4]
        if local_id != count + 1:
            return AuditResult(False, count, count + 1, f"row {count + 1} is missing")
        problem, event = _row_problem(row, previous_chain, devices)
        if event is None or problem:
            return AuditResult(False, count, local_id, problem)
        if local_id == anchor_id and not _matches_anchor(event, chain, anchor_hash):
            return AuditResult(
                False,
                count,
                local_id,
                f"row {local_id} differs from the anchor {anchor}: the log was rewritten since it was filed",
            )
        if event.type == rules.MIGRATED and event.body["legacy"].get("broken"):
            legacy_break = event.body["legacy"]["broken"]
        devices[event.device] = (event.seq, digest)
        previous_chain, count, newest = chain, count + 1, max(newest, event.hlc)
    head = db.execute("SELECT seq, hash, hlc FROM chains WHERE device = ''").fetchone()
    if head is None:
        return AuditResult(
            False, count, None, "the chains table has lost the log's head (its row for the local chain was deleted)"
        )
    if tuple(head[:2]) != (count, previous_chain):
        return AuditResult(
            False,
            count,
            count + 1,
            f"rows after {count} were removed from the end of the log, or the chains table's head was edited",
        )
    if head[2] != newest:
        return AuditResult(
            False,
            count,
            None,
            f"the chains table's clock reading is {head[2]!r}, the log's newest is {newest!r} (the table was edited)",
        )
    held = {
        device: (seq, digest)
        for device, seq, digest in db.execute("SELECT device, seq, hash FROM chains WHERE device != ''")
    }
    if held != devices:
        named = sorted(
            set(held) ^ set(devices)
            | {device for device in held.keys() & devices.keys() if held[device] != devices[device]}
        )
        return AuditResult(
            False,
            count,
            None,
            f"the chains table's heads of {', '.join(named)} are not what the log says (the table was edited)",
        )
    if anchor_id is not None and anchor_id > count:
        return AuditResult(
            False,
            count,
            count + 1,
            f"the log ends before row {anchor_id} of the anchor {anchor}: rows were removed since it was filed",
        )
    if legacy_break:
        return AuditResult(False, count, None, f"{legacy_break} (found when the file was upgraded)")
    return AuditResult(True, count, anchor=f"{count}:{previous_chain[:ANCHOR_HEX]}")


def _row_problem(row: tuple, previous_chain: str, devices: dict[str, tuple[int, str]]) -> tuple[str, Event | None]:
    """What is wrong with one row of the walk (empty when nothing), and its event when it parses."""
    local_id, payload, digest, chain = row[:4]
    if record.chained(previous_chain, digest) != chain:
        return f"row {local_id} does not follow row {local_id - 1}", None
    if ev.digest(payload) != digest:
        return f"row {local_id} was altered", None
    try:
        event = ev.parse(payload)
    except ev.EventError as error:
        return f"row {local_id} is not a well-formed event ({error})", None
    seq, previous = devices.get(event.device, (0, GENESIS))
    if event.seq != seq + 1 or event.prev != previous:
        return f"row {local_id}: event {event.seq} of {event.device} does not follow its event {seq}", event
    expected = (
        event.id,
        event.device,
        event.seq,
        event.hlc,
        event.at,
        event.type,
        event.key,
        *(event.body.get(name) for name in record.COLUMNS),
    )
    if tuple(row[4:]) != expected:
        return f"row {local_id}'s columns differ from its event (the columns were edited)", event
    return "", event


def _matches_anchor(event: Event, chain: str, anchor_hash: str) -> bool:
    """An anchor names a row by its chain hash, or, filed before the upgrade, by its hash in the old log."""
    legacy = event.body.get("legacy") if event.type != rules.MIGRATED else None
    return chain.startswith(anchor_hash) or bool(legacy and legacy["hash"].startswith(anchor_hash))


# --- the tables against the log -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    table: str
    key: tuple[Any, ...]
    what: str

    def __str__(self) -> str:
        return f"{self.table} {'/'.join(str(part) for part in self.key)}: {self.what}"


def _projected_events(db: Store) -> dict[str, list[tuple[int, Event]]]:
    by_key: dict[str, list[tuple[int, Event]]] = defaultdict(list)
    where = " OR ".join("key LIKE ?" if "%" in key else "key = ?" for key in PROJECTED_KEYS)
    for local_id, payload, key in db.execute(
        f"SELECT id, payload, key FROM events WHERE {where} ORDER BY id", PROJECTED_KEYS
    ):
        by_key[key].append((local_id, record.load(payload)))
    closed = record.closed_imports(db, imports.named_imports(event for items in by_key.values() for _, event in items))
    return {
        key: [
            (local_id, event)
            for local_id, event in items  # an unclosed import's events do not count
            if (named := imports.import_of(event)) is None or named in closed
        ]
        for key, items in by_key.items()
    }


def _folds(db: Store) -> Iterator[tuple[str, projection.Folded, int | None]]:
    """Every projected key folded from the log alone: the key, what its events make, and the local id of the
    event that decided it (``set_by``)."""
    for key, items in _projected_events(db).items():
        local = {event.id: local_id for local_id, event in items}
        folded = projection.fold(key, [event for _, event in items])
        yield key, folded, local[folded.winner.id] if folded.winner else None


def rebuilt(db: Store, bookkeeping: bool = False) -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
    """Every projected table as the log alone makes it: table -> row key -> row; with ``bookkeeping``, also
    ``heads`` and ``conflicts`` (what ``rebuild`` writes there), from the same one fold of the log."""
    tables: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {table: {} for table in projection.TABLES}
    heads, conflicts = (
        tables.setdefault("heads", {}) if bookkeeping else {},
        tables.setdefault("conflicts", {}) if bookkeeping else {},
    )
    for key, folded, set_by in _folds(db):
        for table, rows in folded.rows.items():
            for row in rows:
                full = {**row, "source_key": key, "set_by": set_by}
                tables[table][tuple(full[name] for name in projection.KEYS[table])] = full
        if folded.winner is not None:
            heads[(key,)] = {
                "key": key,
                "event_id": folded.winner.id,
                "event": set_by,
                "parents": ev.canonical(list(folded.frontier)),
            }
        for found in folded.conflicts:
            conflicts[(found.key, found.kept, found.lost)] = {
                "key": found.key,
                "kept": found.kept,
                "lost": found.lost,
                "words": found.words,
            }
    return tables


def _normal(row: dict[str, Any]) -> dict[str, Any]:
    return {name: (bool(value) if name in projection.BOOLEANS else value) for name, value in row.items()}


def _photo_problems(db: Store) -> list[Difference]:
    """Each photo whose bytes are missing or are not what its digest (in the log) names: a photo swapped in the
    file to pass someone off as the badge's owner shows here, and the door does not show it."""
    found = []
    for person, digest, image in db.execute(
        "SELECT p.person, p.digest, b.image FROM photos p "
        "LEFT JOIN photo_blobs b ON b.digest = p.digest ORDER BY p.person"
    ):
        if image is None:
            found.append(Difference("photo_blobs", (person,), "the photo's bytes are missing"))
        elif hashlib.sha256(image).hexdigest() != digest:
            found.append(Difference("photo_blobs", (person,), "the photo's bytes are not the ones the log names"))
    return found


BOOKKEEPING_KEYS = {"heads": ("key",), "conflicts": ("key", "kept", "lost")}


def differences(db: Store) -> list[Difference]:
    """Every table row that is not what the log says: missing, added, or with a column changed; the
    projections, and the ``heads`` and ``conflicts`` the door and the next events rely on; and every photo
    whose bytes are not the ones its event names."""
    found: list[Difference] = []
    for table, expected in rebuilt(db, bookkeeping=True).items():
        keys = BOOKKEEPING_KEYS.get(table) or projection.KEYS[table]
        cursor = db.execute(f"SELECT * FROM {table}")
        names = [column[0] for column in cursor.description]
        actual = {}
        for values in cursor.fetchall():
            row = _normal(dict(zip(names, values)))
            actual[tuple(row[name] for name in keys)] = row
        for key in sorted(expected.keys() - actual.keys(), key=str):
            found.append(Difference(table, key, "missing: the log has it, the table does not"))
        for key in sorted(actual.keys() - expected.keys(), key=str):
            found.append(Difference(table, key, "not in the log: the table has a row the log never made"))
        for key in sorted(expected.keys() & actual.keys(), key=str):
            changed = [
                f"{name} is {actual[key].get(name)!r}, the log says {value!r}"
                for name, value in _normal(expected[key]).items()
                if actual[key].get(name) != value
            ]
            if changed:
                found.append(Difference(table, key, "; ".join(changed)))
    return found + _photo_problems(db)


def rebuild(db: Store) -> int:
    """Rewrite every projected table from the log; inside ``store.db.write()``.  Returns the keys folded.

    What ``record.project`` writes for each key (its head, its rows, its conflicts), for all keys at once: the
    log is read once and each table written with one statement, instead of a query and a delete per key.
    """
    heads: list[tuple[str, str, int | None, str]] = []
    conflicts: list[tuple[str, str, str, str]] = []
    tables: dict[tuple[str, tuple[str, ...]], list[tuple[Any, ...]]] = defaultdict(list)
    keys = 0
    for key, folded, set_by in _folds(db):
        keys += 1
        if folded.winner is not None:
            heads.append((key, folded.winner.id, set_by, ev.canonical(list(folded.frontier))))
        for table, rows in folded.rows.items():
            for row in rows:
                tables[table, (*row, "source_key", "set_by")].append((*row.values(), key, set_by))
        conflicts += ((found.key, found.kept, found.lost, found.words) for found in folded.conflicts)
    for table in projection.TABLES:
        db.execute(f"DELETE FROM {table}")
    db.execute("DELETE FROM heads")
    db.execute("DELETE FROM conflicts")
    db.conn.executemany("INSERT INTO heads (key, event_id, event, parents) VALUES (?, ?, ?, ?)", heads)
    db.conn.executemany("INSERT INTO conflicts (key, kept, lost, words) VALUES (?, ?, ?, ?)", conflicts)
    for (table, names), values in tables.items():
        db.conn.executemany(
            f"INSERT OR REPLACE INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", values
        )
    return keys
