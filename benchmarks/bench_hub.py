"""The hub under load: push and pull of 100,000 events beside a raw psycopg floor, then a fleet of kiosks.

    .venv/bin/python benchmarks/bench_hub.py                  # 100,000 events; 20 kiosks x 10 events/s, 30 s
    .venv/bin/python benchmarks/bench_hub.py --duration 300   # the same fleet for 5 minutes
    .venv/bin/python benchmarks/bench_hub.py --small          # a quick look: 10,000 events, the fleet for 10 s

It starts its own PostgreSQL server (tests/pg_server.py: TLS, SCRAM passwords, fsync on) in a temp folder, so
every figure includes TLS and a durable commit.

- Push: one device sends the events through ``HubClient.push`` in batches (a transaction each; the hub's
  trigger checks every event's hash, envelope and chain, under row-level security).  Floor: the same rows, the
  same ``INSERT ... SELECT FROM unnest(binary arrays)`` statement and batches over the same TLS, into a plain
  table with the same keys and no checks; and COPY into it, the fastest way in (not open to a device: COPY
  refuses tables under row-level security).  Hub and floor take turns on halves of the run.
- One event: the latency of a push of a single event (a kiosk at a quiet door), beside one row inserted by the
  floor's statement; 500 of each, taking turns.
- Pull: ``HubClient.pull`` from cursor 0 in pages (every event parsed and checked as a kiosk does); floor: the
  same ``(device, seq > n)`` pages of payloads read from the plain table, unparsed.
- Fleet: K kiosk processes, each its own device and connection, make an event every 1/R s and push whatever is
  pending at once; each pulls the others' new events every second.  Push lag runs from the moment an event
  was due to the hub's commit; seen lag from due to another kiosk's pull (so it includes up to a second of
  waiting for that pull).  Both should stay flat over time.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from kiosk.core import events
from kiosk.core.events import Event
from kiosk.hub import HubClient, HubError, add_device, init_hub, verify

if TYPE_CHECKING:
    from tests.pg_server import PgServer

ROOT = Path(__file__).resolve().parent.parent

COLUMNS = "device, seq, event_id, prev, hlc, type, key, payload, hash"
UNNEST = ("SELECT * FROM unnest(%b::text[], %b::bigint[], %b::text[], %b::text[], %b::text[], %b::text[], "
          "%b::text[], %b::text[], %b::text[])")
FLOOR_TABLE = ("CREATE TABLE {} (device text, seq bigint, event_id text UNIQUE, prev text, hlc text, type text, "
               "key text, payload text, hash text, received_at timestamptz DEFAULT now(), PRIMARY KEY (device, seq))")


def history(device: str, count: int, start_ms: int = 1_764_581_734_000) -> list[Event]:
    """``count`` chained events of ``device`` shaped like door scans."""
    made, previous, hlc = [], None, None
    for seq in range(1, count + 1):
        hlc = events.hlc_next(hlc, start_ms + seq)
        previous = events.make(device, seq, previous.hash if previous else events.GENESIS, hlc,
                               "2026-12-01T09:35:34.000Z", "scan", f"scan/42/{seq}",
                               {"scene": "42", "person": f"P{seq % 400:03d}", "zone": "set", "decision": "admit",
                                "raw": f"K7Q2-M4XD-{seq:06d}"})
        made.append(previous)
    return made


def rows_of(batch: list[Event]) -> list[list]:
    payloads = [event.payload for event in batch]
    return [[event.device for event in batch], [event.seq for event in batch], [event.id for event in batch],
            [event.prev for event in batch], [event.hlc for event in batch], [event.type for event in batch],
            [event.key for event in batch], payloads, [events.digest(text) for text in payloads]]


def timed(work: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    work(*args)
    return time.perf_counter() - started


def insert_batches(conn: psycopg.Connection, table: str, batches: list[list[Event]]) -> None:
    for batch in batches:
        conn.execute(f"INSERT INTO {table} ({COLUMNS}) {UNNEST}", rows_of(batch))


def push_batches(client: HubClient, batches: list[list[Event]]) -> None:
    for batch in batches:
        client.push(batch)


def copy_batches(conn: psycopg.Connection, table: str, batches: list[list[Event]]) -> None:
    for batch in batches:
        with conn.transaction(), conn.cursor() as cursor, cursor.copy(f"COPY {table} ({COLUMNS}) FROM STDIN") as copy:
            for event in batch:
                payload = event.payload
                copy.write_row((event.device, event.seq, event.id, event.prev, event.hlc, event.type, event.key,
                                payload, events.digest(payload)))


def push_figures(server: PgServer, admin: str, count: int, batch: int) -> dict[str, float]:
    """Seconds for ``count`` events in batches of ``batch``: hub push, floor INSERT, floor COPY."""
    made = history(f"push-{batch}", count)
    floor_rows = history(f"floor-{batch}", count)
    with psycopg.connect(admin, password=server.password, autocommit=True) as floor:
        for table in (f"floor_{batch}", f"copy_{batch}"):
            floor.execute(FLOOR_TABLE.format(table))
        spent = {"hub": 0.0, "floor": 0.0, "copy": 0.0}
        with HubClient(add_device(admin, f"push-{batch}", password=server.password)) as client:
            half = count // 2
            for part in (slice(0, half), slice(half, count)):
                hub_batches = [made[part][at:at + batch] for at in range(0, len(made[part]), batch)]
                floor_batches = [floor_rows[part][at:at + batch] for at in range(0, len(floor_rows[part]), batch)]
                spent["floor"] += timed(insert_batches, floor, f"floor_{batch}", floor_batches)
                spent["hub"] += timed(push_batches, client, hub_batches)
                spent["copy"] += timed(copy_batches, floor, f"copy_{batch}", floor_batches)
    return spent


def latency_figures(server: PgServer, admin: str, rounds: int) -> dict[str, list[float]]:
    """Seconds for one push of one event, hub and floor (one row, same statement), taking turns."""
    made = history("latency", rounds)
    floor_rows = history("floor-latency", rounds)
    spent: dict[str, list[float]] = {"hub": [], "floor": []}
    with psycopg.connect(admin, password=server.password, autocommit=True) as floor, \
            HubClient(add_device(admin, "latency", password=server.password)) as client:
        floor.execute(FLOOR_TABLE.format("floor_latency"))
        for event, floor_event in zip(made, floor_rows, strict=True):
            spent["floor"].append(timed(insert_batches, floor, "floor_latency", [[floor_event]]))
            spent["hub"].append(timed(client.push, [event]))
    return spent


def pull_figures(server: PgServer, admin: str, device: str, count: int, page: int) -> dict[str, float]:
    """Seconds to read ``device``'s ``count`` events from the start in pages of ``page``: hub, floor."""
    with psycopg.connect(admin, password=server.password, autocommit=True) as conn:
        others = {name: last for name, last in conn.execute(
            "SELECT device, max(seq) FROM hub.events WHERE device <> %s GROUP BY device", [device])}
        floor_table = f"floor_{device.split('-')[1]}"
        floor_device = device.replace("push", "floor")

        def floor_pull() -> None:
            after = 0
            while rows := conn.execute(f"SELECT device, seq, payload, hash FROM {floor_table} WHERE device = %s "
                                       "AND seq > %s ORDER BY seq LIMIT %s", [floor_device, after, page]).fetchall():
                after = rows[-1][1]

        with HubClient(add_device(admin, f"reader-{page}", "office", server.password)) as reader:
            def hub_pull() -> None:
                cursors, got = dict(others), 0
                while True:
                    pulled = reader.pull(cursors, page)
                    got += len(pulled.events)
                    cursors = pulled.cursors
                    if not pulled.more:
                        break
                assert got == count, (got, count)

            spent = {"floor": timed(floor_pull), "hub": timed(hub_pull)}
            spent["floor"] += timed(floor_pull)
            spent["hub"] += timed(hub_pull)
    return {name: seconds / 2 for name, seconds in spent.items()}


