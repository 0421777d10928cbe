"""The production a database belongs to: one production per database file."""

from __future__ import annotations

from kiosk.core import text
from kiosk.services import ServiceError, checked, now
from kiosk.services.lookup import get_production
from kiosk.store import log
from kiosk.store.db import Store, write
from kiosk.store.queries import one


def init_production(db: Store, name: str, kiosk: str, duplicate_window: float = 5.0) -> dict:
    name = checked(text.line, name, "production's name")
    if not name:
        raise ServiceError("The production needs a name.")
    if duplicate_window < 0:
        raise ServiceError("The duplicate window cannot be negative.")
    with write(db):
        existing = one(db, "SELECT name FROM production")
        if existing:
            raise ServiceError(f"This database already holds the production {existing['name']!r}; "
                               "nothing was changed. Use another --db for another production.")
        at = now()
        row = {"id": 1, "name": name, "created_at": at, "duplicate_window": duplicate_window}
        db["production"].insert(row)
        log.append(db, at=at, kiosk=kiosk, kind="production", detail={"name": name})
    return row




def set_duplicate_window(db: Store, seconds: float, kiosk: str) -> None:
    if seconds < 0:
        raise ServiceError("The duplicate window cannot be negative.")
    with write(db):
        get_production(db)
        db.execute("UPDATE production SET duplicate_window = ? WHERE id = 1", [seconds])
        log.append(db, at=now(), kiosk=kiosk, kind="setting", detail={"duplicate_window": seconds})
