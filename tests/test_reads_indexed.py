"""The door's reads of the log search its indexes, never scan it: at a million events one full scan takes
seconds, on the database thread the scans queue behind.  Every statement the door view, the protocol's words,
the checklist gate and the door's photo run is captured and its query plan read back from SQLite."""

from __future__ import annotations

import pytest

from kiosk.core.door import SceneState
from kiosk.services import agreed_list, door_view, photos, presence, readiness, scenes
from kiosk.services.lookup import get_scene
from tests.photo_door import portrait_jpeg
from tests.support import KIOSK


def statements(db, read) -> list[str]:
    """The SQL ``read()`` runs, with its values in place."""
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    try:
        read()
    finally:
        db.conn.set_trace_callback(None)
    return [sql for sql in seen if sql.lstrip().upper().startswith("SELECT")]


def scans_of_the_log(db, sql: str) -> list[str]:
    plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}")]
    return [step for step in plan if step.startswith("SCAN events")]


@pytest.fixture
def under_way(db, crew):
    """Scene 42 with the protocol under way, and a photo kept: something to read under every key."""
    agreed_list.acknowledge(db, "42", "C01", "C01", KIOSK)
    scenes.approve(db, "42", ("P03",), by="Sam Whitfield", kiosk=KIOSK)
    readiness.confirm(db, "42", "garments", "Sam", KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    photos.set_photo(db, "D01", portrait_jpeg(), "setup", KIOSK)
    return crew


READS = {
    "door view": lambda db: door_view.door_view(db, "42"),
    "protocol words": lambda db: (agreed_list.agreed_list(db, "42"), readiness.checklist(db, "42")),
    "checklist gate": lambda db: (readiness.required(db), readiness.outstanding(db, get_scene(db, "42"))),
    "IC from the log": lambda db: (presence.coordinator(db, "42"), presence.without_ic(db, "42")),
    "door photo": lambda db: photos.photo_of(db, "D01"),
}


@pytest.mark.parametrize("read", READS)
def test_the_door_reads_search_the_log_never_scan_it(db, under_way, read):
    ran = statements(db, lambda: READS[read](db))
    assert ran, "nothing was read"
    scanned = {sql: steps for sql in ran if (steps := scans_of_the_log(db, sql))}
    assert scanned == {}
