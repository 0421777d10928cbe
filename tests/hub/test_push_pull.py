"""Pushing and pulling events through a real hub: idempotent on the event id, chains checked whole, per-device
cursors that miss nothing when rows commit out of order, sealed blobs and their erasure, clocks, wake-ups."""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.core import events
from kiosk.hub import HubClient, HubError, sealed_digests
from kiosk.hub import client as client_module


def held(hub, device: str) -> list[tuple[int, str]]:
    """(seq, hash) of every event the hub holds for ``device``, read as the administrator."""
    return hub.sql().execute("SELECT seq, hash FROM hub.events WHERE device = %s ORDER BY seq", [device]).fetchall()


def pull_all(client: HubClient, cursors: dict[str, int], limit: int = 1000) -> list[events.Event]:
    pulled = []
    while True:
        page = client.pull(cursors, limit)
        pulled += page.events
        cursors = page.cursors
        if not page.more:
            return pulled


def test_a_push_returns_what_the_hub_holds_and_a_pull_returns_it(hub, chain):
    door = hub.client("door-1")
    history = chain("door-1", 5)
    assert door.push([]) == 0
    assert door.push(history[:3]) == 3
    assert door.push(history[3:]) == 5
    pulled = hub.client("door-2").pull({})
    assert pulled.events == history and pulled.cursors == {"door-1": 5} and not pulled.more
    assert [(event.seq, event.hash) for event in history] == held(hub, "door-1")


def test_re_pushing_a_whole_history_changes_nothing(hub, chain):
    door = hub.client("door-1")
    history = chain("door-1", 50)
    door.push(history)
    before = hub.sql().execute("SELECT * FROM hub.events ORDER BY seq").fetchall()
    assert door.push(history) == 50
    assert door.push(list(reversed(history))) == 50  # any order: sorted by seq before sending
    assert door.push(history[10:20] + history[10:20]) == 50
    assert hub.sql().execute("SELECT * FROM hub.events ORDER BY seq").fetchall() == before


def test_a_push_overlapping_what_is_held_stores_only_the_new_part(hub, chain):
    door = hub.client("door-1")
    history = chain("door-1", 10)
    door.push(history[:6])
    assert door.push(history[3:]) == 10
    assert [seq for seq, _ in held(hub, "door-1")] == list(range(1, 11))


def test_a_reused_event_id_with_other_content_is_refused(hub, chain):
    door = hub.client("door-1")
    first = chain("door-1", 1)[0]
    door.push([first])
    forged = events.make("door-1", 1, events.GENESIS, first.hlc, first.at, first.type, first.key,
                         {"decision": "deny"}, id=first.id)
    with pytest.raises(HubError, match="already held at the hub with other content") as refused:
        door.push([forged])
    assert refused.value.reason == "conflict"
    assert held(hub, "door-1") == [(1, first.hash)]


def test_a_reused_id_across_devices_is_refused(hub, chain):
    hub.client("door-1").push(taken := chain("door-1", 1))
    copy = events.make("door-2", 1, events.GENESIS, taken[0].hlc, "t", "scan", "k", {}, id=taken[0].id)
    with pytest.raises(HubError) as refused:
        hub.client("door-2").push([copy])
    assert refused.value.reason == "conflict"


def test_an_id_reused_for_the_next_event_is_refused(hub, chain):
    door = hub.client("door-1")
    history = chain("door-1", 2)
    door.push(history[:1])
    reused = events.make("door-1", 2, history[0].hash, history[1].hlc, "t", "scan", "k", {}, id=history[0].id)
    with pytest.raises(HubError, match="already holds for another event") as refused:
        door.push([reused])
    assert refused.value.reason == "conflict"


def test_a_forked_history_is_refused_as_a_conflict(hub, chain):
    """A kiosk restored from an old copy makes new events with seqs the hub already holds."""
    door = hub.client("door-1")
    door.push(chain("door-1", 3))
    with pytest.raises(HubError, match="history has forked") as refused:
        door.push(chain("door-1", 2))
    assert refused.value.reason == "conflict"


