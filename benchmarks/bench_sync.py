"""Kiosks syncing through the hub: a scan at door A seen at door B, and the catch-up of a kiosk offline for a day.

    .venv/bin/python benchmarks/bench_sync.py            # 100 door-to-door scans; catch-up of 100,000 events
    .venv/bin/python benchmarks/bench_sync.py --small    # a quick look: 30 scans; 10,000 events

It starts its own PostgreSQL server (tests/pg_server.py: TLS, SCRAM passwords, fsync on) in a temp folder and
builds a production (the demo crew, scene 42 open) on an office kiosk, from which doors A and B join.

- Door to door: A and B both follow the hub (``kiosk.services.follow.Follower``, as the door screen runs it:
  woken by LISTEN/NOTIFY and by its own file's new events).  A scans (the door's ``door.scan``, committed);
  the time runs until B's file holds that scan.  Floor: the same trip with nothing of the kiosk in it - an
  INSERT committed on one TLS connection to the hub's server and a NOTIFY heard on another (LISTEN), then the
  row read back: what any sync over PostgreSQL must at least spend.  Scans are spaced out (0.3 s) as at a door.
- Catch-up: A goes offline for a day and records half the events (scans, each committed), B records the other
  half and gets them to the hub; then one ``sync_once`` at A pushes its half and pulls B's.  Floor: the same
  number of rows through raw psycopg over the same TLS - INSERTed into a plain table in the same batches, then
  read back in the same pages (pushes of 2,000, pages of 500) - with no checks, no chain, no projection into SQLite.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from benchmarks.bench_hub import FLOOR_TABLE, history, insert_batches  # noqa: E402
from kiosk.hub import add_device, init_hub  # noqa: E402
from kiosk.services import door  # noqa: E402
from kiosk.services.follow import Follower  # noqa: E402
from kiosk.services.join import join  # noqa: E402
from kiosk.services.sync import BATCH, PUSH_BATCH  # noqa: E402
from kiosk.store import connect  # noqa: E402
from kiosk.store.db import write  # noqa: E402
from tests.pg_server import PgServer  # noqa: E402
from tests.reliability.conftest import build_production  # noqa: E402
from tests.syncing import Machine  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def held(db, event_id: str) -> bool:
    return db.execute("SELECT 1 FROM events WHERE event_id = ?", [event_id]).fetchone() is not None


def door_to_door(server: PgServer, admin: str, folder: Path, codes: dict[str, str], scans: int) -> tuple:
    """Seconds from A's scan to B's file holding it, both following; and the floor's INSERT-to-NOTIFY trip."""
    machines = {}
    for name in ("door-a", "door-b"):
        dsn = add_device(admin, name, password=server.password)
        join(folder / f"{name}.db", dsn, name)
        machines[name] = Machine(folder / f"{name}.db", name, dsn)
    followers = [Follower(machine.path, machine.dsn, name) for name, machine in machines.items()]
    for follower in followers:
        follower.start()
    door_a, door_b = machines["door-a"], machines["door-b"]
    watcher = connect(door_b.path, device="door-b")  # reads B's file as B's own screen would
    kiosk, floor = [], []
    with psycopg.connect(admin, password=server.password, autocommit=True) as writer, \
            psycopg.connect(admin, password=server.password, autocommit=True) as listener:
        writer.execute("CREATE TABLE floor_trip (id bigint PRIMARY KEY, at timestamptz DEFAULT now())")
        listener.execute("LISTEN floor_trip")
        refs = ["D01", "P01", "P02"]
        time.sleep(1.0)  # both followers synced once and waiting
        for number in range(scans):
            started = time.perf_counter()
            verdict = door.scan(door_a.db, "42", codes[refs[number % len(refs)]], "set", "door-a", f"trip-{number}")
            event_id = door_a.db.execute("SELECT event_id FROM events WHERE device = 'door-a' ORDER BY id DESC "
                                         "LIMIT 1").fetchone()[0]
            followers[0].nudge()  # as the door screen does after each scan
            while not held(watcher, event_id):
                if time.perf_counter() - started > 30:
                    raise RuntimeError(f"scan {verdict.scan_id} never reached door B")
                time.sleep(0.001)
            kiosk.append(time.perf_counter() - started)
            started = time.perf_counter()
            with writer.transaction():
                writer.execute("INSERT INTO floor_trip (id) VALUES (%s)", [number])
                writer.execute("SELECT pg_notify('floor_trip', %s)", [str(number)])
            next(listener.notifies(timeout=30, stop_after=1))
            listener.execute("SELECT id FROM floor_trip WHERE id = %s", [number]).fetchone()
            floor.append(time.perf_counter() - started)
            time.sleep(0.3)
    for follower in followers:
        follower.stop()
    watcher.close()
    for machine in machines.values():
        machine.close()
    return kiosk, floor


