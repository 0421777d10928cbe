"""People's photos at the hub (migration 4): kept apart from sealed content, only bytes that hash to the digest a
photo event of the sending device names, erased for good, and the same device rights as events."""

from __future__ import annotations

import hashlib

import psycopg
import pytest

from kiosk.core import events
from kiosk.core import record as rules
from kiosk.core.events import Event
from kiosk.hub import HubError, status
from kiosk.hub.schema_v4 import PHOTO_MAX_BYTES
from tests.hub_fixtures import WALL_MS
from tests.photo_door import portrait_jpeg


def photo_events(device: str, bodies: list[dict], after: Event | None = None) -> list[Event]:
    """Real photo events of ``device`` (``photo.set`` unless the body erases and sets nothing)."""
    made, previous = [], after
    for body in bodies:
        seq = previous.seq + 1 if previous else 1
        kind = rules.PHOTO_SET if "sealed" in body else rules.PHOTO_REMOVED
        made.append(events.make(device, seq, previous.hash if previous else events.GENESIS,
                                events.hlc_next(previous.hlc if previous else None, WALL_MS + seq),
                                "2026-12-01T09:35:34Z", kind, rules.photo_key("C01"),
                                {"person": "C01", "by": "Sam", **body}))
        previous = made[-1]
    return made


def face(seed: int = 0) -> tuple[str, bytes]:
    content = portrait_jpeg(skin=(120 + 30 * seed, 190, 160))
    assert seed < 5
    return hashlib.sha256(content).hexdigest(), content


def test_a_photo_travels_beside_the_event_that_sets_it_and_apart_from_sealed_content(hub):
    digest, content = face()
    door = hub.client("door-a")
    history = photo_events("door-a", [{"sealed": [digest]}])
    with pytest.raises(HubError, match="sealed content the hub does not hold") as missing:
        door.push(history)
    assert missing.value.reason == "invalid"
    with pytest.raises(HubError, match="sealed content the hub does not hold"):
        door.push(history, {digest: content})  # a photo is not sealed content: it goes with the photos
    assert door.push(history, photos={digest: content}) == 1
    assert hub.sql().execute("SELECT count(*) FROM hub.sealed").fetchone() == (0,)
    page = hub.client("door-b").pull({})
    assert (page.photos, page.blobs) == ({digest: content}, {})


def test_only_bytes_a_photo_event_of_the_sender_names_are_kept(hub):
    digest, content = face()
    other, stray = face(1), face(2)
    door = hub.client("door-a")
    history = photo_events("door-a", [{"sealed": [digest]}])
    with pytest.raises(HubError, match="named by no photo event of device door-a") as unnamed:
        door.push(history, photos={digest: content, other[0]: other[1]})
    assert unnamed.value.reason == "invalid"
    with pytest.raises(HubError, match="does not hash to its digest"):
        door.push(history, photos={digest: content + b"!"})
    door.push(history, photos={digest: content})
    with pytest.raises(HubError, match="named by no photo event of device door-b"):
        hub.client("door-b").push([], photos=dict([stray]))  # bytes its own events do not name
    raw = hub.sql(hub.add("door-c"))
    for statement, values in (("INSERT INTO hub.photos (digest, content, device) VALUES (%s, %s, 'door-c')",
                               [stray[0], other[1]]),
                              ("INSERT INTO hub.photos (digest, content, device) VALUES (%s, %s, 'door-c')",
                               [hashlib.sha256(b"x" * (PHOTO_MAX_BYTES + 1)).hexdigest(),
                                b"x" * (PHOTO_MAX_BYTES + 1)])):
        with pytest.raises(psycopg.errors.CheckViolation):
            raw.execute(statement, values)
    assert [row[0] for row in hub.sql().execute("SELECT digest FROM hub.photos")] == [digest]
    shown = status(hub.admin_dsn, hub.password)  # what `kiosk hub status` says
    assert (shown.blobs, shown.photos) == (0, 1)


def test_a_device_inserts_only_its_own_photos_and_never_changes_or_removes_one(hub):
    digest, content = face()
    hub.client("door-a").push(photo_events("door-a", [{"sealed": [digest]}]), photos={digest: content})
    device = hub.sql(hub.add("door-b"))
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        device.execute("INSERT INTO hub.photos (digest, content, device) VALUES (%s, %s, 'door-a')",
                       [face(3)[0], face(3)[1]])
    for statement in ("UPDATE hub.photos SET content = ''", "DELETE FROM hub.photos", "TRUNCATE hub.photos"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            device.execute(statement)
    assert device.execute("SELECT digest FROM hub.photos").fetchall() == [(digest,)]  # reads every device's
    with pytest.raises(psycopg.Error, match="append-only"):
        hub.sql().execute("UPDATE hub.photos SET device = device")


def test_a_photo_replaced_or_removed_is_erased_at_the_hub_and_not_taken_again(hub):
    first, second = face(), face(1)
    door = hub.client("door-a")
    history = photo_events("door-a", [{"sealed": [first[0]]}, {"sealed": [second[0]], "erase": [first[0]]}])
    assert door.push(history[:1], photos=dict([first])) == 1
    assert door.push(history[1:], photos=dict([second])) == 2
    assert [row[0] for row in hub.sql().execute("SELECT digest FROM hub.photos")] == [second[0]]
    removed = photo_events("door-a", [{"erase": [second[0]]}], after=history[-1])
    assert door.push(removed) == 3
    assert door.push(history, photos=dict([first, second])) == 3  # a late re-send is dropped
    assert hub.sql().execute("SELECT count(*) FROM hub.photos").fetchone() == (0,)
    assert sorted(row[0] for row in hub.sql().execute("SELECT digest FROM hub.erased")) == sorted([first[0], second[0]])
    assert hub.client("door-b").pull({}).photos == {}


def test_set_and_replaced_before_the_push_the_hub_takes_the_history_without_the_first(hub):
    first, second = face(), face(1)
    history = photo_events("door-a", [{"sealed": [first[0]]}, {"sealed": [second[0]], "erase": [first[0]]}])
    assert hub.client("door-a").push(history, photos=dict([second])) == 2
    assert hub.client("door-b").pull({}).photos == dict([second])
