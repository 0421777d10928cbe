"""The questions the door asks of the database, each answered by one indexed query."""

from __future__ import annotations

from typing import Any

from kiosk.store.db import Store


def one(db: Store, sql: str, params: list | tuple = ()) -> dict[str, Any] | None:
    cursor = db.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([column[0] for column in cursor.description], row))


def many(db: Store, sql: str, params: list | tuple = ()) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def badge_holder(db: Store, code: str) -> dict[str, Any] | None:
    """The badge with this code and the person it was issued to."""
    return one(db, """SELECT b.id, b.person_id, b.status, p.ref, p.name, p.department, p.role
                      FROM badges b JOIN people p ON p.id = b.person_id WHERE b.code = ?""", [code])


def approved_zones(db: Store, scene_id: int, person_id: int) -> frozenset[str]:
    rows = db.execute("SELECT zone FROM approvals WHERE scene_id = ? AND person_id = ?", [scene_id, person_id])
    return frozenset(zone for (zone,) in rows)


def is_inside(db: Store, scene_id: int, person_id: int, zone: str) -> bool:
    """Inside when the person's latest admit-or-exit row for this scene and zone is an admit."""
    row = db.execute(
        "SELECT decision FROM log WHERE scene_id = ? AND person_id = ? AND zone = ? "
        "AND decision IN ('admit', 'exit') ORDER BY id DESC LIMIT 1",
        [scene_id, person_id, zone],
    ).fetchone()
    return row is not None and row[0] == "admit"


def has_entered_before(db: Store, scene_id: int, person_id: int) -> bool:
    return db.execute(
        "SELECT 1 FROM log WHERE scene_id = ? AND person_id = ? AND decision = 'admit' LIMIT 1",
        [scene_id, person_id],
    ).fetchone() is not None


def inside(db: Store, scene_ids: list[int]) -> list[dict[str, Any]]:
    """Everyone inside the given scenes now: person, scene, zone and the time they came in."""
    if not scene_ids:
        return []
    marks = ", ".join("?" * len(scene_ids))
    return many(
        db,
        f"""
        SELECT s.ref AS scene, l.zone, l.at AS since, p.id AS person_id, p.ref, p.name, p.department, p.role,
               p.kind
        FROM (SELECT MAX(id) AS id FROM log
              WHERE scene_id IN ({marks}) AND decision IN ('admit', 'exit')
              GROUP BY scene_id, person_id, zone) latest
        JOIN log l ON l.id = latest.id
        JOIN people p ON p.id = l.person_id
        JOIN scenes s ON s.id = l.scene_id
        WHERE l.decision = 'admit'
        ORDER BY s.ref, l.at
        """,
        scene_ids,
    )


def last_scan_of_badge(db: Store, badge_id: int) -> dict[str, Any] | None:
    return one(db, "SELECT * FROM log WHERE badge_id = ? AND kind = 'scan' ORDER BY id DESC LIMIT 1", [badge_id])


def changed_since(db: Store, log_id: int, scene_id: int, badge_id: int) -> bool:
    """Whether anything but a scan happened at this scene, or to this badge, after log row ``log_id``."""
    return db.execute(
        "SELECT 1 FROM log WHERE scene_id = ? AND id > ? AND kind != 'scan' "
        "UNION ALL SELECT 1 FROM log WHERE badge_id = ? AND id > ? AND kind != 'scan' LIMIT 1",
        [scene_id, log_id, badge_id, log_id],
    ).fetchone() is not None


def log_rows(db: Store, scene_id: int | None = None, limit: int | None = None,
             newest_first: bool = False, kinds: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Log rows with the person's name, for screens and listings; ``kinds`` keeps only those kinds."""
    conditions = (["l.scene_id = ?"] if scene_id is not None else []) + (
        [f"l.kind IN ({', '.join('?' * len(kinds))})"] if kinds else [])
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    order = "DESC" if newest_first else "ASC"
    return many(
        db,
        f"""
        SELECT l.id, l.at, l.kiosk, l.kind, l.scan_id, s.ref AS scene, l.zone, l.decision, l.reason, l.raw,
               l.layout, l.detail, p.ref AS person_ref, p.name AS person_name
        FROM log l LEFT JOIN people p ON p.id = l.person_id LEFT JOIN scenes s ON s.id = l.scene_id
        {where} ORDER BY l.id {order} {"LIMIT ?" if limit else ""}
        """,
        [*([scene_id] if scene_id is not None else []), *kinds, *([limit] if limit else [])],
    )


def setting(db: Store, key: str) -> str | None:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def put_setting(db: Store, key: str, value: str | None) -> None:
    """Set (or with ``None``, remove) one setting; call inside ``store.db.write()``."""
    if value is None:
        db.execute("DELETE FROM settings WHERE key = ?", [key])
    else:
        db.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value", [key, value])