def catch_up(server: PgServer, admin: str, folder: Path, codes: dict[str, str], count: int) -> dict:
    """A kiosk offline for a day: ``count // 2`` events of its own to push, as many of another door's to pull."""
    machines = {}
    for name in ("late-a", "late-b"):
        dsn = add_device(admin, name, password=server.password)
        join(folder / f"{name}.db", dsn, name)
        machines[name] = Machine(folder / f"{name}.db", name, dsn)
    late_a, late_b = machines["late-a"], machines["late-b"]
    half = count // 2
    values = list(codes.values())
    made_started = time.perf_counter()
    for machine in (late_a, late_b):
        for start in range(0, half, 1000):  # a day of scans, in transactions of 1,000 (quicker to make)
            with write(machine.db):
                for number in range(start, min(half, start + 1000)):
                    door.scan(machine.db, "42", values[number % len(values)], ("set", "monitors")[number % 2],
                              machine.name, f"day-{number}")
    made = time.perf_counter() - made_started
    assert late_b.sync().ok  # B's half at the hub; A was offline all day
    started = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        result = profile.runcall(late_a.sync)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    else:
        result = late_a.sync()
    spent = time.perf_counter() - started
    assert result.ok and result.waiting == 0, result
    assert late_b.sync().ok  # B takes A's day (not timed): then both files hold the same record
    events_a = late_a.db.execute("SELECT count(*) FROM events").fetchone()[0]
    events_b = late_b.db.execute("SELECT count(*) FROM events").fetchone()[0]
    # Floor: the same numbers of rows in and out over the same TLS, nothing checked or applied.
    rows_in, rows_out = history("floor-in", result.pushed), history("floor-out", result.pulled)
    with psycopg.connect(admin, password=server.password, autocommit=True) as conn:
        conn.execute(FLOOR_TABLE.format("floor_catch"))
        insert_batches(conn, "floor_catch", [rows_out[at:at + BATCH] for at in range(0, len(rows_out), BATCH)])
        started = time.perf_counter()
        insert_batches(conn, "floor_catch", [rows_in[at:at + PUSH_BATCH]
                                             for at in range(0, len(rows_in), PUSH_BATCH)])
        after = 0
        while rows := conn.execute("SELECT device, seq, payload, hash FROM floor_catch WHERE device = 'floor-out' "
                                   "AND seq > %s ORDER BY seq LIMIT %s", [after, BATCH]).fetchall():
            after = rows[-1][1]
        floor = time.perf_counter() - started
    for machine in machines.values():
        machine.close()
    return {"pushed": result.pushed, "pulled": result.pulled, "seconds": spent, "floor": floor, "made": made,
            "same": events_a == events_b}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="30 door-to-door scans; catch-up of 10,000 events")
    parser.add_argument("--scans", type=int, help="door-to-door scans (default 100)")
    parser.add_argument("--events", type=int, help="catch-up events, half pushed, half pulled (default 100,000)")
    args = parser.parse_args()
    scans = args.scans or (30 if args.small else 100)
    count = args.events or (10_000 if args.small else 100_000)
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as temp:
        folder = Path(temp)
        os.chmod(folder, 0o700)
        server = PgServer()
        server.start()
        try:
            admin = server.dsn("hub")
            with psycopg.connect(server.dsn(), password=server.password, autocommit=True) as conn:
                conn.execute("CREATE DATABASE hub")
            init_hub(admin, server.password)
            codes = build_production(folder / "office.db", kiosk="office")
            office = Machine(folder / "office.db", "office", add_device(admin, "office", password=server.password))
            assert office.sync().ok
            office.close()
            trips, floor = door_to_door(server, admin, folder, codes, scans)
            caught = catch_up(server, admin, folder, codes, count)
            version = server_version(server)
        finally:
            server.remove()
    print(f"\nPostgreSQL {version} on 127.0.0.1 (TLS, SCRAM, fsync on); {platform.machine()}, {os.cpu_count()} "
          f"CPUs, Python {platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n")
    print("| measure | kiosk | floor | ratio | target |")
    print("|---|---|---|---|---|")
    median, floor_median = statistics.median(trips), statistics.median(floor)
    print(f"| scan at A seen at B, both following, median (ms), {scans} scans | {median * 1000:.0f} | "
          f"{floor_median * 1000:.1f} | {median / floor_median:.0f}x | under 1,000 ms |")
    print(f"| the same, p99 (ms) | {percentile(trips, .99) * 1000:.0f} | {percentile(floor, .99) * 1000:.1f} | "
          f"{percentile(trips, .99) / percentile(floor, .99):.0f}x | |")
    total = caught["pushed"] + caught["pulled"]
    print(f"| catch-up after a day offline: {caught['pushed']:,} pushed + {caught['pulled']:,} pulled (s) | "
          f"{caught['seconds']:.1f} | {caught['floor']:.1f} | {caught['seconds'] / caught['floor']:.1f}x | "
          f"under 30 s for 100,000 |")
    print(f"| the same, events/s | {total / caught['seconds']:,.0f} | {total / caught['floor']:,.0f} | | |")
    print(f"\n(Making the day's {total:,} scans at the two doors took {caught['made']:.0f} s; after the catch-up "
          f"both files hold {'the same' if caught['same'] else 'DIFFERENT'} number of events.)")


def server_version(server: PgServer) -> str:
    with psycopg.connect(server.dsn(), password=server.password) as conn:
        return conn.execute("SHOW server_version").fetchone()[0].split()[0]


if __name__ == "__main__":
    main()
