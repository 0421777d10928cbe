"""Report speed and memory: one scene with 100,000 logged scans, per format, beside a floor in the same run.

    .venv/bin/python benchmarks/bench_report.py            # 100,000 scans in one scene
    .venv/bin/python benchmarks/bench_report.py --small    # a quick look (10,000)

The floor is the least an export of those rows can cost: the raw sqlite3 query of the scene's log rows
joined to the people, written with csv.writer.  Each measure runs in a fresh process, so its peak RSS is its
own.  Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bigprod import build  # noqa: E402
from kiosk.store import log  # noqa: E402

SCENE_ID, SCENE = 60, "S0060"  # a lifted scene of the built production
FORMATS = ("pdf", "csv", "json")


def add_scene_history(path: Path, scans: int, seed: int = 11) -> None:
    """``scans`` door events in one scene over a shooting day: admits and exits of its approved people
    (each toggling in and out), refusals of others, and rolling periods; the hash chain stays valid."""
    rng = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    approved = [p for (p,) in conn.execute("SELECT person_id FROM approvals WHERE scene_id = ?", [SCENE_ID])]
    others = [p for (p,) in conn.execute("SELECT id FROM people WHERE id NOT IN "
                                         "(SELECT person_id FROM approvals WHERE scene_id = ?) LIMIT 500",
                                         [SCENE_ID])]
    last_id, prev = conn.execute("SELECT last_id, last_hash FROM log_head").fetchone()
    start = datetime(2026, 11, 20, 7, tzinfo=timezone.utc)
    step = 10 * 3600 / scans
    inside: set[int] = set()

    def rows():
        nonlocal prev
        state = "open"
        for i in range(scans):
            row = {name: None for name in log.FIELDS}
            row.update(id=last_id + i + 1, kiosk="bench", scene_id=SCENE_ID, zone="set",
                       at=(start + timedelta(seconds=i * step)).isoformat(timespec="microseconds"))
            if i % 2000 == 1999:
                new = "rolling" if state == "open" else "open"
                row.update(kind="state", zone=None, detail=json.dumps({"from": state, "to": new}))
                state = new
            elif rng.random() < 0.05:
                person = rng.choice(others)
                row.update(kind="scan", scan_id=f"r{i}", person_id=person, badge_id=person, decision="deny",
                           reason="not_approved", raw="X")
            else:
                person = rng.choice(approved)
                leaving = person in inside
                (inside.discard if leaving else inside.add)(person)
                row.update(kind="scan", scan_id=f"r{i}", person_id=person, badge_id=person,
                           decision="exit" if leaving else "admit", reason="exit" if leaving else "approved",
                           raw="X")
            row["prev_hash"] = prev
            row["hash"] = prev = log.row_hash(row, prev)
            yield tuple(row.values())

    columns = (*log.FIELDS, "prev_hash", "hash")
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(f"INSERT INTO log ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows())
    conn.execute("UPDATE log_head SET last_id = ?, last_hash = ?", [last_id + scans, prev])
    conn.execute("COMMIT")
    conn.close()


def measure_one(what: str, path: Path, out: Path) -> dict:
    """Run in a child process: one export, timed, with this process's peak RSS."""
    started = time.perf_counter()
    extra = {}
    if what == "floor":
        conn = sqlite3.connect(path)
        cursor = conn.execute("""SELECT l.id, l.at, l.kind, l.zone, l.decision, l.reason, p.ref, p.name
                                 FROM log l LEFT JOIN people p ON p.id = l.person_id
                                 WHERE l.scene_id = ? ORDER BY l.id""", [SCENE_ID])
        with out.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(cursor)
    else:
        from kiosk.reports import render
        from kiosk.services.reports import scene_report
        from kiosk.store import connect

        report = scene_report(connect(path), SCENE, timezone.utc)
        extra["gather_s"] = time.perf_counter() - started
        render(report, out, what)
        extra["events"] = len(report.scenes[0].events)
    seconds = time.perf_counter() - started
    if what == "pdf":
        from pypdf import PdfReader

        extra["pages"] = len(PdfReader(out).pages)
    return {"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            / 1024, "size_mb": out.stat().st_size / 1e6, **extra}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--one", nargs=3, metavar=("WHAT", "DB", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one[0], Path(args.one[1]), Path(args.one[2]))))
        return
    scans = 10_000 if args.small else 100_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        started = time.perf_counter()
        build(path, people=5_000, scenes=60, scans=0)
        add_scene_history(path, scans)
        built = time.perf_counter() - started
        results = {}
        for what in ("floor", *FORMATS):
            done = subprocess.run([sys.executable, __file__, "--one", what, str(path), f"{folder}/out.{what}"],
                                  capture_output=True, text=True, check=True)
            results[what] = json.loads(done.stdout)
    floor = results["floor"]
    print(f"Scene of {scans:,} logged scans (built in {built:.0f} s); {results['csv']['events']:,} door events.\n")
    print("| export | seconds | of which gathering | vs floor | peak RSS (MB) | file (MB) | pages |")
    print("|---|---|---|---|---|---|---|")
    print(f"| floor: raw sqlite3 + csv.writer | {floor['seconds']:.2f} | | 1.0x | {floor['rss_mb']:.0f} | "
          f"{floor['size_mb']:.1f} | |")
    for what in FORMATS:
        result = results[what]
        print(f"| {what.upper()} | {result['seconds']:.2f} | {result['gather_s']:.2f} | "
              f"{result['seconds'] / floor['seconds']:.1f}x | {result['rss_mb']:.0f} | {result['size_mb']:.1f} | "
              f"{result.get('pages', '')} |")


if __name__ == "__main__":
    main()
