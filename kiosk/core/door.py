"""The door rule: who may pass, decided from facts alone.  Deny by default.

``decide`` is the only place that says admit, exit, wait or deny.  It takes plain facts gathered by the
scan service and returns a decision with a reason code (stored) and plain words (shown to the AD).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from kiosk.core.codes import ParsedCode


class Zone(StrEnum):
    SET = "set"
    MONITORS = "monitors"


ZONES = tuple(Zone)


class SceneState(StrEnum):
    DRAFT = "draft"  # the list is being prepared; the door is not in force yet
    OPEN = "open"  # closed set in force: approved people may come and go
    ROLLING = "rolling"  # red light: nobody walks in or out
    HOLD = "hold"  # a performer paused: nobody new comes in, people may leave
    LIFTED = "lifted"  # closed set lifted: the door no longer admits


class BadgeStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"  # a newer badge was issued to the same person


class Decision(StrEnum):
    ADMIT = "admit"
    EXIT = "exit"
    WAIT = "wait"
    DENY = "deny"

    @property
    def passes(self) -> bool:
        return self in (Decision.ADMIT, Decision.EXIT)


class Reason(StrEnum):
    APPROVED = "approved"
    EXIT = "exit"
    ROLLING = "rolling"
    HOLD = "hold"
    MALFORMED = "malformed"
    BAD_CHECK = "bad_check"
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    NOT_APPROVED = "not_approved"
    WRONG_ZONE = "wrong_zone"
    NOT_OPEN = "not_open"
    LIFTED = "lifted"
    OVERRIDE = "override"  # admitted by the AD after a name lookup, with a reason
    SWEPT = "swept"  # marked out when the closed set was lifted
    RECORD_MISMATCH = "record_mismatch"  # a table the answer depends on is not what the log says


_WORDS = {
    Reason.APPROVED: "Approved for {zone} - scene {scene}",
    Reason.EXIT: "Leaving {zone} - scene {scene}",
    Reason.ROLLING: "Rolling - wait for cut",
    Reason.HOLD: "On hold - wait for the AD",
    Reason.MALFORMED: "Not a badge code - scan again or type the code",
    Reason.BAD_CHECK: "Code misread - scan again or type the code",
    Reason.UNKNOWN: "Unknown badge - not issued by this production",
    Reason.REVOKED: "Badge revoked",
    Reason.SUPERSEDED: "Old badge - a newer one was issued",
    Reason.NOT_APPROVED: "Not on the approved list for scene {scene}",
    Reason.WRONG_ZONE: "Approved for {other} only, not {zone} - scene {scene}",
    Reason.NOT_OPEN: "Scene {scene} is not open yet",
    Reason.LIFTED: "Closed set lifted for scene {scene}",
    Reason.OVERRIDE: "Admitted by the AD after a name lookup",
    Reason.SWEPT: "Marked out when the closed set was lifted",
    Reason.RECORD_MISMATCH: "Record mismatch - call the supervisor (the tables differ from the log)",
}


def reason_words(reason: Reason | str, scene: str = "", zone: str = "", approved_zones=()) -> str:
    """The reason in the words an AD reads at the door."""
    other = ", ".join(sorted(set(approved_zones) - {zone})) or "another zone"
    return _WORDS[Reason(reason)].format(scene=scene, zone=zone, other=other)


@dataclass(frozen=True)
class DoorFacts:
    """Everything the rule needs, gathered in one write transaction by the scan service."""

    code: ParsedCode
    zone: Zone
    scene_state: SceneState
    badge_status: BadgeStatus | None = None  # None: no badge has this code
    approved_zones: frozenset[Zone] = frozenset()
    inside: bool = False  # the person is inside this zone of this scene now


class Ruling(NamedTuple):
    decision: Decision
    reason: Reason


def decide(facts: DoorFacts) -> Ruling:
    """Admit, exit, wait or deny.  Anything not positively allowed is denied."""
    if facts.code.code is None:
        return Ruling(Decision.DENY, Reason(facts.code.problem or Reason.MALFORMED))
    if facts.badge_status is None:
        return Ruling(Decision.DENY, Reason.UNKNOWN)
    if facts.badge_status is BadgeStatus.REVOKED:
        return Ruling(Decision.DENY, Reason.REVOKED)
    if facts.badge_status is not BadgeStatus.ACTIVE:
        return Ruling(Decision.DENY, Reason.SUPERSEDED)
    if facts.scene_state is SceneState.DRAFT:
        return Ruling(Decision.DENY, Reason.NOT_OPEN)
    if facts.scene_state is SceneState.LIFTED:
        return Ruling(Decision.DENY, Reason.LIFTED)
    if facts.inside:
        # Leaving needs no approval (it may have been withdrawn), but nobody opens the door on a take.
        if facts.scene_state is SceneState.ROLLING:
            return Ruling(Decision.WAIT, Reason.ROLLING)
        return Ruling(Decision.EXIT, Reason.EXIT)
    if facts.zone not in facts.approved_zones:
        return Ruling(Decision.DENY, Reason.WRONG_ZONE if facts.approved_zones else Reason.NOT_APPROVED)
    if facts.scene_state is SceneState.ROLLING:
        return Ruling(Decision.WAIT, Reason.ROLLING)
    if facts.scene_state is SceneState.HOLD:
        return Ruling(Decision.WAIT, Reason.HOLD)
    if facts.scene_state is SceneState.OPEN:
        return Ruling(Decision.ADMIT, Reason.APPROVED)
    return Ruling(Decision.DENY, Reason.NOT_OPEN)


def is_duplicate(seconds_since_last_scan: float, window: float, changed_since: bool) -> bool:
    """A scanner often reads one badge twice; within the window the second read is the same scan.

    Not when anything that decides the answer changed in between (the set went from rolling to open, the
    person was approved, the badge revoked): then the badge is being shown again for a new answer.
    """
    return not changed_since and 0 <= seconds_since_last_scan < window
