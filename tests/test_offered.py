"""Check-ins for everyone who was inside: performers pending at the lift, everyone else offered one (never
overdue), which the IC records or closes as not needed; the counts tell pending from offered; content stays
sealed."""

from __future__ import annotations

import pytest

from kiosk.core.door import SceneState
from kiosk.services import ServiceError, checkins, door, production, reports, scenes
from kiosk.services.lift import lift
from kiosk.services.offered import close_not_needed
from kiosk.store import audit
from tests.support import IC_PASSPHRASE as PASSPHRASE
from tests.support import KIOSK


@pytest.fixture
def shot(db, crew):
    production.set_duplicate_window(db, 0, KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    for ref in ("C01", "X01", "D01", "P01"):
        assert door.scan(db, "42", crew[ref], "set", KIOSK).decision == "admit"
    assert door.scan(db, "42", crew["P01"], "set", KIOSK).decision == "exit"  # left before the lift: still offered
    assert door.scan(db, "42", crew["V01"], "monitors", KIOSK).decision == "admit"
    return lift(db, "42", KIOSK)


def states(db):
    return {row.ref: row.state for row in checkins.overview(db, "42")}


def test_performers_pending_everyone_else_who_was_inside_offered(db, shot):
    assert sorted(shot.pending) == ["Zoë Ødegård", "Łukasz Nowak"]  # both performers, inside or not
    assert shot.offered == ["Helen Marsh", "Ines Duarte", "Julia Santos"]
    assert states(db) == {"C01": "pending", "C02": "pending", "D01": "offered", "P01": "offered", "V01": "offered"}
    assert "X01" not in states(db)  # the IC does not check in with themselves
    counts = checkins.completion(db, "42")
    assert (counts.pending, counts.offered, counts.done) == (2, 3, 0)
    summary = dict(reports.scene_report(db, "42").scenes[0].summary())
    assert summary["Check-ins pending"] == 2 and summary["Check-ins offered"] == 3


def test_the_ic_records_one_or_closes_it_as_not_needed(db, shot, cheap_kdf):
    session = checkins.set_passphrase(db, PASSPHRASE, "Amara Mensah", KIOSK)
    closed = close_not_needed(session, "42", "D01")
    assert closed.status == "not-needed" and closed.state == "done"
    checkins.record(session, "42", "P01", "ok", note="fine, thanks")
    with pytest.raises(ServiceError, match="performer"):
        close_not_needed(session, "42", "C01")
    with pytest.raises(ServiceError, match="recorded already"):
        close_not_needed(session, "42", "D01")
    counts = checkins.completion(db, "42")
    assert (counts.pending, counts.offered, counts.done) == (2, 1, 2)
    assert audit.differences(db) == []
