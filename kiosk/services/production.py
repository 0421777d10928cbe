"""The production a database belongs to: one production per database file."""

from __future__ import annotations

import math

from kiosk.core import record as rules
from kiosk.core import text
from kiosk.services import ServiceError, checked
from kiosk.services.duplicates import DUPLICATE_WINDOW_MAX
from kiosk.services.lookup import DUPLICATE_WINDOW, get_production
from kiosk.services.readiness import GATE
from kiosk.store import record
from kiosk.store.db import Store, write
from kiosk.store.queries import one


def _check_window(seconds: float) -> float:
    seconds = float(seconds)
    if not math.isfinite(seconds) or not 0 <= seconds <= DUPLICATE_WINDOW_MAX:
        raise ServiceError(f"The duplicate window must be 0 to {DUPLICATE_WINDOW_MAX:g} seconds, not {seconds:g}.")
    return seconds


def check_settings(name: str, duplicate_window: float = DUPLICATE_WINDOW) -> tuple[str, float]:
    """A new production's name and duplicate window as stored, or ``ServiceError`` saying what to fix: asked
    before a database is created for them, so that a refused `kiosk init` leaves no file behind."""
    name = checked(text.line, name, "production's name")
    if not name:
        raise ServiceError("The production needs a name.")
    return name, _check_window(duplicate_window)


def init_production(
    db: Store, name: str, kiosk: str, duplicate_window: float = DUPLICATE_WINDOW, checklist_required: bool = True
) -> dict:
    """A new production.  Its checklist gate is on unless asked otherwise: no set opens while a required item
    of its checklist is open, but by the supervisor's override with a reason (``kiosk.services.readiness``).
    Off, it records nothing (as a production made before the gate, which stays advisory until turned on)."""
    name, window = check_settings(name, duplicate_window)
    with write(db):
        existing = one(db, "SELECT name FROM production")
        if existing:
            raise ServiceError(
                f"This database already holds the production {existing['name']!r}; "
                "nothing was changed. Use another --db for another production."
            )
        record.record(db, kiosk, rules.PRODUCTION, rules.production_key(), {"name": name})
        record.record(
            db,
            kiosk,
            rules.SETTING,
            rules.setting_key("duplicate_window"),
            {"name": "duplicate_window", "value": repr(window)},
        )
        if checklist_required:
            record.record(db, kiosk, rules.SETTING, rules.setting_key(GATE), {"name": GATE, "value": "on"})
        return get_production(db)


def set_duplicate_window(db: Store, seconds: float, kiosk: str) -> None:
    window = _check_window(seconds)
    with write(db):
        get_production(db)
        record.record(
            db,
            kiosk,
            rules.SETTING,
            rules.setting_key("duplicate_window"),
            {"name": "duplicate_window", "value": repr(window)},
        )
