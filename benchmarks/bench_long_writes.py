"""The door while long writes run on its file (finding 3): a 50,000-row crew list imported, and the check-in
notes purged with a reader holding the file open.

    .venv/bin/python benchmarks/bench_long_writes.py             # 50,000 rows; 2,000 check-ins to purge
    .venv/bin/python benchmarks/bench_long_writes.py --rows 5000 --checkins 300

A door (this process, its own connection, ``door.scan`` as the kiosk runs it) scans without pause while another
process runs the write as a crew member would: ``kiosk people import FILE`` and ``kiosk checkins purge``, each
a real ``kiosk`` command.  For the purge a third connection holds a read transaction open throughout (a report
being read, a backup running), which keeps the WAL from being emptied.  Beside each: the same door scanning idle,
measured in the same run - the floor.  Prints a Markdown table; the target is that no scan waits over 1 s, and
any scan refused (NOT RECORDED) is counted.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk import DATA
from kiosk.errors import StoreError
from kiosk.services import badges, checkins, door, production, roster, scenes
from kiosk.services.lift import lift
from kiosk.store import connect

KIOSK = "bench-door"
PASSPHRASE = "tangerine orbit lantern velvet"
NOTE = "Felt rushed in take 3; talked it through, wants the robe closer next time. " * 3
TARGET_S = 1.0


def crew_list(rows: int) -> bytes:
    lines = ["Ref,Name,Kind,Department,Role"]
    lines += [f"N{i:06d},Person {i:06d},{'cast' if i % 10 == 0 else 'crew'},Department {i % 40},Role {i % 25}"
              for i in range(1, rows + 1)]
    return ("\n".join(lines) + "\n").encode()


def prepare(path: Path, performers: int) -> str:
    """A production with scene 42 open and P01's badge; ``performers`` cast members lifted with check-ins to
    record.  Returns the code the door scans."""
    db = connect(path, create=True)
    production.init_production(db, "Long writes", KIOSK, duplicate_window=0,
                               checklist_required=False)  # scene 42 opens without its checklist
    assert roster.import_people(db, (DATA / "demo-crew.csv").read_bytes(), KIOSK).ok
    cast = [f"Q{i:05d}" for i in range(1, performers + 1)]
    if cast:
        data = "Ref,Name,Kind\n" + "".join(f"{ref},Performer {ref},cast\n" for ref in cast)
        assert roster.import_people(db, data.encode(), KIOSK).ok
    cards = badges.plan_badges(db)
    badges.record_badges(db, cards, KIOSK)
    scenes.add_scene(db, "42", "Bedroom, night", KIOSK, coordinator="X01", performers=("C01",))
    scenes.approve(db, "42", ("P01",), by="Sam Whitfield", kiosk=KIOSK)
    scenes.set_state(db, "42", scenes.SceneState.OPEN, KIOSK)
    if cast:
        scenes.add_scene(db, "90", "Closed set, many performers", KIOSK, coordinator="X01", performers=tuple(cast))
        scenes.set_state(db, "90", scenes.SceneState.OPEN, KIOSK)
        lift(db, "90", KIOSK)
        session = checkins.set_passphrase(db, PASSPHRASE, "Amara Mensah", KIOSK)
        for ref in cast:
            checkins.record(session, "90", ref, "ok", note=NOTE)
    db.close()
    return next(card.code for card in cards if card.ref == "P01")


def scans_until(db, code: str, done, limit: int | None = None) -> tuple[list[float], int]:
    """Scan (alternately admit and exit) until ``done()`` or ``limit`` scans; each scan's seconds, and how
    many were refused (NOT RECORDED)."""
    times, refused = [], 0
    while (limit is None or len(times) + refused < limit) and not done():
        started = time.perf_counter()
        try:
            door.scan(db, "42", code, "set", KIOSK)
        except StoreError:
            refused += 1
            continue
        times.append(time.perf_counter() - started)
    return times, refused


def kiosk_command(path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kiosk", "--kiosk-id", "office", *args],
                            env={**os.environ, "KIOSK_DB": str(path), **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def during(db, code: str, process: subprocess.Popen) -> tuple[list[float], int, float]:
    started = time.perf_counter()
    times, refused = scans_until(db, code, lambda: process.poll() is not None)
    elapsed = time.perf_counter() - started
    out, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"the write failed (exit {process.returncode}): {out}{err}")
    return times, refused, elapsed


def row(name: str, idle: list[float], busy: list[float], refused: int, write_s: float, load: str) -> str:
    def ms(values: list[float], how) -> str:
        return f"{how(values) * 1000:.1f}" if values else "-"

    slow = sum(value > TARGET_S for value in busy)
    return (f"| {name} | {write_s:.2f} | {len(busy):,} | {ms(busy, statistics.median)} | {ms(busy, max)} | "
            f"{ms(idle, statistics.median)} | {ms(idle, max)} | {slow} | {refused} | {load} |")


def load_average() -> float:
    return os.getloadavg()[0]


def run(folder: Path, rows: int, performers: int) -> None:
    path = folder / "kiosk.db"
    print(f"\nPreparing: the demo crew, {performers:,} lifted performers with recorded check-ins ...", flush=True)
    code = prepare(path, performers)
    listing = folder / "crew.csv"
    listing.write_bytes(crew_list(rows))
    db = connect(path)
    results = []

    idle, _ = scans_until(db, code, lambda: False, limit=300)
    load = load_average()
    importing = kiosk_command(path, "people", "import", str(listing))
    busy, refused, elapsed = during(db, code, importing)
    results.append(row(f"`kiosk people import` of {rows:,} new people", idle, busy, refused, elapsed,
                       f"{load:.1f} / {load_average():.1f}"))
    assert db.execute("SELECT COUNT(*) FROM people WHERE ref LIKE 'N%'").fetchone()[0] == rows

    if performers:
        idle, _ = scans_until(db, code, lambda: False, limit=300)
        load = load_average()
        reader = sqlite3.connect(path)
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM events").fetchone()  # a read transaction held open throughout
        soon = datetime.now(UTC).timestamp() + 40 * 86_400  # the notes are 40 days old by then
        purging = subprocess.Popen(
            [sys.executable, "-c", PURGE, str(path), str(soon)], env={**os.environ, "KIOSK_IC_PASSPHRASE": PASSPHRASE},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        busy, refused, elapsed = during(db, code, purging)
        reader.rollback()
        reader.close()
        erased = db.execute("SELECT COUNT(*) FROM checkins WHERE scene = '90' AND sealed IS NULL").fetchone()[0]
        assert erased == performers, erased
        results.append(row(f"`checkins purge` of {performers:,} notes, a reader open", idle, busy, refused,
                           elapsed, f"{load:.1f} / {load_average():.1f}"))
    db.close()

    print(f"\n{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, SQLite "
          f"{sqlite3.sqlite_version}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. The door scans without pause in "
          "this process; the write is another process. Floor: the same door scanning idle, just before.\n")
    print("| write | its time (s) | scans during it | scan median (ms) | worst scan (ms) | idle median (ms) | "
          f"idle worst (ms) | scans over {TARGET_S:.0f} s | NOT RECORDED | load before / after |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for line in results:
        print(line)


# The purge as `kiosk checkins purge --older-than 30d` runs it, on a clock 40 days on (so the notes are old).
PURGE = """
import sys
from datetime import UTC, datetime
from kiosk.cli import main
import kiosk.services.checkins as checkins
later = datetime.fromtimestamp(float(sys.argv[2]), UTC).isoformat(timespec="microseconds")
checkins.now = lambda: later
sys.argv = ["kiosk", "--db", sys.argv[1], "--kiosk-id", "office", "checkins", "purge", "--older-than", "30d",
            "--by", "Amara Mensah"]
main()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000, help="people in the imported crew list")
    parser.add_argument("--checkins", type=int, default=2_000, help="recorded check-ins the purge erases")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder), args.rows, args.checkins)


if __name__ == "__main__":
    main()
