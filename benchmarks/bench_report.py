"""Report speed and memory: one scene with 100,000 logged scans, per format, beside a floor in the same run.

    .venv/bin/python benchmarks/bench_report.py            # 100,000 scans in one scene
    .venv/bin/python benchmarks/bench_report.py --small    # a quick look (10,000)

The scene's history is real events (``bigprod.add_day``: admits, exits, refusals and rolling periods over a
ten-hour day).  The floor is the least an export of those rows can cost: the raw sqlite3 query of the scene's
events joined to the people, written with csv.writer.  Each measure runs in a fresh process, so its peak RSS is its
own.  Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bigprod import add_day, build

SCENE = "S0001"  # an open scene of the built production
FORMATS = ("pdf", "csv", "json")


def measure_one(what: str, path: Path, out: Path) -> dict:
    """Run in a child process: one export, timed, with this process's peak RSS."""
    started = time.perf_counter()
    extra = {}
    if what == "floor":
        conn = sqlite3.connect(path)
        cursor = conn.execute("""SELECT e.id, e.at, e.type, e.zone, e.decision, e.reason, p.ref, p.name
                                 FROM events e LEFT JOIN people p ON p.ref = e.person
                                 WHERE e.scene = ? ORDER BY e.id""", [SCENE])
        with out.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(cursor)
    else:
        from kiosk.reports import render
        from kiosk.services.reports import scene_report
        from kiosk.store import connect

        report = scene_report(connect(path), SCENE, UTC)
        extra["gather_s"] = time.perf_counter() - started
        render(report, out, what)
        extra["events"] = len(report.scenes[0].events)
        extra["audit"] = report.audit.words
    seconds = time.perf_counter() - started
    if what == "pdf":
        from pypdf import PdfReader

        extra["pages"] = len(PdfReader(out).pages)
    return {"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            / 1024, "size_mb": out.stat().st_size / 1e6, **extra}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="10,000 door events")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # tests/test_benchmarks.py
    parser.add_argument("--one", nargs=3, metavar=("WHAT", "DB", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one[0], Path(args.one[1]), Path(args.one[2]))))
        return
    scans, people = (500, 200) if args.tiny else (10_000 if args.small else 100_000, 5_000)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        started = time.perf_counter()
        build(path, people=people, scenes=60, scans=0)
        add_day(path, SCENE, scans)
        built = time.perf_counter() - started
        results = {}
        for what in ("floor", *FORMATS):
            done = subprocess.run([sys.executable, __file__, "--one", what, str(path), f"{folder}/out.{what}"],
                                  capture_output=True, text=True, check=True)
            results[what] = json.loads(done.stdout)
    floor = results["floor"]
    print(f"Scene of {scans:,} logged door events (built in {built:.0f} s); {results['csv']['events']:,} in the "
          f"report; audit: {results['csv']['audit']}.\n")
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
