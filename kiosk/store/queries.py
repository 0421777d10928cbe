"""The questions the door and the services ask of the database, each answered by one indexed query.

Who is inside comes from the log itself: a person is inside a zone when their latest entry-or-exit event there,
in the order every machine agrees on, is an entry.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeAlias

from kiosk.store.db import Store
from kiosk.store.record import under

ORDER_DESC = "hlc DESC, device DESC, seq DESC"


Params: TypeAlias = Sequence[Any] | dict[str, Any]


def one(db: Store, sql: str, params: Params = ()) -> dict[str, Any] | None:
    cursor = db.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([column[0] for column in cursor.description], row))


def count(db: Store, sql: str, params: Params = ()) -> int:
    """The one number a ``SELECT COUNT(...)`` gives."""
    return int(db.execute(sql, params).fetchone()[0])


def many(db: Store, sql: str, params: Params = ()) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def badge_holder(db: Store, digest: str) -> dict[str, Any] | None:
    """The badge with this digest and the person it was issued to."""
    return one(
        db,
        """SELECT b.digest, b.person, b.status, b.set_by, p.ref, p.name, p.department, p.role
                      FROM badges b JOIN people p ON p.ref = b.person WHERE b.digest = ?""",
        [digest],
    )


def approvals_of(db: Store, scene: str, person: str) -> dict[str, dict[str, Any]]:
    """The person's approvals for a scene, by zone."""
    return {
        row["zone"]: row
        for row in many(
            db,
            "SELECT zone, approved_by, temporary, set_by FROM approvals WHERE scene = ? AND person = ?",
            [scene, person],
        )
    }


def is_inside(db: Store, scene: str, person: str, zone: str) -> bool:
    row = db.execute(
        f"SELECT decision FROM events WHERE scene = ? AND person = ? AND zone = ? "
        f"AND decision IN ('admit', 'exit') ORDER BY {ORDER_DESC} LIMIT 1",
        [scene, person, zone],
    ).fetchone()
    return row is not None and row[0] == "admit"


def has_entered_before(db: Store, scene: str, person: str) -> bool:
    return (
        db.execute(
            "SELECT 1 FROM events WHERE scene = ? AND person = ? AND decision = 'admit' LIMIT 1", [scene, person]
        ).fetchone()
        is not None
    )


def inside(db: Store, scenes: list[str]) -> list[dict[str, Any]]:
    """Everyone inside the given scenes now: scene, zone, the time they came in, and who they are."""
    if not scenes:
        return []
    marks = ", ".join("?" * len(scenes))
    return many(
        db,
        f"""
        SELECT moves.scene, moves.zone, moves.at AS since, p.ref, p.name, p.department, p.role, p.kind
        FROM (SELECT scene, person, zone, decision, at,
                     ROW_NUMBER() OVER (PARTITION BY scene, person, zone ORDER BY {ORDER_DESC}) AS newest
              FROM events WHERE scene IN ({marks}) AND decision IN ('admit', 'exit') AND person IS NOT NULL) moves
        JOIN people p ON p.ref = moves.person
        WHERE moves.newest = 1 AND moves.decision = 'admit'
        ORDER BY moves.scene, moves.at""",
        scenes,
    )


def at_door(db: Store, scene: str, person: str, zone: str) -> tuple[dict[str, Any] | None, bool]:
    """The person's latest scan at this door (scene and zone), whatever its answer, and whether they are inside
    (``is_inside``): one walk of their door events there, newest first, that stops as soon as it has both
    (almost always at the first row, the scan before this one)."""
    cursor = db.execute(
        f"SELECT id, at, badge, payload, type, decision FROM events WHERE scene = ? AND person = ? "
        f"AND zone = ? AND decision IS NOT NULL ORDER BY {ORDER_DESC}",
        [scene, person, zone],
    )
    last: dict[str, Any] | None = None
    inside: bool | None = None
    for local_id, at, badge, payload, kind, decision in cursor:
        if last is None and kind == "door.scan":
            last = {"id": local_id, "at": at, "badge": badge, "payload": payload}
        if inside is None and decision in ("admit", "exit"):
            inside = decision == "admit"
        if last is not None and inside is not None:
            break
    cursor.close()
    return last, bool(inside)


def policy_due(db: Store, scene: str, run: int, policy_prefix: str) -> list[dict[str, Any]]:
    """People admitted in this run of the scene's closed set who have not acknowledged the device policy
    there (no event under ``policy_prefix`` + their ref), each with their first admission, oldest first."""
    return many(
        db,
        """
        SELECT p.ref, p.name, MIN(e.at) AS since FROM events e JOIN people p ON p.ref = e.person
        WHERE e.scene = :scene AND e.decision = 'admit' AND json_extract(e.payload, '$.body.run') = :run
          AND NOT EXISTS (SELECT 1 FROM events a WHERE a.key = :prefix || e.person
                                                   AND a.decision IS NULL)
        GROUP BY p.ref ORDER BY since""",
        {"scene": scene, "run": run, "prefix": policy_prefix},
    )


def events_of_scene(
    db: Store,
    scene: str | None = None,
    limit: int | None = None,
    newest_first: bool = False,
    types: tuple[str, ...] = (),
    answers_only: bool = False,
) -> list[dict[str, Any]]:
    """Events with the person's name, for screens and listings; ``types`` keeps only those types.

    ``answers_only``: only events with a decision (the door's answers), found through the door's index; without
    it, SQLite walks the whole log newest first to find a scene's latest few (seconds at a million events).
    """
    conditions = (
        (["e.scene = ?"] if scene is not None else [])
        + ([f"e.type IN ({', '.join('?' * len(types))})"] if types else [])
        + (["e.decision IS NOT NULL"] if answers_only else [])
    )
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    return many(
        db,
        f"""
        SELECT e.id, e.at, e.device, e.type, e.scene, e.zone, e.decision, e.reason, e.person, e.payload,
               p.name AS person_name
        FROM events e LEFT JOIN people p ON p.ref = e.person
        {where} ORDER BY e.id {"DESC" if newest_first else "ASC"} {"LIMIT ?" if limit else ""}""",
        [*([scene] if scene is not None else []), *types, *([limit] if limit else [])],
    )


def setting(db: Store, key: str) -> str | None:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def latest_facts(db: Store, key: str) -> dict[str, dict[str, Any]]:
    """For each key under ``key`` (``ack/42`` -> ``ack/42/C01``...), the body and time of its latest event, in the
    order every machine agrees on: door facts that make no table row, read from the log."""
    latest: dict[str, dict[str, Any]] = {}
    keys, bounds = under(key)
    for found, at, payload in db.execute(
        f"SELECT key, at, payload FROM events WHERE {keys} AND decision IS NULL ORDER BY hlc, device, seq", bounds
    ):
        latest[found] = {**json.loads(payload)["body"], "at": at}
    return latest