def test_a_push_that_breaks_the_chain_is_refused_whole(hub, chain):
    door = hub.client("door-1")
    history = chain("door-1", 10)
    door.push(history[:3])
    with pytest.raises(HubError, match="event 5 does not follow the hub's last event 3") as gap:
        door.push(history[4:])
    assert gap.value.reason == "chain"
    wrong_prev = events.make("door-1", 4, history[1].hash, history[3].hlc, "t", "scan", "k", {})
    with pytest.raises(HubError, match="expected seq 4 with the previous event's hash") as broken:
        door.push([wrong_prev, *history[4:]])
    assert broken.value.reason == "chain"
    with pytest.raises(HubError, match="event 7 does not follow"):
        door.push([*history[3:6], replace(history[6], prev=history[1].hash)])
    assert [seq for seq, _ in held(hub, "door-1")] == [1, 2, 3]  # nothing of a refused push was kept
    assert door.push(history) == 10


def test_the_first_event_must_start_from_genesis(hub, chain):
    door = hub.client("door-1")
    history = chain("door-1", 2)
    with pytest.raises(HubError, match="expected seq 1"):
        door.push(history[1:])
    not_genesis = events.make("door-1", 1, history[0].hash, history[0].hlc, "t", "scan", "k", {})
    with pytest.raises(HubError, match="expected seq 1"):
        door.push([not_genesis])


A_ID, B_ID = "0" * 32, "f" * 32
PARENTS = {"parents unsorted": f'["{B_ID}","{A_ID}"]', "parents repeated": f'["{A_ID}","{A_ID}"]',
           "parents spaced": f'["{A_ID}", "{B_ID}"]', "parents not ids": '["xyz"]', "parents null": "null",
           "parents a number": "[1]"}


@pytest.mark.parametrize("change", ["hash", "type column", "id column", "spaces", "extra key", "v2", "body array",
                                    *PARENTS])
def test_the_hub_checks_each_payload_against_its_hash_and_columns(hub, chain, change):
    """Written past the client, as a device with its own credentials could: the hub still refuses."""
    dsn = hub.add("door-1")
    event = chain("door-1", 1)[0]
    row = {"device": event.device, "seq": event.seq, "event_id": event.id, "prev": event.prev, "hlc": event.hlc,
           "type": event.type, "key": event.key, "payload": event.payload, "hash": event.hash}
    if change == "hash":
        row["hash"] = events.digest(event.payload + " ")
    elif change == "type column":
        row["type"] = "approval"
    elif change == "id column":
        row["event_id"] = events.new_id()
    elif change in PARENTS:
        row["payload"] = event.payload.replace('"parents":[]', f'"parents":{PARENTS[change]}')
    else:
        row["payload"] = {"spaces": event.payload.replace(",", ", "),
                          "extra key": event.payload.replace('"v":1}', '"v":1,"x":1}'),
                          "v2": event.payload.replace('"v":1}', '"v":2}'),
                          "body array": event.payload.replace('"body":{"decision":"admit","n":1}', '"body":[1]')}[change]
    if change != "hash":
        row["hash"] = events.digest(row["payload"])  # a hash that matches: only the columns or the form are wrong
    with pytest.raises(psycopg.Error, match="hash is not the SHA-256|columns do not match"):
        hub.sql(dsn).execute(f"INSERT INTO hub.events ({', '.join(row)}) VALUES ({', '.join(['%s'] * len(row))})",
                             list(row.values()))


def test_an_event_naming_the_heads_it_saw_is_held_as_it_was_made(hub, chain):
    door = hub.client("door-1")
    first = events.make("door-1", 1, events.GENESIS, chain("door-1", 1)[0].hlc, "t", "approval.removed", "k", {},
                        parents=[B_ID, A_ID])
    assert first.payload.count(f'"parents":["{A_ID}","{B_ID}"]') == 1
    assert door.push([first]) == 1
    assert pull_all(door, {})[0].payload == first.payload


def test_pull_by_cursors_returns_exactly_what_is_missing(hub, chain):
    histories = {name: chain(name, count) for name, count in (("door-1", 7), ("door-2", 3), ("spare", 5))}
    for name, history in histories.items():
        hub.client(name).push(history)
    reader = hub.client("office", kind="office")
    page = reader.pull({"door-1": 4, "door-2": 3, "gone": 9})
    assert [(event.device, event.seq) for event in page.events] == \
        [("door-1", 5), ("door-1", 6), ("door-1", 7), ("spare", 1), ("spare", 2), ("spare", 3), ("spare", 4),
         ("spare", 5)]  # spare: never heard of, so from its first event
    assert page.cursors == {"door-1": 7, "door-2": 3, "gone": 9, "spare": 5}
    assert reader.pull(page.cursors).events == []


