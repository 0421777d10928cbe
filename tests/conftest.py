"""Shared fixtures: a fresh production database with people, badges and a scene, per test."""

from __future__ import annotations

import os

import pytest

from kiosk import DATA
from kiosk.core.secrets import SALT_BYTES, KdfParams
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


@pytest.fixture
def cheap_kdf(monkeypatch):
    """Passphrases set in this test derive with scrypt N=2**10 instead of 2**16: the stored parameters say so,
    so everything else runs as in production, 64 times faster (``test_real_cost_by_default`` keeps the real)."""
    monkeypatch.setattr(KdfParams, "fresh", classmethod(lambda cls: cls(os.urandom(SALT_BYTES), n=2**10)))
