"""Check-in speed at scale: unlock, record, read, passphrase change, purge and the door count, beside floors.

    .venv/bin/python benchmarks/bench_checkins.py            # 1,000 scenes x 10 check-ins, 2,000 recorded
    .venv/bin/python benchmarks/bench_checkins.py --small    # 100 scenes x 10, 500 recorded

The pending check-ins are real events (``checkin.opened``, as a lift makes them, projected as the kiosk does);
the IC's records go through the services, with the record's clock set 60 days back for them, so that the
purge ("older than 30 days") has records to erase that are as old as it says.

Each measure stands beside a floor measured in the same run: the scrypt derivation alone for unlock; a raw
``sqlite3`` update committed with the same pragmas (WAL, synchronous=FULL) for record and read, on a copy of
the check-ins table (so the record's projection is left as the log made it); the two derivations plus
in-memory sealing for a passphrase change; one raw UPDATE for purge; one GROUP BY for the door count.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bigprod import DEVICE, append_batch, build
from kiosk.core import record as rules
from kiosk.core.secrets import KdfParams, derive_key, seal
from kiosk.services import checkins, now, retention
from kiosk.store import connect, record
from kiosk.store.db import write

PER_SCENE = 10
PASSPHRASE, NEW_PASSPHRASE = "tangerine orbit lantern velvet", "a completely different phrase"
NOTE = "Felt rushed in take 3; talked it through, wants the robe closer next time. " * 3


def timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def raw_connection(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def raw_update(conn: sqlite3.Connection, sql: str, params: list) -> None:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(sql, params)
    conn.execute("COMMIT")


@contextlib.contextmanager
def clock_back(days: int) -> Iterator[None]:
    """The record's clock (the time its events are stamped with) ``days`` behind the wall clock."""
    real = record.wall_ms
    record.wall_ms = lambda: real() - days * 86_400_000
    try:
        yield
    finally:
        record.wall_ms = real


def open_pending(path: Path, targets: list[tuple[str, str]]) -> None:
    """A pending check-in for each (scene, person), as the lift opens them: an event each, then projected."""
    db = connect(path)
    keys = [rules.checkin_key(scene, 1, person) for scene, person in targets]
    with write(db):
        append_batch(db, DEVICE, [(rules.CHECKIN_OPENED, key, {"scene": scene, "run": 1, "person": person,
                                                                      "by": "lift"})
                                         for key, (scene, person) in zip(keys, targets)])
        for key in keys:
            record.project(db, key)
    db.close()