def test_a_pull_reads_only_the_events_after_each_cursor(hub, chain):
    """Under row-level security too, the cursor is an index condition: a kiosk that is nearly up to date does
    not make the hub read a device's whole history at every sync."""
    dsn = hub.add("door-1")
    with HubClient(dsn) as door:
        door.push(chain("door-1", 300))
    device = hub.sql(dsn)
    device.execute("SET enable_seqscan = off")  # so small a table would be scanned whole: ask for the index
    plan = "\n".join(row[0] for row in device.execute(
        "EXPLAIN (ANALYZE) " + client_module._PULL, {"devices": ["door-1"], "afters": [290], "limit": 1000}))
    assert "Index Cond: ((device = d.name) AND (seq > " in plan and "Rows Removed by Filter" not in plan


def test_pull_pages_by_limit_in_device_and_seq_order(hub, chain):
    for name, count in (("b", 4), ("B", 2), ("a", 3)):
        hub.client(name).push(chain(name, count))
    reader = hub.client("reader")
    first = reader.pull({}, limit=4)
    assert [(event.device, event.seq) for event in first.events] == [("B", 1), ("B", 2), ("a", 1), ("a", 2)]
    assert first.more
    rest = pull_all(reader, first.cursors, limit=2)
    assert [(event.device, event.seq) for event in rest] == [("a", 3), ("b", 1), ("b", 2), ("b", 3), ("b", 4)]


def test_rows_committing_out_of_order_are_not_skipped(hub, chain):
    """door-1's push starts first and commits last; door-2's commits in between.  A reader that pulled in
    between has door-2's cursor moved on, yet still gets all of door-1's events afterwards."""
    slow_dsn = hub.add("door-1")
    fast = hub.client("door-2")
    reader = hub.client("office", kind="office")
    slow_events, fast_events = chain("door-1", 3), chain("door-2", 2)
    slow = hub.sql(slow_dsn)
    with slow.transaction():
        for event in slow_events:
            slow.execute("INSERT INTO hub.events (device, seq, event_id, prev, hlc, type, key, payload, hash) "
                         "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                         [event.device, event.seq, event.id, event.prev, event.hlc, event.type, event.key,
                          event.payload, event.hash])
        fast.push(fast_events)
        between = reader.pull({})
        assert between.events == fast_events
    after = reader.pull(between.cursors)
    assert after.events == slow_events
    received = dict(hub.sql().execute("SELECT device, min(received_at) FROM hub.events GROUP BY device").fetchall())
    assert received["door-1"] < received["door-2"]  # door-1's rows were written first, committed last


def test_concurrent_pushers_and_a_follower_see_everything_once(hub, chain):
    histories = {name: chain(name, 300) for name in ("door-1", "door-2")}
    clients = {name: hub.client(name) for name in histories}
    reader = hub.client("follower")

    def pusher(name: str) -> None:
        history, at = histories[name], 0
        while at < len(history):
            size = 1 + (at * 7919) % 23
            assert clients[name].push(history[at:at + size]) == min(at + size, len(history))
            at += size

    seen: list[events.Event] = []
    cursors: dict[str, int] = {}
    with ThreadPoolExecutor(2) as pool:
        pushes = [pool.submit(pusher, name) for name in histories]
        while not all(push.done() for push in pushes):
            page = reader.pull(cursors, limit=50)
            seen += page.events
            cursors = page.cursors
        for push in pushes:
            push.result()  # a failed push fails the test here
    seen += pull_all(reader, cursors)
    for name, history in histories.items():
        assert [event for event in seen if event.device == name] == history


def test_a_follower_wakes_when_another_device_pushes(hub, chain):
    door, follower = hub.client("door-1"), hub.client("follower")
    follower.pull({})
    assert follower.wait(0.2) == set()
    started = time.monotonic()
    pushing = threading.Timer(0.3, door.push, [chain("door-1", 2)])
    pushing.start()
    assert follower.wait(10) == {"door-1"}
    assert time.monotonic() - started < 5
    pushing.join()
    assert door.wait(0.1) == set()  # its own push does not wake it


def test_a_pull_drops_wake_ups_for_what_it_reads(hub, chain):
    """A wake-up already received when a pull starts is dropped by it.  One still on its way (a loaded machine)
    may wake the follower once more: then there is nothing new to read, and after that it sleeps."""
    door, follower = hub.client("door-1"), hub.client("follower")
    door.push(chain("door-1", 2))
    pulled = follower.pull({})
    assert len(pulled.events) == 2
    if follower.wait(0.3):
        assert follower.pull(pulled.cursors).events == []
        assert follower.wait(0.3) == set()


