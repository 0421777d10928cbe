"""The production's cast and crew."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.core import events as ev
from kiosk.core import record as rules
from kiosk.core.roster import (
    PersonRow,
    Reading,
    RosterOptionError,
    RosterSource,
    RowError,
    check_person,
    read_roster,
    ref_from_name,
)
from kiosk.core.text import department_and_role
from kiosk.services import ServiceError, photos
from kiosk.services.lookup import get_person
from kiosk.store import batch as batch_records
from kiosk.store.db import LONG_WRITE_POLL, Store, write
from kiosk.store.queries import many

PERSON_FIELDS = ("ref", "name", "department", "role", "kind")


@dataclass(frozen=True)
class Person:
    """Someone on the roster, as the screens list them."""

    ref: str
    name: str
    department: str
    role: str
    kind: str
    badge_issued_at: str | None = None  # when their valid badge was issued; None: no valid badge

    @classmethod
    def from_row(cls, row: dict) -> Person:
        return cls(row["ref"], row["name"], row["department"], row["role"], row["kind"], row.get("badge_issued_at"))

    @property
    def words(self) -> str:
        doing = department_and_role(self.department, self.role)
        return f"{self.name} - {doing} ({self.ref})" if doing else f"{self.name} ({self.ref})"


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    reading: Reading | None = None  # how the file was read: format, header line, which column is which
    names: dict[str, str] = field(default_factory=dict)  # ref -> name of everyone added or updated

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        reading = self.reading
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "names": self.names,
            "read": None
            if reading is None
            else {
                "format": reading.format,
                "header_line": reading.header_line,
                "columns": reading.columns,
                "ignored": list(reading.ignored),
            },
            "errors": [{"line": error.line, "cell": error.cell, "reason": error.reason} for error in self.errors],
        }


def _changes(db: Store, people: list[PersonRow], result: ImportResult) -> list[tuple[str, str, dict]]:
    """The person events that bring the roster to ``people``, sorting each ref into added, updated, unchanged."""
    existing = {row["ref"]: row for row in many(db, "SELECT ref, name, department, role, kind FROM people")}
    changes = []
    for person in people:
        values = {name: getattr(person, name) for name in PERSON_FIELDS}
        before = existing.get(person.ref)
        if before == values:
            result.unchanged.append(person.ref)
            continue
        (result.updated if before else result.added).append(person.ref)
        result.names[person.ref] = person.name
        changes.append((rules.PERSON, rules.person_key(person.ref), values))
    return changes


def import_people(
    db: Store,
    data: bytes,
    kiosk: str,
    dry_run: bool = False,
    source: RosterSource | None = None,
    base: Path | None = None,
) -> ImportResult:
    """All rows or none: a list (CSV text or an .xlsx workbook, told apart by their bytes) with any bad row
    changes nothing and reports every bad row.  ``source`` says how to read it (sheet, encoding, which column
    is which, the kind for everyone); an option that cannot be used is a ServiceError.  A ``photo`` column
    names each person's photo by its path relative to ``base``, the list's own folder.

    The list is read and checked, compared with the roster and its events made before the write lock is taken;
    under the lock the events are chained on to the log and written in a few bulk statements, one transaction -
    or, for more than ``CHUNK_ROWS`` changes, in chunks closed by one event (``_record_in_chunks``), so that
    no transaction keeps the door waiting.
    """
    try:
        roster = read_roster(data, source)
    except RosterOptionError as error:
        raise ServiceError(str(error)) from None
    result = ImportResult(errors=roster.errors, dry_run=dry_run, reading=roster.reading)
    pictures = {}
    for person in roster.people:  # every photo read and downscaled before anything is recorded
        if person.photo:
            try:
                pictures[person.ref] = photos.from_list(base, person.photo)
            except photos.PhotoRefused as error:
                result.errors.append(RowError(person.line, str(error)))
    if result.errors:
        return result
    if dry_run:
        _changes(db, roster.people, result)
        return result
    return _record(db, kiosk, roster.people, result, pictures)


CHUNK_ROWS = 2_000  # a longer list is written in chunks of this many people, the door's scans between them
CHUNK_PAUSE = 0.1  # seconds between chunks: a door waiting for the lock polls for it, and would miss a gap


def _record(db: Store, kiosk: str, people: list[PersonRow], result: ImportResult, pictures: dict) -> ImportResult:
    """Record the changes that bring the roster to ``people``: in one transaction, or a long list in chunks."""
    seen = _roster_state(db)
    changes = _changes(db, people, result)
    if len(changes) > CHUNK_ROWS:
        return _record_in_chunks(db, kiosk, people, changes, result, seen, pictures)
    batch = batch_records.prepare_batch(kiosk, changes)  # the slow part, before the write lock
    with write(db):
        if _roster_state(db) != seen:  # someone changed the roster meanwhile: compare again, under the lock
            result = ImportResult(reading=result.reading)
            batch = batch_records.prepare_batch(kiosk, _changes(db, people, result))
        batch_records.write_batch(db, batch)
        for ref, prepared in pictures.items():
            photos.keep(db, ref, prepared, "import", kiosk)
    return result


def _record_in_chunks(
    db: Store,
    kiosk: str,
    people: list[PersonRow],
    changes: list[tuple[str, str, dict]],
    result: ImportResult,
    seen: tuple[int, int],
    pictures: dict,
) -> ImportResult:
    """A long list in short transactions, all-or-nothing by the log (kiosk.core.imports): its events written in
    chunks, inert until the closing event puts them all in force, with their rows, in one last short transaction.
    A pause after each lets the door's scans in."""
    batch = batch_records.prepare_batch(kiosk, changes, import_id=ev.new_id())  # before the write lock
    written = batch_records.Written()
    with write(db, poll=LONG_WRITE_POLL):
        if _roster_state(db) == seen:  # nobody changed the roster since it was compared
            batch_records.write_chunk(db, batch, 0, CHUNK_ROWS, written)
    if not written.events:  # someone did: compare again
        return _record(db, kiosk, people, ImportResult(reading=result.reading), pictures)
    for start in range(CHUNK_ROWS, len(batch.events), CHUNK_ROWS):
        time.sleep(CHUNK_PAUSE)
        with write(db, poll=LONG_WRITE_POLL):
            batch_records.write_chunk(db, batch, start, start + CHUNK_ROWS, written)
    batch_records.stage_import(db, batch, written)  # the rows they make, ready to copy: before the lock
    time.sleep(CHUNK_PAUSE)
    with write(db, poll=LONG_WRITE_POLL):
        batch_records.close_import(db, batch, written, since=seen[1])
        for ref, prepared in pictures.items():
            photos.keep(db, ref, prepared, "import", kiosk)
    batch_records.unstage_import(db)
    return result


