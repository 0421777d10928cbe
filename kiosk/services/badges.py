"""Issuing and revoking badges.  A badge is a random code the database knows; revocation is a row change."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kiosk.core import codes
from kiosk.core.badge import BadgeCard
from kiosk.services import ServiceError, now
from kiosk.services.lookup import get_person, get_production
from kiosk.store import log
from kiosk.store.db import Store, write
from kiosk.store.queries import many, one


def plan_badges(db: Store, refs: list[str] | None = None) -> list[BadgeCard]:
    """Fresh codes for the given people (everyone when ``refs`` is None), not yet recorded.

    Rendering happens between planning and ``record_badges`` so that a failed render changes nothing and the
    door is never kept waiting on the write lock while images are drawn.
    """
    production = get_production(db)["name"]
    if refs is None:
        people = many(db, "SELECT ref, name, department, role FROM people ORDER BY name COLLATE NOCASE")
        if not people:
            raise ServiceError("Nobody on the roster yet - import people first.")
    else:
        people = [get_person(db, ref) for ref in dict.fromkeys(refs)]
    return [BadgeCard(production, person["ref"], person["name"], person["department"], person["role"],
                      codes.new_code()) for person in people]


def record_badges(db: Store, cards: list[BadgeCard], kiosk: str) -> None:
    """Make the planned badges the valid ones; each person's previous badge stops working."""
    with write(db):
        at = now()
        for card in cards:
            person_id = get_person(db, card.ref)["id"]
            db.execute("UPDATE badges SET status = 'superseded', ended_at = ?, end_reason = 'reissued' "
                       "WHERE person_id = ? AND status = 'active'", [at, person_id])
            badge_id = db["badges"].insert({"person_id": person_id, "code": card.code, "status": "active",
                                            "issued_at": at}).last_pk
            log.append(db, at=at, kiosk=kiosk, kind="badge_issued", person_id=person_id, badge_id=badge_id)


def issue(db: Store, refs: list[str] | None, out: Path, sheet: Path | None, paper: str,
          kiosk: str) -> tuple[list[BadgeCard], list[Path]]:
    """New badges for ``refs`` (everyone when None): PNGs in ``out`` and an optional PDF sheet, all or nothing.

    The codes are recorded (and the people's old badges stop working) only once every file is drawn.
    """
    from kiosk.badges import (
        stage,  # Pillow, qrcode and fpdf2: loaded only when badges are made
    )

    cards = plan_badges(db, refs)
    staged = stage(cards, out, sheet, paper)
    try:
        record_badges(db, cards, kiosk)
    except BaseException:
        staged.discard()
        raise
    return cards, staged.commit()


def revoke_badge(db: Store, ref: str, reason: str, kiosk: str) -> None:
    reason = reason.strip()
    if not reason:
        raise ServiceError("Say why the badge is revoked.")
    with write(db):
        person = get_person(db, ref)
        badge = one(db, "SELECT id FROM badges WHERE person_id = ? AND status = 'active'", [person["id"]])
        if badge is None:
            raise ServiceError(f"{person['name']} has no valid badge to revoke.")
        at = now()
        db.execute("UPDATE badges SET status = 'revoked', ended_at = ?, end_reason = ? WHERE id = ?",
                   [at, reason, badge["id"]])
        log.append(db, at=at, kiosk=kiosk, kind="badge_revoked", person_id=person["id"], badge_id=badge["id"],
                   detail={"reason": reason})


def active_card(db: Store, ref: str) -> BadgeCard | None:
    """The person's valid badge as printed, for a preview or a reprint of the same code."""
    row = one(db, """SELECT p.ref, p.name, p.department, p.role, b.code FROM badges b
                     JOIN people p ON p.id = b.person_id WHERE p.ref = ? AND b.status = 'active'""", [ref])
    if row is None:
        return None
    return BadgeCard(get_production(db)["name"], row["ref"], row["name"], row["department"], row["role"],
                     row["code"])


@dataclass(frozen=True)
class BadgeState:
    """A person and their latest badge: valid (active), revoked or superseded, or none issued."""

    ref: str
    name: str
    department: str
    role: str
    kind: str
    status: str | None  # None: never issued one
    issued_at: str | None = None
    ended_at: str | None = None
    end_reason: str | None = None  # why it was revoked ("reissued" for a superseded one)


def badge_states(db: Store) -> list[BadgeState]:
    """Everyone with their latest badge's status, by name: what the badges screen lists."""
    return [BadgeState(**row) for row in many(db, """
        SELECT p.ref, p.name, p.department, p.role, p.kind, b.status, b.issued_at, b.ended_at, b.end_reason
        FROM people p LEFT JOIN badges b ON b.id = (SELECT MAX(id) FROM badges WHERE person_id = p.id)
        ORDER BY p.name COLLATE NOCASE""")]
