"""The production's cast and crew."""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.core.roster import (
    PersonRow,
    RowError,
    check_person,
    parse_people_csv,
    ref_from_name,
)
from kiosk.services import ServiceError, now
from kiosk.services.lookup import get_person
from kiosk.store import log
from kiosk.store.db import Store, write
from kiosk.store.queries import many, one

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
        return f"{self.name} - {self.department}, {self.role} ({self.ref})"


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {"ok": self.ok, "dry_run": self.dry_run, "added": self.added, "updated": self.updated,
                "unchanged": self.unchanged,
                "errors": [{"line": error.line, "reason": error.reason} for error in self.errors]}


def _upsert(db: Store, person: PersonRow, result: ImportResult, kiosk: str, at: str) -> None:
    values = {name: getattr(person, name) for name in PERSON_FIELDS}
    existing = one(db, "SELECT id, ref, name, department, role, kind FROM people WHERE ref = ?", [person.ref])
    if existing and all(existing[name] == values[name] for name in PERSON_FIELDS):
        result.unchanged.append(person.ref)
        return
    (result.updated if existing else result.added).append(person.ref)
    if result.dry_run:
        return
    db["people"].upsert({**values, "updated_at": at}, pk="ref", alter=False)
    person_id = one(db, "SELECT id FROM people WHERE ref = ?", [person.ref])["id"]
    log.append(db, at=at, kiosk=kiosk, kind="person_updated" if existing else "person_added",
               person_id=person_id, detail=values)


def import_people(db: Store, data: bytes, kiosk: str, dry_run: bool = False) -> ImportResult:
    """All rows or none: a file with any bad row changes nothing and reports every bad row."""
    people, errors = parse_people_csv(data)
    result = ImportResult(errors=errors, dry_run=dry_run)
    if errors:
        return result
    with write(db):
        at = now()
        for person in people:
            _upsert(db, person, result, kiosk, at)
    return result


def add_person(db: Store, kiosk: str, name: str, kind: str, department: str = "", role: str = "",
               ref: str = "") -> Person:
    """Add one person, or update the one with this ref."""
    name, department, role, ref, kind = (value.strip() for value in (name, department, role, ref, kind))
    problems = check_person(ref, name, department, role, kind)
    if problems:
        raise ServiceError("; ".join(problems).capitalize() + ".")
    person = PersonRow(ref or ref_from_name(name), name, department, role, kind.lower())
    with write(db):
        _upsert(db, person, ImportResult(), kiosk, now())
    return Person.from_row(get_person(db, person.ref))


def list_people(db: Store) -> list[Person]:
    return [Person.from_row(row) for row in many(db, """
        SELECT p.ref, p.name, p.department, p.role, p.kind,
               (SELECT b.issued_at FROM badges b WHERE b.person_id = p.id AND b.status = 'active') AS badge_issued_at
        FROM people p ORDER BY p.name COLLATE NOCASE""")]






def search_people(db: Store, text: str, limit: int = 20) -> list[Person]:
    """People whose name, ref or department contains ``text``: for finding a forgotten badge's owner."""
    pattern = f"%{text.strip()}%"
    return [Person.from_row(row) for row in many(db, """
        SELECT id, ref, name, department, role, kind FROM people
        WHERE name LIKE ? OR ref LIKE ? OR department LIKE ? ORDER BY name COLLATE NOCASE LIMIT ?""",
                                         [pattern, pattern, pattern, limit])]