def blob(text: str) -> tuple[str, bytes]:
    content = text.encode()
    return hashlib.sha256(content).hexdigest(), content


def test_sealed_blobs_travel_beside_the_events_that_refer_to_them(hub, chain):
    digest, content = blob("sealed check-in: step out, follow-up Tuesday")
    ic = hub.client("ic-laptop")
    history = chain("ic-laptop", 2, body=lambda seq: {"sealed": [digest]} if seq == 2 else {"n": seq})
    with pytest.raises(HubError, match="sealed content the hub does not hold") as missing:
        ic.push(history)
    assert missing.value.reason == "invalid"
    with pytest.raises(HubError, match="does not hash to its digest"):
        ic.push(history, {digest: content + b"!"})
    assert ic.push(history, {digest: content}) == 2
    page = hub.client("office").pull({})
    assert sealed_digests(page.events[1]) == [digest] and page.blobs == {digest: content}
    assert hub.client("door").pull({"ic-laptop": 1}).blobs == {digest: content}
    assert hub.client("door-2").pull({"ic-laptop": 2}).blobs == {}


def test_an_erase_event_removes_blobs_at_the_hub_for_good(hub, chain):
    kept, erased = blob("kept"), blob("erased after the retention period")
    ic = hub.client("ic-laptop")
    history = chain("ic-laptop", 2, body=lambda seq: {"sealed": [kept[0], erased[0]] if seq == 1 else []})
    ic.push(history, dict([kept, erased]))
    erase = chain("ic-laptop", 1, after=history[-1], body=lambda seq: {"erase": [erased[0]]})
    assert ic.push(erase) == 3
    digests = [digest for (digest,) in hub.sql().execute("SELECT digest FROM hub.sealed")]
    assert digests == [kept[0]]
    assert ic.push(history, dict([kept, erased])) == 3  # a late re-send of the erased blob is dropped
    page = hub.client("office").pull({})
    assert page.blobs == dict([kept])  # the event still names it; its content is gone
    assert hub.sql().execute("SELECT count(*) FROM hub.sealed").fetchone() == (1,)


@pytest.mark.parametrize("body", [{"erase": "abc"}, {"erase": ["not a digest"]}, {"sealed": {"a": 1}},
                                  {"erase": [None]}, {"sealed": [1]}, {"sealed": 7}, {"erase": [["0" * 64]]},
                                  {"sealed": [int("1" * 64)]}])
def test_malformed_sealed_and_erase_fields_are_refused(hub, chain, body):
    with pytest.raises(HubError, match="must name SHA-256 hex digests") as refused:
        hub.client("ic").push(chain("ic", 1, body=lambda seq: body))
    assert refused.value.reason == "invalid"
    with pytest.raises(events.EventError, match="must name SHA-256 hex digests"):  # the kiosk's rule is the hub's
        events.named_digests(body, next(iter(body)))


def test_one_digest_as_text_or_none_as_null_is_the_same_rule_as_a_list(hub, chain):
    """A kiosk's check-in names its sealed content by one digest, or none (carried over from the first release):
    the hub reads those as a list of one and an empty list."""
    digest, content = blob("sealed check-in recorded by a kiosk")
    ic = hub.client("ic-laptop")
    history = chain("ic-laptop", 3, body=lambda seq: {1: {"sealed": None}, 2: {"sealed": digest}}.get(seq, {}))
    with pytest.raises(HubError, match="sealed content the hub does not hold"):
        ic.push(history)
    assert ic.push(history, {digest: content}) == 3
    page = hub.client("office").pull({})
    assert [sealed_digests(event) for event in page.events] == [[], [digest], []]
    assert page.blobs == {digest: content}
    erase = chain("ic-laptop", 1, after=history[-1], body=lambda seq: {"erase": digest})
    assert ic.push(erase) == 4
    assert hub.sql().execute("SELECT digest FROM hub.erased").fetchall() == [(digest,)]