@dataclass
class KioskRun:
    made: int = 0
    push_lags: list[tuple[float, float]] = field(default_factory=list)  # (due, lag), seconds from the start
    seen_lags: list[tuple[float, float]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def due_at(start: float, rate: float, seq: int) -> float:
    """When a fleet kiosk's event ``seq`` was due (wall clock: the kiosks are processes on one machine)."""
    return start + (seq - 1) / rate


def run_kiosk(dsn: str, start: float, duration: float, rate: float, cursors: dict[str, int],
              pull_phase: float) -> KioskRun:
    """One simulated kiosk in its own process, connected before the clock starts: an event every 1/rate s,
    pushed as soon as it is due; a pull every second, at its own phase (kiosks do not pull in step)."""
    done = KioskRun()
    with HubClient(dsn) as client:
        previous, hlc = None, None
        next_pull = start + pull_phase
        time.sleep(max(0.0, start - time.time()))
        while (now := time.time()) < start + duration:
            pending = []
            while due_at(start, rate, done.made + 1) <= now:
                hlc = events.hlc_next(hlc, int(time.time() * 1000))
                previous = events.make(client.device, done.made + 1,
                                       previous.hash if previous else events.GENESIS, hlc,
                                       datetime.now(UTC).isoformat(), "scan", f"scan/{done.made}",
                                       {"scene": "42", "decision": "admit", "zone": "set"})
                pending.append(previous)
                done.made += 1
            if pending:
                try:
                    client.push(pending)
                except HubError as error:  # counted and reported; the next push sends them again, as a kiosk would
                    done.failures.append(str(error))
                else:
                    pushed = time.time()
                    done.push_lags += [(due_at(start, rate, event.seq) - start,
                                        pushed - due_at(start, rate, event.seq)) for event in pending]
            if now >= next_pull:
                cursors = follow(client, cursors, start, rate, done)
                next_pull += 1
            time.sleep(max(0.0, min(due_at(start, rate, done.made + 1), next_pull) - time.time()))
    return done


def follow(client: HubClient, cursors: dict[str, int], start: float, rate: float, done: KioskRun) -> dict[str, int]:
    """Pull the other kiosks' new events, recording how long after they were due each is seen here."""
    while True:
        page = client.pull(cursors, 5000)
        seen = time.time()
        cursors = page.cursors
        done.seen_lags += [(due_at(start, rate, event.seq) - start, seen - due_at(start, rate, event.seq))
                           for event in page.events if event.device != client.device
                           and event.device.startswith("kiosk-")]
        if not page.more:
            return cursors


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def fleet(server: PgServer, admin: str, kiosks: int, rate: float, duration: float) -> None:
    with psycopg.connect(admin, password=server.password, autocommit=True) as conn:
        cursors = dict(conn.execute("SELECT device, max(seq) FROM hub.events GROUP BY device").fetchall())
    dsns = [add_device(admin, f"kiosk-{index:02d}", password=server.password) for index in range(kiosks)]
    start = time.time() + 2 + kiosks * 0.1  # time for every kiosk to connect first
    with multiprocessing.get_context("fork").Pool(kiosks) as pool:
        runs = pool.starmap(run_kiosk, [(dsn, start, duration, rate, cursors, (index + 1) / kiosks)
                                        for index, dsn in enumerate(dsns)])
    window = max(5.0, duration / 10)
    pushes = [lag for done in runs for lag in done.push_lags]
    seen = [lag for done in runs for lag in done.seen_lags]
    made = sum(done.made for done in runs)
    failures = [failure for done in runs for failure in done.failures]
    print(f"\nFleet: {kiosks} kiosks x {rate:g} events/s for {duration:g} s: {made:,} events made "
          f"({made / duration:,.0f}/s, target {kiosks * rate:,.0f}/s), {len(pushes):,} pushed, "
          f"{len(failures)} failed pushes{': ' + failures[0] if failures else ''}.\n")
    print("| window (s) | events pushed | push lag p50 (ms) | p99 | max | seen by others p50 (ms) | p99 |")
    print("|---|---|---|---|---|---|---|")
    at = 0.0
    while at < duration:
        here = [lag for due, lag in pushes if at <= due < at + window]
        there = [lag for due, lag in seen if at <= due < at + window]
        if here:
            seen_cells = (f"{percentile(there, .5) * 1000:.0f} | {percentile(there, .99) * 1000:.0f}" if there
                          else "- | -")
            print(f"| {at:.0f}-{at + window:.0f} | {len(here):,} | {percentile(here, .5) * 1000:.1f} | "
                  f"{percentile(here, .99) * 1000:.1f} | {max(here) * 1000:.1f} | {seen_cells} |")
        at += window


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="10,000 events, the fleet for 10 s")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # tests/test_benchmarks.py
    parser.add_argument("--events", type=int, help="events pushed and pulled per batch size (default 100,000)")
    parser.add_argument("--kiosks", type=int, default=20)
    parser.add_argument("--rate", type=float, default=10.0, help="events a second per kiosk (default 10)")
    parser.add_argument("--duration", type=float, help="seconds the fleet runs (default 30; 300 is 5 minutes)")
    args = parser.parse_args()
    count = args.events or (200 if args.tiny else 10_000 if args.small else 100_000)
    duration = args.duration or (1.0 if args.tiny else 10.0 if args.small else 30.0)
    kiosks, rounds = (2, 20) if args.tiny else (args.kiosks, 500)
    sys.path.insert(0, str(ROOT))  # the test server lives beside the tests
    from tests.pg_server import PgServer

    server = PgServer()
    try:
        server.start()
        with psycopg.connect(server.dsn(), password=server.password, autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench")
        admin = server.dsn("bench")
        init_hub(admin, server.password)
        run(server, admin, count, kiosks, args.rate, duration, rounds)
    finally:
        server.remove()


def run(server: PgServer, admin: str, count: int, kiosks: int, rate: float, duration: float,
        rounds: int = 500) -> None:
    with psycopg.connect(server.dsn(), password=server.password) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    print(f"\nPostgreSQL {version} on 127.0.0.1 (TLS, SCRAM, fsync on); {count:,} events per batch size.\n")
    print("| measure | hub | floor: same INSERT, plain table | ratio | floor: COPY | ratio |")
    print("|---|---|---|---|---|---|")
    for batch in (100, 1000, 10_000):
        spent = push_figures(server, admin, count, batch)
        print(f"| push, batches of {batch:,} (events/s) | {count / spent['hub']:,.0f} | "
              f"{count / spent['floor']:,.0f} | {spent['hub'] / spent['floor']:.2f}x | "
              f"{count / spent['copy']:,.0f} | {spent['hub'] / spent['copy']:.2f}x |")
    single = latency_figures(server, admin, rounds)
    for name, fraction in (("median", .5), ("p99", .99)):
        hub_ms, floor_ms = percentile(single["hub"], fraction) * 1000, percentile(single["floor"], fraction) * 1000
        print(f"| push of one event, {name} (ms) | {hub_ms:.2f} | {floor_ms:.2f} | {hub_ms / floor_ms:.2f}x | | |")
    for page in (1000, 10_000):
        spent = pull_figures(server, admin, "push-1000", count, page)
        print(f"| pull, pages of {page:,} (events/s) | {count / spent['hub']:,.0f} | {count / spent['floor']:,.0f} | "
              f"{spent['hub'] / spent['floor']:.2f}x | | |")
    started = time.perf_counter()
    checked = verify(admin, server.password)
    assert checked.ok, checked.breaks
    print(f"| verify, whole hub (events/s) | {checked.events / (time.perf_counter() - started):,.0f} "
          f"({checked.events:,} events) | | | | |")
    fleet(server, admin, kiosks, rate, duration)
    checked = verify(admin, server.password)
    print(f"\nAfter the fleet, verify: {'every chain holds' if checked.ok else checked.breaks} "
          f"({checked.devices} devices, {checked.events:,} events).")


if __name__ == "__main__":
    main()