def _roster_state(db: Store) -> tuple[int, int]:
    """How many people, and the newest event that set one: any change to the people table changes it."""
    return db.execute("SELECT COUNT(*), COALESCE(MAX(set_by), 0) FROM people").fetchone()


def add_person(
    db: Store, kiosk: str, name: str, kind: str, department: str = "", role: str = "", ref: str = ""
) -> Person:
    """Add one person, or update the one with this ref."""
    name, department, role, ref, kind = (value.strip() for value in (name, department, role, ref, kind))
    problems = check_person(ref, name, department, role, kind)
    if problems:
        raise ServiceError("; ".join(problems).capitalize() + ".")
    person = PersonRow(ref or ref_from_name(name), name, department, role, kind.lower())
    with write(db):
        batch_records.record_batch(db, kiosk, _changes(db, [person], ImportResult()))
    return Person.from_row(get_person(db, person.ref))


def list_people(db: Store) -> list[Person]:
    return [
        Person.from_row(row)
        for row in many(
            db,
            """
        SELECT p.ref, p.name, p.department, p.role, p.kind,
               (SELECT b.issued_at FROM badges b WHERE b.person = p.ref AND b.status = 'active') AS badge_issued_at
        FROM people p ORDER BY p.name COLLATE NOCASE""",
        )
    ]


def search_people(db: Store, text: str, limit: int = 20) -> list[Person]:
    """People whose name, ref or department contains ``text``: for finding a forgotten badge's owner."""
    pattern = f"%{text.strip()}%"
    return [
        Person.from_row(row)
        for row in many(
            db,
            """
        SELECT ref, name, department, role, kind FROM people
        WHERE name LIKE ? OR ref LIKE ? OR department LIKE ? ORDER BY name COLLATE NOCASE LIMIT ?""",
            [pattern, pattern, pattern, limit],
        )
    ]
