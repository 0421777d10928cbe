"""Convergence on a real hub: random events and partitions over three machines end in equal tables (hypothesis),
and a door whose clock is two hours off, either way, changes no outcome and is flagged."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.errors import ServiceError
from kiosk.services import anomalies, badges, door, scenes
from kiosk.services.scenes import SceneState
from kiosk.store import record
from tests.reliability.support import FULL
from tests.syncing import OFFICE, assert_hub_holds_exactly_the_union, rebuilt, settle, tables

NAMES = ("door-a", "door-b", "door-c")
REFS = ("D01", "P01", "P02", "C03", "V01")
ZONES = ("set", "monitors")
STATES = (SceneState.OPEN, SceneState.ROLLING, SceneState.HOLD)

step = st.one_of(
    st.tuples(st.just("scan"), st.integers(0, 2), st.sampled_from(REFS), st.sampled_from(ZONES)),
    st.tuples(st.sampled_from(("approve", "unapprove")), st.integers(0, 2), st.sampled_from(REFS),
              st.sampled_from(ZONES)),
    st.tuples(st.just("state"), st.integers(0, 2), st.sampled_from(STATES)),
    st.tuples(st.sampled_from(("revoke", "reissue")), st.integers(0, 2), st.sampled_from(REFS)),
    st.tuples(st.just("sync"), st.integers(0, 2)),  # the others stay cut off until they sync
)


def apply(fleet, machines, action: tuple) -> None:
    kind, machine = action[0], machines[action[1]]
    db, name = machine.db, machine.name
    try:
        if kind == "scan":
            door.scan(db, "42", fleet.codes[action[2]], action[3], name)
        elif kind == "approve":
            scenes.approve(db, "42", (action[2],), "Sam Whitfield", name, zone=action[3])
        elif kind == "unapprove":
            scenes.unapprove(db, "42", (action[2],), "Sam Whitfield", name, zone=action[3])
        elif kind == "state":
            scenes.set_state(db, "42", action[2], name)
        elif kind == "revoke":
            badges.revoke_badge(db, action[2], "lost on set", name)
        elif kind == "reissue":
            fleet.reissue(machine, action[2])
        else:
            assert machine.sync().ok
    except ServiceError:
        pass  # refused as it would be at that door (a badge revoked already, a change the state forbids)


def test_random_events_and_partitions_over_three_machines_converge_to_equal_tables(fleet):
    machines = [fleet.join(name) for name in NAMES]
    everyone = [fleet.office, *machines]
    seen = {"examples": 0, "steps": 0}

    @settings(max_examples=40 if FULL else 6, deadline=None, derandomize=not FULL,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(steps=st.lists(step, min_size=1, max_size=30 if FULL else 15))
    def check(steps):
        seen["examples"] += 1
        seen["steps"] += len(steps)
        for action in steps:
            apply(fleet, machines, action)
        settle(everyone)
        first = tables(fleet.office.db)
        found = anomalies.find(fleet.office.db)
        for machine in everyone:
            assert tables(machine.db) == first, machine.name
            assert rebuilt(machine.db) == first, machine.name
            assert anomalies.find(machine.db) == found, machine.name  # the same flags everywhere too

    check()
    assert_hub_holds_exactly_the_union(fleet.hub, everyone)
    assert seen["examples"] >= (40 if FULL else 6)


@contextlib.contextmanager
def clock_off(seconds: float) -> Iterator[None]:
    """This process's kiosk clock ``seconds`` off for what runs inside (the record's clock and the door's)."""
    real_ms = record.wall_ms

    def off_now() -> str:
        return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="microseconds")

    with mock.patch.object(record, "wall_ms", lambda: real_ms() + int(seconds * 1000)), \
            mock.patch.object(door, "now", off_now):
        yield


@pytest.mark.parametrize("hours", [-2, 0, 2])
def test_a_door_clock_two_hours_off_changes_no_outcome_and_is_flagged(fleet, hours):
    door_a, door_b = fleet.join("door-a"), fleet.join("door-b")
    off = hours * 3600

    def at_b(work):
        with clock_off(off):
            return work()

    real_sync = door_b.sync
    door_b.sync = lambda: at_b(lambda: real_sync(clock=lambda: datetime.now(UTC) + timedelta(seconds=off)))
    machines = fleet.machines
    code = fleet.codes

    scenes.approve(fleet.office.db, "42", ("C03",), "Sam Whitfield", OFFICE)
    settle(machines)
    at_b(lambda: scenes.unapprove(door_b.db, "42", ("C03",), "Helen Marsh", "door-b", zone="set"))
    settle(machines)
    assert door.scan(door_a.db, "42", code["C03"], "set", "door-a").reason == "not_approved"
    scenes.approve(fleet.office.db, "42", ("C03",), "Sam Whitfield", OFFICE)  # again, after seeing it removed
    settle(machines)
    assert door.scan(door_a.db, "42", code["C03"], "set", "door-a").decision == "admit"
    settle(machines)
    assert at_b(lambda: door.scan(door_b.db, "42", code["C03"], "set", "door-b")).decision == "exit"  # in A, out B
    at_b(lambda: badges.revoke_badge(door_b.db, "P01", "lost on set", "door-b"))
    settle(machines)
    assert door.scan(door_a.db, "42", code["P01"], "set", "door-a").reason == "revoked"
    scenes.set_state(fleet.office.db, "42", SceneState.HOLD, OFFICE)  # apart: hold at the office, rolling at B
    at_b(lambda: scenes.set_state(door_b.db, "42", SceneState.ROLLING, "door-b"))
    settle(machines)

    for machine in machines:
        assert machine.db.execute("SELECT state FROM scene_states WHERE scene = '42'").fetchone() == ("rolling",)
        assert machine.db.execute("SELECT 1 FROM approvals WHERE scene = '42' AND person = 'C03' AND zone = 'set'"
                                  ).fetchone() == (1,)
        assert door.inside(machine.db, "42") == []  # C03 came in at A and went out at B, whatever B's clock
        found = anomalies.find(machine.db, "42")
        assert found.anomalies == [] and len(found.conflicts) == 1, machine.name
        assert [(note.device, note.flagged) for note in found.clocks] == ([("door-b", True)] if hours else [])
    assert tables(door_a.db) == tables(door_b.db) == tables(fleet.office.db)
    moves = [row[0] for row in door_a.db.execute(
        "SELECT device FROM events WHERE person = 'C03' AND decision IN ('admit', 'exit') ORDER BY hlc, device, seq")]
    assert moves == ["door-a", "door-b"]  # the record's order is what happened, not what B's clock said
    (stamped,) = door_a.db.execute("SELECT at FROM events WHERE device = 'door-b' AND type = 'badge.revoked'"
                                   ).fetchone()
    assert abs((datetime.fromisoformat(stamped) - datetime.now(UTC)).total_seconds() - off) < 120  # B's clock
