"""Shared fixtures: a fresh production database with people, badges and a scene, per test."""

from __future__ import annotations

import pytest

from kiosk import DATA
from kiosk.services import badges, production, roster, scenes
from kiosk.store.db import connect

KIOSK = "test-kiosk"


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    path = tmp_path / "kiosk.db"
    monkeypatch.setenv("KIOSK_DB", str(path))
    monkeypatch.setenv("KIOSK_ID", KIOSK)
    return path


@pytest.fixture
def db(db_path):
    database = connect(db_path, create=True)
    production.init_production(database, "Night Garden", KIOSK)
    yield database
    database.close()


@pytest.fixture
def crew(db):
    """The demo roster, badges for everyone, and scene 42 with performers, IC and a few approvals.

    Returns {ref: code} of the valid badges.
    """
    result = roster.import_people(db, (DATA / "demo-crew.csv").read_bytes(), KIOSK)
    assert result.ok, result.errors
    cards = badges.plan_badges(db)
    badges.record_badges(db, cards, KIOSK)
    scenes.add_scene(db, "42", "Bedroom, night", KIOSK, location="Stage 3", coordinator="X01",
                     performers=("C01", "C02"))
    scenes.approve(db, "42", ("D01", "P01", "P02"), by="Sam Whitfield", kiosk=KIOSK)
    scenes.approve(db, "42", ("V01",), by="Sam Whitfield", kiosk=KIOSK, zone="monitors")
    return {card.ref: card.code for card in cards}
