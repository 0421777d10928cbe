"""Issuing and revoking badges.  A badge is a random code; the record keeps its digest, and revocation is an event."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kiosk.core import codes, text
from kiosk.core import record as rules
from kiosk.core.badge import BadgeCard
from kiosk.services import ServiceError, checked
from kiosk.services.lookup import get_person, get_production
from kiosk.services.photos import photo_of
from kiosk.store import record
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
    return [
        BadgeCard(
            production,
            person["ref"],
            person["name"],
            person["department"],
            person["role"],
            codes.new_code(),
            photo=photo_of(db, person["ref"]),
        )
        for person in people
    ]


def record_badges(db: Store, cards: list[BadgeCard], kiosk: str) -> None:
    """Make the planned badges the valid ones; each person's previous badge stops working.  Only the codes'
    digests are recorded: the code lives on the printed badge alone."""
    with write(db):
        for card in cards:
            get_person(db, card.ref)
            record.record(
                db,
                kiosk,
                rules.BADGE_ISSUED,
                rules.badges_key(card.ref),
                {"person": card.ref, "digest": codes.digest(card.code)},
            )


def issue(
    db: Store, refs: list[str] | None, out: Path, sheet: Path | None, paper: str, kiosk: str
) -> tuple[list[BadgeCard], list[Path]]:
    """New badges for ``refs`` (everyone when None): PNGs in ``out`` and an optional PDF sheet, all or nothing.

    The codes are recorded (and the people's old badges stop working) only once every file is drawn.
    """
    from kiosk.badges import stage  # Pillow, qrcode and fpdf2: loaded only when badges are made

    cards = plan_badges(db, refs)
    staged = stage(cards, out, sheet, paper)
    try:
        record_badges(db, cards, kiosk)
    except BaseException:
        staged.discard()
        raise
    return cards, staged.commit()


def revoke_badge(db: Store, ref: str, reason: str, kiosk: str) -> None:
    reason = checked(text.line, reason, "reason for revoking")
    if not reason:
        raise ServiceError("Say why the badge is revoked.")
    with write(db):
        person = get_person(db, ref)
        badge = one(db, "SELECT digest FROM badges WHERE person = ? AND status = 'active'", [ref])
        if badge is None:
            raise ServiceError(f"{person['name']} has no valid badge to revoke.")
        record.record(
            db,
            kiosk,
            rules.BADGE_REVOKED,
            rules.badges_key(ref),
            {"person": ref, "digest": badge["digest"], "reason": reason},
        )


def active_card(db: Store, ref: str) -> BadgeCard | None:
    """The person's valid badge as printed, without its code: the record keeps only the code's digest, so a
    reprint is a new badge (``issue``)."""
    row = one(
        db,
        """SELECT p.ref, p.name, p.department, p.role FROM badges b
                     JOIN people p ON p.ref = b.person WHERE p.ref = ? AND b.status = 'active'""",
        [ref],
    )
    if row is None:
        return None
    return BadgeCard(get_production(db)["name"], row["ref"], row["name"], row["department"], row["role"], "")


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
    return [
        BadgeState(**row)
        for row in many(
            db,
            """
        SELECT p.ref, p.name, p.department, p.role, p.kind, b.status, b.issued_at, b.ended_at, b.end_reason
        FROM people p LEFT JOIN badges b ON b.digest = (SELECT digest FROM badges WHERE person = p.ref
                                                       ORDER BY issued_at DESC, status = 'active' DESC LIMIT 1)
        ORDER BY p.name COLLATE NOCASE""",
        )
    ]
