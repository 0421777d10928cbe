"""The rules that flag what the doors' records show together (kiosk.core.anomalies): plain cases, then the
property that every machine finds the same anomalies whatever order the events reached it in."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core import anomalies as rules
from kiosk.core.anomalies import BadgeEnd, ClockSkew, DoorMove


def hlc(tick: int) -> str:
    return f"{tick:013d}-0000"


def move(tick: int, device: str, decision: str, person: str = "P01", zone: str = "set", badge: str | None = "b1",
         swept: bool = False, seq: int | None = None) -> DoorMove:
    return DoorMove(f"{device}-{tick}", device, (hlc(tick), device, seq or tick), f"2026-12-01T10:{tick:02d}:00+00:00",
                    "42", person, zone, decision, badge, swept)


def revoked(tick: int, device: str = "office", digest: str = "b1") -> BadgeEnd:
    return BadgeEnd(digest, f"{device}-rev-{tick}", device, (hlc(tick), device, tick), f"2026-12-01T10:{tick:02d}:00",
                    "revoked")


def kinds(found) -> list[tuple[str, str, str | None]]:
    return [(anomaly.kind, anomaly.device, anomaly.earlier_device) for anomaly in found]


def test_an_entry_on_a_badge_revoked_elsewhere_before_it_is_flagged_with_both_doors():
    found = rules.find([move(5, "door-b", "admit")], [revoked(3)])
    assert kinds(found) == [(rules.ADMITTED_AFTER_REVOCATION, "door-b", "office")]
    assert "revoked at office" in found[0].words and "door-b had not yet received" in found[0].words


def test_an_entry_before_the_revocation_is_no_anomaly():
    assert rules.find([move(2, "door-b", "admit")], [revoked(3)]) == []


def test_two_entries_without_an_exit_between_are_flagged_and_an_exit_between_clears_it():
    found = rules.find([move(1, "door-a", "admit"), move(2, "door-b", "admit")], [])
    assert kinds(found) == [(rules.ENTERED_TWICE, "door-b", "door-a")]
    assert rules.find([move(1, "door-a", "admit"), move(2, "door-b", "exit"), move(3, "door-a", "admit")], []) == []


def test_in_at_a_and_out_at_b_is_presence_across_doors_not_an_anomaly():
    assert rules.find([move(1, "door-a", "admit"), move(2, "door-b", "exit")], []) == []


def test_an_exit_at_b_with_no_entry_is_flagged_and_says_where_they_had_left_already():
    found = rules.find([move(1, "door-a", "admit"), move(2, "door-a", "exit"), move(3, "door-b", "exit")], [])
    assert kinds(found) == [(rules.EXIT_WITHOUT_ENTRY, "door-b", "door-a")]
    assert "already let out at door-a" in found[0].words


def test_a_sweep_of_someone_already_out_is_no_anomaly():
    sweeps = [move(1, "door-a", "admit"), move(2, "door-a", "exit", swept=True), move(3, "door-b", "exit", swept=True)]
    assert rules.find(sweeps, []) == []


def test_each_zone_and_person_is_its_own_place():
    moves = [move(1, "door-a", "admit", zone="set"), move(2, "door-b", "admit", zone="monitors"),
             move(3, "door-b", "admit", person="P02")]
    assert rules.find(moves, []) == []


def test_a_badge_replaced_by_a_new_one_ends_the_old_one():
    from kiosk.core.events import make

    def badge_event(seq: int, type: str, digest: str):
        return make("office", seq, "0" * 64, hlc(seq), f"2026-12-01T10:0{seq}:00+00:00", type, "badges/P01",
                    {"digest": digest, "person": "P01", "reason": "lost"} if type == "badge.revoked"
                    else {"digest": digest, "person": "P01"})

    ends = rules.badge_ends([badge_event(1, "badge.issued", "b1"), badge_event(2, "badge.issued", "b2"),
                             badge_event(3, "badge.revoked", "b2")])
    assert sorted((end.digest, end.how) for end in ends) == [("b1", "replaced"), ("b2", "revoked")]


def test_a_clock_is_noted_when_it_goes_off_moves_or_comes_back_and_never_while_within():
    off = ClockSkew("door-b", "e1", "2026-12-01T08:00:00+00:00", 7200.0, True)
    assert not rules.worth_noting(None, 30, False) and rules.worth_noting(None, -7200, True)
    assert not rules.worth_noting(off, 7230, True) and rules.worth_noting(off, 7300, True)
    assert rules.worth_noting(off, 5, False)
    assert "2 h behind the hub's" in off.words
    assert "1 h 30 min ahead of" in ClockSkew("door-b", "e2", "", -5400.0, True).words


@st.composite
def histories(draw):
    """Door moves of three doors over two people and two zones, each door's own in its seq order, and a few
    badge revocations, with clock ticks drawn so that doors interleave in every way."""
    moves, ends = [], []
    ticks = draw(st.lists(st.integers(0, 10_000), min_size=1, max_size=40, unique=True))
    for number, tick in enumerate(ticks):
        device = draw(st.sampled_from(("door-a", "door-b", "door-c")))
        moves.append(move(tick, device, draw(st.sampled_from(("admit", "exit"))), draw(st.sampled_from(("P01", "P02"))),
                          draw(st.sampled_from(("set", "monitors"))), draw(st.sampled_from(("b1", "b2", None))),
                          draw(st.booleans()) and number % 5 == 0, seq=number + 1))
    for tick in draw(st.lists(st.integers(0, 10_000), max_size=2, unique=True)):
        ends.append(revoked(tick, "office", draw(st.sampled_from(("b1", "b2")))))
    return moves, ends


@settings(max_examples=80, deadline=None)
@given(history=histories(), data=st.data())
def test_every_machine_finds_the_same_anomalies_whatever_order_the_events_reached_it(history, data):
    """Events merge from three doors in any order (partitions, late syncs): the anomalies found are the same."""
    moves, ends = history
    arrived = data.draw(st.permutations(moves))
    ended = data.draw(st.permutations(ends))
    assert rules.find(arrived, ended) == rules.find(moves, ends)


@settings(max_examples=60, deadline=None)
@given(history=histories())
def test_with_one_door_taking_turns_in_and_out_nothing_is_flagged(history):
    """Moves that alternate in and out of each place from an entry, with no revocation, are never flagged."""
    moves, _ = history
    alternating, inside = [], set()
    for found in sorted(moves, key=lambda m: m.order):
        place = (found.person, found.zone)
        decision = "exit" if place in inside else "admit"
        inside ^= {place}
        alternating.append(DoorMove(found.event, found.device, found.order, found.at, found.scene, found.person,
                                    found.zone, decision, found.badge, False))
    assert rules.find(alternating, []) == []
