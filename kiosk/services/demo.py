"""The built-in demo production: the crew and scenes in ``data/``, badges for everyone, one scene open."""

from __future__ import annotations

import json
from datetime import date

from kiosk import DATA
from kiosk.services import ServiceError, access, production, roster, scenes
from kiosk.services.lookup import get_production
from kiosk.store.db import Store

DEMO_NAME = "Night Garden (demo)"
DEMO_PIN = "123456"
DEMO_OVERRIDE = "the demo opens its first scene at once, to try the door"


def is_demo(db: Store) -> bool:
    """Whether this database holds the demo production (the only one ``kiosk demo`` may replace)."""
    return get_production(db)["name"] == DEMO_NAME


def build_demo(db: Store, kiosk: str) -> None:
    """Fill an empty database with the demo production (badges are issued after, to a folder).

    The first scene is opened so the door is ready - with its checklist still open, as a supervisor would open
    it: overridden with the PIN and a reason, which the report prints.  Its checklist gate is on, as in a real
    production, so the other scenes open only when ready.  The supervisor PIN is ``DEMO_PIN``.
    """
    production.init_production(db, DEMO_NAME, kiosk)
    access.set_pin(db, DEMO_PIN, kiosk)
    result = roster.import_people(db, (DATA / "demo-crew.csv").read_bytes(), kiosk)
    if not result.ok:
        raise ServiceError(f"The demo crew list is broken: {result.errors[0]}")
    for scene in json.loads((DATA / "demo-scenes.json").read_text(encoding="utf-8")):
        scenes.add_scene(
            db,
            scene["ref"],
            scene["title"],
            kiosk,
            scene["location"],
            date.today().isoformat(),
            scene["coordinator"],
            tuple(scene["performers"]),
        )
        for zone, people in scene["approve"].items():
            scenes.approve(db, scene["ref"], tuple(people), scene["approved_by"], kiosk, zone)
        if scene.get("open"):
            scenes.open_scene(db, scene["ref"], kiosk, override=DEMO_OVERRIDE, pin=DEMO_PIN)
