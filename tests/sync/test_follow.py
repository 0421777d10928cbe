"""Following the hub: woken by other kiosks' pushes and by this one's scans, through a hub that goes away and
comes back, and stopping - saying why - only for what trying again cannot cure."""

from __future__ import annotations

import threading
import time

from kiosk.hub import revoke_device
from kiosk.services import door
from kiosk.services.follow import Follower, follow, pauses
from kiosk.store import sync as state

QUICK = {"fallback": 5.0, "pause": lambda: pauses(0.05, 0.3)}


def until(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def held_here(machine, event_id: str) -> bool:
    return machine.db.execute("SELECT 1 FROM events WHERE event_id = ?", [event_id]).fetchone() is not None


def newest(machine) -> str:
    return machine.db.execute("SELECT event_id FROM events ORDER BY id DESC LIMIT 1").fetchone()[0]


def follower(machine) -> Follower:
    started = Follower(machine.path, machine.dsn, machine.name, **QUICK)
    started.start()
    assert until(lambda: started.result is not None and started.result.ok)
    return started


def test_a_scan_at_one_following_door_reaches_the_other_in_moments(fleet):
    door_a, door_b = fleet.join("door-a"), fleet.join("door-b")
    followers = [follower(door_a), follower(door_b)]
    try:
        door.scan(door_a.db, "42", fleet.codes["P01"], "set", "door-a")
        followers[0].nudge()  # how soon it arrives is measured by benchmarks/bench_sync.py, not asserted here
        assert until(lambda: held_here(door_b, newest(door_a)), 10)
        door.scan(door_b.db, "42", fleet.codes["P01"], "set", "door-b")  # not nudged: found by its own look
        assert until(lambda: held_here(door_a, newest(door_b)), 10)
        assert door.inside(door_a.db, "42") == []
    finally:
        for running in followers:
            running.stop()
    assert not any(running.running for running in followers)


def test_a_follower_rides_out_a_hub_that_dies_and_comes_back(fleet, pg_server):
    door_a, door_b = fleet.join("door-a"), fleet.join("door-b")
    followers = [follower(door_a), follower(door_b)]
    try:
        pg_server.kill()
        for ref in ("P01", "P02", "D01"):
            door.scan(door_a.db, "42", fleet.codes[ref], "set", "door-a")
        assert until(lambda: (followers[0].result.reason, followers[0].result.waiting) == ("unreachable", 3))
        assert followers[0].result.line().endswith("3 waiting") and followers[0].running
        pg_server.start()
        assert until(lambda: followers[0].result.ok and followers[0].result.waiting == 0, 20)
        assert until(lambda: held_here(door_b, newest(door_a)), 10)
    finally:
        for running in followers:
            running.stop()


def test_a_revoked_kiosk_stops_following_and_says_so(fleet):
    door_a = fleet.join("door-a")
    running = follower(door_a)
    revoke_device(fleet.hub.admin_dsn, "door-a", fleet.hub.password)
    door.scan(door_a.db, "42", fleet.codes["P01"], "set", "door-a")
    running.nudge()
    assert until(lambda: not running.running)
    assert running.result.reason == "revoked" and "revoked" in running.result.line()
    assert state.state(door_a.db, "door-a").last_reason == "revoked"


def test_follow_returns_when_told_to_stop(fleet):
    door_a = fleet.join("door-a")
    stop = threading.Event()
    results = []
    worker = threading.Thread(target=lambda: results.append(
        follow(door_a.path, door_a.dsn, "door-a", stop=stop, on_result=lambda result: stop.set(), **QUICK)))
    worker.start()
    worker.join(10)
    assert not worker.is_alive() and results[0].ok


def test_pauses_double_up_to_the_longest_with_some_jitter():
    next_pause = pauses(1.0, 8.0)
    taken = [next_pause() for _ in range(6)]
    for expected, pause in zip([1, 2, 4, 8, 8, 8], taken):
        assert 0.8 * expected <= pause <= 1.2 * expected
