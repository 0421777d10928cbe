"""`kiosk audit verify` (the chain, then every table against a rebuild from the log) beside the chain-only walk
and a raw floor, in the same run, at two sizes.

    .venv/bin/python benchmarks/bench_audit.py            # 10,000 people / 100,000 scans, then 100,000 / 1,000,000
    .venv/bin/python benchmarks/bench_audit.py --small    # the smaller production only

Each production is built as the kiosk makes it (``benchmarks.bigprod``: people, badges, scenes, approvals and
scans, all real chained events, the tables projected).  Each measure runs in a process of its own, so its peak
memory is its own; the contenders take turns going first, round by round.

- floor: raw ``sqlite3``, every event's payload read in order and hashed with SHA-256 (the least any check of a
  hash-chained log can cost);
- chain only: ``store.audit.verify`` (every event's hash, envelope, device chain and local chain);
- `audit verify`: ``services.audit.check``, what the command runs (the chain, then every table against a
  rebuild in memory);
- whole process: the `kiosk audit verify` command itself, start-up included.

Prints a Markdown table per size: median seconds, events a second, peak RSS, ratios to the chain-only walk and
to the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import compile_kiosk
from benchmarks.bigprod import build_apart

ROOT = Path(__file__).resolve().parent.parent
MEASURES = ("floor", "chain", "full", "process")
WORDS = {"floor": "floor: raw sqlite3 read + SHA-256 of every event", "chain": "chain only (`store.audit.verify`)",
         "full": "`audit verify`: chain + tables against a rebuild", "process": "whole `kiosk audit verify` command"}


def measure_one(what: str, path: Path) -> dict:
    """In a child process: one measure, timed, with this process's peak RSS."""
    import hashlib
    import sqlite3

    from kiosk.services import audit as service
    from kiosk.store import audit, connect

    started = time.perf_counter()  # after the imports: the process measure has its start-up, these do not
    extra: dict = {}
    if what == "floor":
        conn = sqlite3.connect(path)
        count = 0
        for (payload,) in conn.execute("SELECT payload FROM events ORDER BY id"):
            hashlib.sha256(payload.encode()).hexdigest()
            count += 1
        extra["events"] = count
    elif what == "process":
        done = subprocess.run([str(Path(sys.executable).with_name("kiosk")), "audit", "verify"],
                              env={**os.environ, "KIOSK_DB": str(path), "KIOSK_ID": "bench"},
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        extra["words"] = done.stdout.strip()
    else:
        db = connect(path)
        if what == "chain":
            result = audit.verify(db)
            assert result.ok, result.problem
        else:
            made = service.check(db)
            assert made.ok, (made.log.problem, made.differences[:3])
            result = made.log
        extra["events"] = result.rows
        db.close()
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_CHILDREN if what == "process" else resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "rss_mb": rss / 1024, **extra}


def measure(what: str, path: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--one", what, str(path)], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    return json.loads(done.stdout)


def run(path: Path, scale: tuple[int, int, int], rounds: int, keep: bool) -> None:
    built = build_apart(path, *scale, keep=keep)
    compile_kiosk()
    results: dict[str, list[dict]] = {what: [] for what in MEASURES}
    for round_ in range(rounds):
        for what in MEASURES[::-1] if round_ % 2 else MEASURES:  # take turns going first
            results[what].append(measure(what, path))
    events = results["chain"][0]["events"]
    assert results["floor"][0]["events"] == events == results["full"][0]["events"]
    median = {what: statistics.median(result["seconds"] for result in found) for what, found in results.items()}
    print(f"\nProduction: {scale[0]:,} people, {scale[1]:,} scenes, {scale[2]:,} logged scans: {events:,} events "
          f"(built in {built['seconds']:.0f} s); {rounds} round(s), each measure in its own process.\n")
    print("| measure | median (s) | events/s | peak RSS (MB) | vs chain only | vs floor |")
    print("|---|---|---|---|---|---|")
    for what in MEASURES:
        rss = max(result["rss_mb"] for result in results[what])
        print(f"| {WORDS[what]} | {median[what]:.2f} | {events / median[what]:,.0f} | {rss:.0f} | "
              f"{median[what] / median['chain']:.2f}x | {median[what] / median['floor']:.2f}x |")
    print(f"\n`kiosk audit verify` said: {results['process'][0]['words']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="the smaller production only")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # tests/test_benchmarks.py
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every measure (default 3)")
    parser.add_argument("--db", type=Path, help="folder to build in (default: a temp folder); productions built "
                        "there before at the same sizes are reused")
    parser.add_argument("--one", nargs=2, metavar=("WHAT", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one[0], Path(args.one[1]))))
        return
    sizes = [(200, 4, 1_000)] if args.tiny else [(10_000, 100, 100_000)] + ([] if args.small else
                                                                              [(100_000, 1_000, 1_000_000)])
    rounds = 1 if args.tiny else args.rounds
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as folder:
        for scale in sizes:
            where = args.db or Path(folder)
            where.mkdir(mode=0o700, parents=True, exist_ok=True)
            run(where / f"audit-{scale[0]}-{scale[2]}.db", scale, rounds, keep=bool(args.db))


if __name__ == "__main__":
    main()
