"""The pure door rule: deny by default, and each reason in its place."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.codes import ParsedCode
from kiosk.core.door import (
    NOT_IN_FORCE,
    BadgeStatus,
    Decision,
    DoorFacts,
    Reason,
    SceneState,
    Zone,
    decide,
    decide_presence,
    escalation_problem,
    is_duplicate,
    is_intimacy_coordinator,
    reason_words,
)

GOOD = ParsedCode("X" * 18)


def facts(**changes) -> DoorFacts:
    base = dict(code=GOOD, zone=Zone.SET, scene_state=SceneState.OPEN, badge_status=BadgeStatus.ACTIVE,
                approved_zones=frozenset({Zone.SET}), inside=False)
    return DoorFacts(**{**base, **changes})


def test_approved_person_is_admitted_when_open():
    assert decide(facts()) == (Decision.ADMIT, Reason.APPROVED)


def test_person_inside_goes_out():
    assert decide(facts(inside=True)).decision is Decision.EXIT


def test_leaving_needs_no_approval_but_not_during_a_take():
    assert decide(facts(inside=True, approved_zones=frozenset())).decision is Decision.EXIT
    assert decide(facts(inside=True, scene_state=SceneState.ROLLING)) == (Decision.WAIT, Reason.ROLLING)
    assert decide(facts(inside=True, scene_state=SceneState.HOLD)).decision is Decision.EXIT


def test_wait_when_rolling_or_on_hold():
    assert decide(facts(scene_state=SceneState.ROLLING)) == (Decision.WAIT, Reason.ROLLING)
    assert decide(facts(scene_state=SceneState.HOLD)) == (Decision.WAIT, Reason.HOLD)


def test_refusals_and_their_reasons():
    cases = {
        Reason.MALFORMED: facts(code=ParsedCode(None, "malformed")),
        Reason.BAD_CHECK: facts(code=ParsedCode(None, "bad_check")),
        Reason.UNKNOWN: facts(badge_status=None),
        Reason.REVOKED: facts(badge_status=BadgeStatus.REVOKED),
        Reason.SUPERSEDED: facts(badge_status=BadgeStatus.SUPERSEDED),
        Reason.NOT_APPROVED: facts(approved_zones=frozenset()),
        Reason.WRONG_ZONE: facts(approved_zones=frozenset({Zone.MONITORS})),
        Reason.NOT_OPEN: facts(scene_state=SceneState.DRAFT),
        Reason.LIFTED: facts(scene_state=SceneState.LIFTED),
    }
    for reason, case in cases.items():
        assert decide(case) == (Decision.DENY, reason), reason


@given(st.builds(
    DoorFacts,
    code=st.sampled_from([GOOD, ParsedCode(None, "malformed"), ParsedCode(None, "bad_check")]),
    zone=st.sampled_from(Zone), scene_state=st.sampled_from(SceneState),
    badge_status=st.sampled_from([None, *BadgeStatus]),
    approved_zones=st.frozensets(st.sampled_from(Zone)), inside=st.booleans()))
def test_nobody_enters_unless_every_condition_holds(door_facts):
    ruling = decide(door_facts)
    if ruling.decision is Decision.ADMIT:
        assert door_facts.code.code and door_facts.badge_status is BadgeStatus.ACTIVE
        assert door_facts.zone in door_facts.approved_zones and door_facts.scene_state is SceneState.OPEN
        assert not door_facts.inside
    if ruling.decision is Decision.EXIT:
        assert door_facts.inside and door_facts.badge_status is BadgeStatus.ACTIVE
    assert reason_words(ruling.reason, "42", door_facts.zone, door_facts.approved_zones)


def test_reason_words_are_plain():
    assert reason_words(Reason.NOT_APPROVED, "42") == "Not on the approved list for scene 42"
    assert reason_words(Reason.REVOKED) == "Badge revoked"
    assert reason_words(Reason.ROLLING) == "Rolling - wait for cut"
    assert "monitors only" in reason_words(Reason.WRONG_ZONE, "42", "set", {"monitors"})


def test_duplicate_window():
    assert is_duplicate(1.0, 5, changed_since=False)
    assert not is_duplicate(6.0, 5, changed_since=False)
    assert not is_duplicate(1.0, 5, changed_since=True)
    assert not is_duplicate(1.0, 0, changed_since=False)


@given(zone=st.sampled_from(Zone), state=st.sampled_from(SceneState),
       approved=st.frozensets(st.sampled_from(Zone)), inside=st.booleans())
def test_a_person_found_by_name_meets_the_same_rule_as_their_badge(zone, state, approved, inside):
    by_badge = decide(facts(zone=zone, scene_state=state, approved_zones=approved, inside=inside))
    assert decide_presence(zone, state, approved, inside) == by_badge


def test_the_states_where_the_door_is_not_in_force_say_what_to_do():
    assert {Reason.NOT_OPEN, Reason.LIFTED} == NOT_IN_FORCE
    assert "not checking badges" in reason_words(Reason.LIFTED, "42")
    assert "supervisor opens it" in reason_words(Reason.NOT_OPEN, "42")
    assert "IC and the AD" in reason_words(Reason.ESCALATED, "42")
    assert reason_words(Reason.ESCALATED, "42") != reason_words(Reason.OVERRIDE, "42")


def test_who_may_approve_an_escalation():
    assert is_intimacy_coordinator("Intimacy coordinator (2nd unit)")
    assert is_intimacy_coordinator("Lead intimacy co-ordinator")
    assert not is_intimacy_coordinator("1st AD") and not is_intimacy_coordinator("Intimacy")
    assert escalation_problem("R01", "X01", "D02", coordinator_is_ic=True) is None
    assert "not an intimacy coordinator" in escalation_problem("R01", "D03", "D02", coordinator_is_ic=False)
    assert "two different people" in escalation_problem("R01", "X01", "X01", coordinator_is_ic=True)
    assert "own entry" in escalation_problem("D02", "X01", "D02", coordinator_is_ic=True)
