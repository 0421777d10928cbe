"""What the record of every door shows that should not have happened (``kiosk.core.anomalies``), and the
conflicts the record settled (two machines changing one thing without seeing each other), for reports, the hub's
status and ``kiosk sync --json``.  Reads only."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from kiosk.core import anomalies as rules
from kiosk.core import record as events
from kiosk.core.anomalies import Anomaly, ClockSkew, DoorMove
from kiosk.services.lookup import get_scene
from kiosk.store import record
from kiosk.store.db import Store
from kiosk.store.queries import many

SCENE_FAMILIES = ("scene", "state", "performer", "approval", "checkin")  # keys that name a scene second


@dataclass(frozen=True)
class Conflict:
    """Two changes of one thing made without knowledge of each other, and the one every machine kept."""

    key: str  # what was changed: "approval/42/P01/set", "state/42", ...
    words: str
    kept_event: str
    kept_device: str | None
    kept_at: str | None
    lost_event: str
    lost_device: str | None
    lost_at: str | None


@dataclass(frozen=True)
class Found:
    anomalies: list[Anomaly]
    conflicts: list[Conflict]
    names: dict[str, str] = field(default_factory=dict)  # person ref -> name, for the people named above
    clocks: list[ClockSkew] = field(default_factory=list)  # clocks found more than two minutes off (or back)

    def involving(self, device: str) -> int:
        """How many of them an event of ``device`` is part of: its own door moves, and its changes that lost."""
        return (
            sum(1 for anomaly in self.anomalies if anomaly.device == device)
            + sum(1 for conflict in self.conflicts if device in (conflict.kept_device, conflict.lost_device))
            + sum(1 for clock in self.clocks if clock.device == device and clock.flagged)
        )


def _moves(db: Store, scene: str | None) -> list[DoorMove]:
    where, params = ("AND scene = ?", [scene]) if scene else ("", [])
    return [
        DoorMove(
            row["event_id"],
            row["device"],
            (row["hlc"], row["device"], row["seq"]),
            row["at"],
            row["scene"],
            row["person"],
            row["zone"],
            row["decision"],
            row["badge"],
            row["type"] == events.SWEEP,
        )
        for row in many(
            db,
            "SELECT event_id, device, seq, hlc, at, type, scene, person, zone, decision, badge "
            f"FROM events WHERE decision IN ('admit', 'exit') AND person IS NOT NULL {where}",
            params,
        )
    ]


def _badge_events(db: Store) -> list:
    return [
        record.load(payload)
        for (payload,) in db.execute(
            "SELECT payload FROM events WHERE key >= 'badges/' AND key < 'badges0' AND decision IS NULL"
        )
    ]


def _conflicts(db: Store, scene: str | None) -> list[Conflict]:
    rows = many(
        db,
        """SELECT c.key, c.words, c.kept, k.device AS kept_device, k.at AS kept_at,
                              c.lost, l.device AS lost_device, l.at AS lost_at
                       FROM conflicts c LEFT JOIN events k ON k.event_id = c.kept
                       LEFT JOIN events l ON l.event_id = c.lost ORDER BY c.key, c.kept, c.lost""",
    )
    shown = [
        Conflict(
            row["key"],
            row["words"],
            row["kept"],
            row["kept_device"],
            row["kept_at"],
            row["lost"],
            row["lost_device"],
            row["lost_at"],
        )
        for row in rows
    ]
    return [conflict for conflict in shown if scene is None or _of_scene(conflict.key, scene)]


def _of_scene(key: str, scene: str) -> bool:
    family, _, rest = key.partition("/")
    return family in SCENE_FAMILIES and rest.split("/")[0] == scene


def clock_notes(db: Store, device: str | None = None) -> list[ClockSkew]:
    """The clocks noted at syncs (every device's, or one's), in the record's order."""
    where, params = ("key = ?", [events.clock_key(device)]) if device else ("key >= 'clock/' AND key < 'clock0'", [])
    rows = db.execute(
        f"SELECT event_id, device, at, payload FROM events WHERE {where} AND type = ? "
        "AND decision IS NULL ORDER BY hlc, device, seq",
        [*params, events.CLOCK],
    ).fetchall()
    notes = []
    for event_id, device_name, at, payload in rows:
        body = json.loads(payload)["body"]
        notes.append(ClockSkew(device_name, event_id, at, float(body["skew"]), bool(body["flagged"])))
    return notes


def last_clock_note(db: Store, device: str) -> ClockSkew | None:
    notes = clock_notes(db, device)
    return notes[-1] if notes else None


def find(db: Store, scene_ref: str | None = None) -> Found:
    """The anomalies at every door (of one scene, or all) and the conflicts the record settled."""
    scene = get_scene(db, scene_ref)["ref"] if scene_ref else None
    found = rules.find(_moves(db, scene), rules.badge_ends(_badge_events(db)))
    conflicts = _conflicts(db, scene)
    refs = sorted({anomaly.person for anomaly in found})
    names = dict(
        db.execute(
            "SELECT ref, name FROM people WHERE ref IN (SELECT value FROM json_each(?))", [json.dumps(refs)]
        ).fetchall()
    )
    return Found(found, conflicts, names, clock_notes(db))
