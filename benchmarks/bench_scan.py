"""Scan speed at scale: the kiosk's decide + durable commit beside raw sqlite3 in the same run.

    .venv/bin/python benchmarks/bench_scan.py            # 100,000 people, 1,000 scenes, 1,000,000 scans
    .venv/bin/python benchmarks/bench_scan.py --small    # a quick look (10,000 / 100 / 100,000)

Kiosk and floor take turns in blocks of 50 scans, each on its own open connection.  Prints a Markdown table:
per-scan median and p99 for the kiosk and for the floor (one indexed lookup and one insert, same pragmas,
committed), their ratio, process memory, and whole-process `kiosk scan` time.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import compile_kiosk
from benchmarks.bigprod import build_apart
from kiosk.core.codes import digest
from kiosk.services import door
from kiosk.store import connect

BLOCK = 50  # scans per turn


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def kiosk_scans(db, plan: list[tuple[str, str]]) -> list[float]:
    timings = []
    for scene, code in plan:
        started = time.perf_counter()
        door.scan(db, scene, code, "set", "bench")
        timings.append(time.perf_counter() - started)
    return timings


def floor_connection(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS floor_log (id INTEGER PRIMARY KEY, at TEXT, badge TEXT, raw TEXT)")
    return conn


def floor_scans(conn: sqlite3.Connection, plan: list[tuple[str, str]]) -> list[float]:
    """The least any durable scan can cost here: look the badge up, insert a row, commit (WAL, FULL)."""
    timings = []
    for _, code in plan:
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        badge = conn.execute("SELECT digest FROM badges WHERE digest = ?", [digest(code)]).fetchone()
        conn.execute("INSERT INTO floor_log (at, badge, raw) VALUES (?, ?, ?)",
                     [time.time(), badge[0] if badge else None, code])
        conn.execute("COMMIT")
        timings.append(time.perf_counter() - started)
    return timings


def process_scans(path: Path, plan: list[tuple[str, str]], runs: int) -> tuple[list[float], str]:
    env = {**os.environ, "KIOSK_DB": str(path), "KIOSK_ID": "bench"}
    compile_kiosk()
    timings = []
    for scene, code in plan[:runs]:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kiosk", "scan", scene, code], env=env, capture_output=True)
        timings.append(time.perf_counter() - started)
    heavy = ('textual', 'qrcode', 'PIL', 'sqlite_utils')
    probe = subprocess.run(
        [sys.executable, "-c", "import sys, kiosk.cli, kiosk.cli.door, kiosk.services.door, kiosk.store.db;"
         f"print(','.join(m for m in {heavy} if m in sys.modules) or 'none')"],
        env=env, capture_output=True, text=True)
    return timings, probe.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="10,000 people, 100 scenes, 100,000 scans")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # tests/test_benchmarks.py
    parser.add_argument("--scans", type=int, default=2000, help="timed scans per contender (default 2000)")
    parser.add_argument("--db", type=Path, help="where to build (default: a temp folder); a production built "
                        "there before at the same size is reused")
    args = parser.parse_args()
    scale = (200, 4, 1_000) if args.tiny else (10_000, 100, 100_000) if args.small else (100_000, 1_000, 1_000_000)
    scans, processes = (20, 2) if args.tiny else (args.scans, 20)
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as folder:
        run(args.db or Path(folder) / "bench.db", scale, scans, processes, keep=bool(args.db))


def run(path: Path, scale: tuple[int, int, int], scans: int, processes: int = 20, keep: bool = False) -> None:
    built = build_apart(path, *scale, keep=keep)
    rng = random.Random(1)
    plan = [(scene, rng.choice(people)) for scene, people in rng.choices(list(built["open_scenes"].items()),
                                                                        k=scans)]
    plan += [(rng.choice(list(built["open_scenes"])), code) for code in built["unknown_people_codes"]]
    rng.shuffle(plan)
    floor, kiosk = [], []
    db, conn = connect(path), floor_connection(path)
    for start in range(0, len(plan), BLOCK):  # small blocks, taking turns, so both share the machine's noise
        block = plan[start:start + BLOCK]
        for contender in ((floor, conn), (kiosk, db))[::-1 if start // BLOCK % 2 else 1]:
            contender[0].extend((floor_scans if contender[1] is conn else kiosk_scans)(contender[1], block))
    db.close()
    conn.close()
    whole, imported = process_scans(path, plan, processes)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ms = 1000
    print(f"\nProduction: {scale[0]:,} people, {scale[1]:,} scenes, {scale[2]:,} logged scans "
          f"(built in {built['seconds']:.1f} s); {len(plan):,} timed scans each.\n")
    print("| measure | kiosk | floor (raw sqlite3) | ratio | target |")
    print("|---|---|---|---|---|")
    print(f"| scan median (ms) | {statistics.median(kiosk) * ms:.2f} | {statistics.median(floor) * ms:.2f} | "
          f"{statistics.median(kiosk) / statistics.median(floor):.2f}x | within 2x |")
    print(f"| scan p99 (ms) | {percentile(kiosk, .99) * ms:.2f} | {percentile(floor, .99) * ms:.2f} | "
          f"{percentile(kiosk, .99) / percentile(floor, .99):.2f}x | under 5 ms |")
    print(f"| process memory, peak RSS (MB) | {rss_mb:.0f} | | | under 200 MB |")
    print(f"| whole-process `kiosk scan` median (ms) | {statistics.median(whole) * ms:.0f} | | | under 300 ms |")
    print(f"| heavy modules imported to scan | {imported} | | | none |")


if __name__ == "__main__":
    main()