def test_content_erased_before_it_was_pushed_travels_as_the_events_that_name_and_erase_it(hub, chain):
    """An IC re-seals or purges check-ins on a kiosk that has not pushed them yet: the old content is gone from
    the kiosk, so the push carries the event naming it and, later in the same push, the one erasing it.  The
    hub checks at commit; an event naming content that nothing in the push erases is still refused whole."""
    gone, kept = blob("resealed before the push"), blob("the new sealing")
    ic = hub.client("ic-laptop")
    bodies = {1: {"sealed": gone[0]}, 2: {"n": 2}, 3: {"sealed": kept[0], "erase": [gone[0]]}}
    history = chain("ic-laptop", 3, body=lambda seq: bodies[seq])
    with pytest.raises(HubError, match="sealed content the hub does not hold"):
        ic.push(history[:2])
    assert held(hub, "ic-laptop") == []
    assert ic.push(history, dict([kept])) == 3
    assert hub.sql().execute("SELECT digest FROM hub.sealed").fetchall() == [(kept[0],)]


def test_every_sync_records_the_clock_skew_and_flags_more_than_two_minutes(hub):
    door = hub.client("door-1")
    close = door.report_clock(datetime.now(UTC) - timedelta(seconds=30))
    assert timedelta(seconds=29) < close.skew < timedelta(seconds=32) and not close.flagged
    ahead = door.report_clock(datetime.now(UTC) + timedelta(minutes=2, seconds=5))
    assert ahead.skew < -timedelta(minutes=2) and ahead.flagged
    stored = hub.sql().execute("SELECT clock_skew, last_seen IS NOT NULL FROM hub.devices WHERE name = 'door-1'")
    skew, seen = stored.fetchone()
    assert skew < -timedelta(minutes=2) and seen
    with pytest.raises(HubError, match="time zone"):
        door.report_clock(datetime.now())


def test_the_client_reopens_a_lost_connection(hub, pg_server, chain):
    door = hub.client("door-1")
    history = chain("door-1", 4)
    door.push(history[:2])
    pg_server.kill()
    pg_server.start()
    with pytest.raises(HubError) as lost:
        door.push(history[2:])
    assert lost.value.retry
    assert door.push(history[2:]) == 4
    assert door.wait(0.1) == set()


def test_committed_events_survive_a_power_cut(hub, pg_server, chain):
    door = hub.client("door-1")
    history = chain("door-1", 20)
    assert door.push(history) == 20
    pg_server.kill()
    assert not pg_server.running
    pg_server.start()
    assert [seq for seq, _ in held(hub, "door-1")] == list(range(1, 21))


examples = itertools.count()
histories = st.lists(st.integers(min_value=1, max_value=25), min_size=1, max_size=3)
batches = st.lists(st.tuples(st.integers(min_value=0, max_value=30), st.integers(min_value=1, max_value=12)),
                   min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lengths=histories, plan=batches, data=st.data())
def test_push_and_pull_are_idempotent_over_random_batches(hub, chain, lengths, plan, data):
    """Each device pushes random slices of its history (overlapping, repeated, out of order): a slice is stored
    exactly when it starts at most one past what the hub holds, and a pull from any cursors then returns
    exactly each device's history after its cursor, in pages of any size."""
    example = next(examples)  # fresh devices for every example, replays included
    names = [f"d{index}-{example}" for index in range(len(lengths))]
    with ExitStack() as closing:
        clients = {name: closing.enter_context(HubClient(hub.add(name))) for name in names}
        check_random_batches(hub, clients, {name: chain(name, length) for name, length in zip(names, lengths,
                                                                                          strict=True)}, plan, data)


def check_random_batches(hub, clients: dict[str, HubClient], full: dict[str, list[events.Event]],
                         plan: list[tuple[int, int]], data: st.DataObject) -> None:
    names = list(clients)
    holds = dict.fromkeys(names, 0)
    for start, size in plan:
        name = data.draw(st.sampled_from(names))
        piece = full[name][start:start + size]
        if not piece:
            continue
        if piece[0].seq <= holds[name] + 1:
            holds[name] = max(holds[name], piece[-1].seq)
            assert clients[name].push(piece) == holds[name]
        else:
            with pytest.raises(HubError) as refused:
                clients[name].push(piece)
            assert refused.value.reason == "chain"
            assert clients[name].push([]) == holds[name]
    for name in names:
        assert clients[name].push(full[name]) == len(full[name])
        assert clients[name].push(full[name]) == len(full[name])
    cursors = {name: data.draw(st.integers(min_value=0, max_value=len(full[name]) + 2)) for name in names}
    others = {device: last for device, last in hub.sql().execute(
        "SELECT device, max(seq) FROM hub.events GROUP BY device").fetchall() if device not in names}
    pulled = pull_all(clients[names[0]], {**others, **cursors}, limit=data.draw(st.integers(1, 40)))
    assert pulled == [event for name in sorted(names) for event in full[name][cursors[name]:]]
