"""The door rule: who may pass, decided from facts alone.  Deny by default.

``decide`` is the only place that says admit, exit, wait or deny.  It takes plain facts gathered by the
scan service and returns a decision with a reason code (stored) and plain words (shown to the AD).
"""

from __future__ import annotations

import re
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
    ESCALATED = "escalated"  # not on the list: approved at the door by the IC and the AD, this scene only
    MARKED_OUT = "marked_out"  # left without a badge: marked out by the AD by name, with a reason
    SWEPT = "swept"  # marked out when the closed set was lifted
    OBJECTED = "objected"  # marked out: a performer objected to their presence (no reason is asked)
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
    Reason.NOT_OPEN: "Scene {scene}'s closed set is not in force yet - the supervisor opens it (F10)",
    Reason.LIFTED: "Scene {scene}'s closed set is lifted - this door is not checking badges now",
    Reason.OVERRIDE: "Admitted by the AD after a name lookup",
    Reason.ESCALATED: "Not on the list: approved at the door by the IC and the AD, scene {scene} only",
    Reason.MARKED_OUT: "Marked out by the AD by name (no badge)",
    Reason.SWEPT: "Marked out when the closed set was lifted",
    Reason.OBJECTED: "Marked out: a performer objected to their presence (no reason is asked)",
    Reason.RECORD_MISMATCH: "Record mismatch - call the supervisor (the tables differ from the log)",
}
# Refusals that say the door is not guarding a closed set at all (not in force yet, or lifted): nobody is
# being turned away from a closed set, so the door shows them as its state, not as a red DENY.
NOT_IN_FORCE = frozenset({Reason.NOT_OPEN, Reason.LIFTED})


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
    return decide_presence(facts.zone, facts.scene_state, facts.approved_zones, facts.inside)


def decide_presence(
    zone: Zone, state: SceneState, approved_zones: frozenset[Zone] | frozenset[str], inside: bool
) -> Ruling:
    """The rule once the person is known (by a valid badge, or by name when the AD looks them up)."""
    if state is SceneState.DRAFT:
        return Ruling(Decision.DENY, Reason.NOT_OPEN)
    if state is SceneState.LIFTED:
        return Ruling(Decision.DENY, Reason.LIFTED)
    if inside:
        # Leaving needs no approval (it may have been withdrawn), but nobody opens the door on a take.
        if state is SceneState.ROLLING:
            return Ruling(Decision.WAIT, Reason.ROLLING)
        return Ruling(Decision.EXIT, Reason.EXIT)
    if zone not in approved_zones:
        return Ruling(Decision.DENY, Reason.WRONG_ZONE if approved_zones else Reason.NOT_APPROVED)
    if state is SceneState.ROLLING:
        return Ruling(Decision.WAIT, Reason.ROLLING)
    if state is SceneState.HOLD:
        return Ruling(Decision.WAIT, Reason.HOLD)
    if state is SceneState.OPEN:
        return Ruling(Decision.ADMIT, Reason.APPROVED)
    return Ruling(Decision.DENY, Reason.NOT_OPEN)


_IC_ROLE = re.compile(r"\bintimacy co-?ordinat", re.IGNORECASE)


def is_intimacy_coordinator(role: str) -> bool:
    """Whether a role names an intimacy coordinator ("Intimacy coordinator (2nd unit)")."""
    return bool(_IC_ROLE.search(role))


def escalation_problem(person: str, coordinator: str, ad: str, coordinator_is_ic: bool) -> str | None:
    """Why an escalation cannot stand with these three people (refs or ids), or None when it can.

    The IC named must be an intimacy coordinator (the scene's own, or anyone whose role says so); the IC and
    the AD are two people, neither of them the person being let in.
    """
    if not coordinator_is_ic:
        return "The IC named is not an intimacy coordinator: choose the scene's IC (or another IC)."
    if coordinator == ad:
        return "The IC and the AD must be two different people."
    if person in (coordinator, ad):
        return "The person let in cannot approve their own entry: choose another IC or AD."
    return None


def within_window(seconds_since_last_scan: float, window: float) -> bool:
    """Whether a read comes soon enough after the badge's last scan to be a double read of it (see
    ``is_duplicate``); outside the window nothing else need be asked."""
    return 0 <= seconds_since_last_scan < window


def is_duplicate(seconds_since_last_scan: float, window: float, changed_since: bool) -> bool:
    """A scanner often reads one badge twice; within the window the second read is the same scan.

    Not when anything that decides the answer changed in between (the set went from rolling to open, the
    person was approved, the badge revoked): then the badge is being shown again for a new answer.
    """
    return not changed_since and within_window(seconds_since_last_scan, window)