def run(path: Path, scenes: int, recorded: int, people: int, unlocks: int = 5) -> None:
    build(path, people=people, scenes=scenes, scans=10_000)
    targets = [(f"S{s:04d}", f"P{(s - 1) * PER_SCENE + i:06d}") for s in range(1, scenes + 1)
               for i in range(1, PER_SCENE + 1)]
    open_pending(path, targets)
    db = connect(path)
    mine, spare = targets[:recorded], targets[recorded:]
    raw = raw_connection(path)
    raw.execute("CREATE TABLE floor_checkins AS SELECT * FROM checkins")
    raw.execute("CREATE UNIQUE INDEX floor_checkins_key ON floor_checkins(scene, run, person)")
    ms = 1000

    session = checkins.set_passphrase(db, PASSPHRASE, "bench", "bench")
    params = KdfParams.decode(db.execute("SELECT value FROM settings WHERE key = 'ic_passphrase_kdf'").fetchone()[0])
    unlock = [timed(checkins.unlock, db, PASSPHRASE, "bench", "bench") for _ in range(unlocks)]
    derive = [timed(derive_key, PASSPHRASE, params) for _ in range(unlocks)]

    due = (date.today() + timedelta(days=7)).isoformat()
    record_times, record_floor = [], []
    with clock_back(60):
        for index, (scene, person) in enumerate(mine):
            owner, until = ("Amara", due) if index % 5 == 0 else ("", None)  # every fifth with a follow-up
            record_times.append(timed(checkins.record, session, scene, person, "needs-a-moment", NOTE,
                                      "Equity helpline", owner, until))
            record_floor.append(timed(raw_update, raw, "UPDATE floor_checkins SET status = 'ok', sealed = ?, "
                                      "updated_at = ? WHERE scene = ? AND run = 1 AND person = ?",
                                      [bytes(540), now(), *spare[index % len(spare)]]))
    reads = [timed(checkins.read_notes, session, scene, person) for scene, person in mine[:500]]
    read_floor = [timed(raw_update, raw, "UPDATE floor_checkins SET notes_read_at = ? WHERE rowid = ?",
                        [now(), index + 1]) for index in range(len(reads))]

    count = [timed(checkins.completion, db) for _ in range(20)]
    count_floor = [timed(lambda: db.execute(
        "SELECT status, follow_up_due IS NOT NULL AND follow_up_done_on IS NULL, COUNT(*) FROM checkins "
        "GROUP BY 1, 2").fetchall()) for _ in range(20)]
    scene_count = [timed(checkins.completion, db, mine[0][0]) for _ in range(200)]

    sealed = [blob for (blob,) in db.execute("SELECT s.blob FROM checkins c JOIN sealed s ON s.digest = c.sealed")]
    change = timed(retention.change_passphrase, db, PASSPHRASE, NEW_PASSPHRASE, "bench", "bench")
    started = time.perf_counter()
    derive_key(PASSPHRASE, params)
    key = derive_key(NEW_PASSPHRASE, KdfParams.fresh())
    for value in sealed:
        seal(key, value, b"binding")
    change_floor = time.perf_counter() - started

    session = checkins.unlock(db, NEW_PASSPHRASE, "bench", "bench")
    erasable = db.execute("SELECT COUNT(*) FROM checkins "
                          "WHERE sealed IS NOT NULL AND follow_up_due IS NULL").fetchone()[0]
    purge = timed(retention.purge, session, "30d")
    purged = db.execute("SELECT COUNT(*) FROM checkins WHERE purged_at IS NOT NULL").fetchone()[0]
    assert purged == erasable, f"the purge erased {purged} of the {erasable} old records"
    purge_floor = timed(raw_update, raw, "UPDATE floor_checkins SET sealed = NULL WHERE updated_at < ?",
                        [now()])
    raw.close()
    db.close()

    def median(values):
        return statistics.median(values) * ms

    print(f"\n{scenes:,} scenes x {PER_SCENE} check-ins ({scenes * PER_SCENE:,}); {recorded:,} recorded with a "
          f"{len(NOTE)}-character note; {len(sealed):,} re-sealed; {erasable:,} purged.\n")
    print("| measure | kiosk | floor | ratio |")
    print("|---|---|---|---|")
    rows = [
        ("unlock, median (ms) - floor: scrypt N=2^16 alone", median(unlock), median(derive)),
        ("record a check-in, median (ms) - floor: raw UPDATE + commit", median(record_times),
         median(record_floor)),
        ("read one person's notes (audited), median (ms) - floor: raw UPDATE + commit", median(reads),
         median(read_floor)),
        (f"door count over all {scenes * PER_SCENE:,}, median (ms) - floor: one GROUP BY", median(count),
         median(count_floor)),
        ("door count for one scene, median (ms)", median(scene_count), None),
        (f"change passphrase, {len(sealed):,} records (s) - floor: 2 derivations + sealing in memory", change,
         change_floor),
        (f"purge {erasable:,} records + WAL checkpoint (s) - floor: one raw UPDATE", purge, purge_floor),
    ]
    for name, kiosk, floor in rows:
        floor_text, ratio = ("", "") if floor is None else (f"{floor:.3f}", f"{kiosk / floor:.2f}x")
        print(f"| {name} | {kiosk:.3f} | {floor_text} | {ratio} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="100 scenes, 500 recorded check-ins")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # tests/test_benchmarks.py
    parser.add_argument("--db", type=Path, help="where to build (default: a temp folder)")
    args = parser.parse_args()
    scenes, recorded = (5, 20) if args.tiny else (100, 500) if args.small else (1_000, 2_000)
    sizes = (scenes, recorded, max(200 if args.tiny else 1_000, scenes * PER_SCENE), 1 if args.tiny else 5)
    if args.db:
        run(args.db, *sizes)
        return
    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder) / "bench.db", *sizes)


if __name__ == "__main__":
    main()
