"""A crew list imported in chunks travels through a real hub as its events, and every machine folds them alike:
nobody of an import cut off before its closing event is on any roster; once an import is closed, everybody of it
is on every roster, whether the machine pulled its events as they came or joined afterwards."""

from __future__ import annotations

import pytest

from kiosk.services import roster
from kiosk.store import audit as store_audit
from kiosk.store import batch as batch_records
from tests.syncing import OFFICE, settle, tables

ROWS = 10


class Cut(Exception):
    pass


def die(*_args, **_kwargs):
    """The import dies once its chunks are on disk, before its closing event (as a kill -9 there would)."""
    raise Cut


def crew_list(name: str) -> bytes:
    return ("Ref,Name,Kind\n" + "".join(f"N{i:03d},{name} {i:03d},crew\n" for i in range(1, ROWS + 1))).encode()


def listed(machine) -> dict[str, str]:
    return dict(machine.db.execute("SELECT ref, name FROM people WHERE ref LIKE 'N%' ORDER BY ref"))


def test_an_import_in_chunks_counts_on_every_machine_only_once_closed(fleet, monkeypatch):
    monkeypatch.setattr(roster, "CHUNK_ROWS", 3)
    monkeypatch.setattr(roster, "CHUNK_PAUSE", 0.0)
    door_a = fleet.join("door-a")
    with monkeypatch.context() as patched:
        patched.setattr(batch_records, "close_import", die)
        with pytest.raises(Cut):
            roster.import_people(fleet.office.db, crew_list("Cut"), OFFICE)
    settle(fleet.machines)
    assert door_a.db.execute("SELECT COUNT(*) FROM events WHERE json_extract(payload, '$.body.import') "
                             "IS NOT NULL").fetchone()[0] == ROWS  # the inert events travelled
    assert listed(door_a) == listed(fleet.office) == {}
    assert tables(door_a.db) == tables(fleet.office.db)
    assert store_audit.differences(door_a.db) == []

    assert roster.import_people(fleet.office.db, crew_list("Person"), OFFICE).ok
    settle(fleet.machines)
    door_b = fleet.join("door-b")  # built from the hub afterwards: the cut import and the closed one
    for machine in (fleet.office, door_a, door_b):
        assert listed(machine) == {f"N{i:03d}": f"Person {i:03d}" for i in range(1, ROWS + 1)}
        assert store_audit.differences(machine.db) == []
    assert tables(door_a.db) == tables(door_b.db) == tables(fleet.office.db)
