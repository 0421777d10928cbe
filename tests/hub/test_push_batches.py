"""The hub's checks within one transaction (migration 5): the link an event must follow is the one accepted just
before it in the same push, the device's own, and what a savepoint rolled back is forgotten with it; a new
transaction reads its device's last event from the table again."""

from __future__ import annotations

import psycopg
import pytest

from kiosk.core import events


def insert(conn: psycopg.Connection, event) -> None:
    """One event INSERTed as any writer may, without the client."""
    conn.execute("INSERT INTO hub.events (device, seq, event_id, prev, hlc, type, key, payload, hash) "
                 "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                 [event.device, event.seq, event.id, event.prev, event.hlc, event.type, event.key, event.payload,
                  event.hash])


def forged(after, seq: int | None = None, prev: str | None = None):
    """An event that claims to follow ``after`` (its seq and prev can be set wrong)."""
    return events.make(after.device, seq or after.seq + 1, prev or after.hash, events.hlc_next(after.hlc, 0), "t",
                       "scan", f"scan/{after.device}/x", {"n": "forged"})


def test_events_interleaved_across_devices_in_one_transaction_each_follow_their_own(hub, chain):
    hub.add("door-1"), hub.add("door-2")
    ones, twos = chain("door-1", 3), chain("door-2", 3)
    admin = hub.sql()
    with admin.transaction():
        for one, two in zip(ones, twos, strict=True):
            insert(admin, one)
            insert(admin, two)
    with pytest.raises(psycopg.Error, match="does not follow"), admin.transaction():
        insert(admin, chain("door-1", 1, after=ones[-1])[0])
        insert(admin, forged(twos[1], seq=4))  # door-2's event 4 claiming to follow its event 2
    assert admin.execute("SELECT device, seq FROM hub.events ORDER BY device, seq").fetchall() == \
        [("door-1", n) for n in (1, 2, 3)] + [("door-2", n) for n in (1, 2, 3)]


def test_what_a_savepoint_rolled_back_is_not_followed(hub, chain):
    dsn = hub.add("door-1")
    history = chain("door-1", 4)
    device = hub.sql(dsn)
    with device.transaction():
        for event in history[:2]:
            insert(device, event)
        with pytest.raises(psycopg.Error, match="history has forked"), device.transaction():
            insert(device, history[2])
            insert(device, forged(history[1]))  # a second event 3: refused, and event 3 with it
        with pytest.raises(psycopg.Error, match="does not follow"), device.transaction():
            insert(device, history[3])  # follows event 3, which the savepoint took back
        insert(device, forged(history[1]))  # another event 3 follows event 2: taken
    assert [row[0] for row in device.execute("SELECT seq FROM hub.events ORDER BY seq")] == [1, 2, 3]
    assert device.execute("SELECT payload FROM hub.events WHERE seq = 3").fetchone()[0] != history[2].payload


def test_a_new_transaction_checks_its_first_event_against_the_table(hub, chain):
    dsn = hub.add("door-1")
    history = chain("door-1", 3)
    device = hub.sql(dsn)
    with device.transaction():
        for event in history[:2]:
            insert(device, event)
    for wrong in (forged(history[1], prev=history[0].hash), forged(history[0], seq=3)):
        with pytest.raises(psycopg.Error, match="does not follow"):
            insert(device, wrong)
    insert(device, history[2])  # autocommit: each its own transaction
    insert(device, history[2])  # held already: skipped
    assert device.execute("SELECT count(*) FROM hub.events").fetchone()[0] == 3


def test_a_push_of_held_new_and_forked_events_is_refused_whole(hub, chain):
    door = hub.client("door-1")
    history = chain("door-1", 6)
    door.push(history[:3])
    with pytest.raises(Exception, match="history has forked"):
        door.push([*history[1:5], forged(history[3])])
    assert door.push(history[1:5]) == 5  # held ones skipped, the new ones taken
    assert door.push(history) == 6
