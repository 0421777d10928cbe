"""The door screen in a real terminal (tmux), beside a bare Textual app with one Input, in the same run.

    .venv/bin/python benchmarks/bench_tui.py            # 100,000 people, 1,000 scenes, 1,000,000 scans
    .venv/bin/python benchmarks/bench_tui.py --small    # a quick look (10,000 / 100 / 100,000)

Scan to verdict: from tmux sending a badge code and Enter (as a scanner types) to the verdict painted on the
pane, read back with capture-pane; the floor is the bare app echoing the same code.  Start-up: from starting
the command to the ready screen (for the kiosk, the banner filled in from the database).  Both contenders are
driven and read the same way, interleaved, so the ratio holds on a busy machine.  Both run as installed, with
their bytecode compiled (``benchmarks.compile_kiosk``).  Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import compile_kiosk  # noqa: E402
from benchmarks.bigprod import build_apart  # noqa: E402
from kiosk.core.codes import digest  # noqa: E402
from kiosk.services import access  # noqa: E402
from kiosk.store import connect  # noqa: E402
from kiosk.store.queries import one  # noqa: E402
from tests.tmux import Terminal  # noqa: E402

KIOSK = str(Path(sys.executable).with_name("kiosk"))
KIOSK_READY = "OPEN - closed set in force"  # the banner, filled from the database: the door is ready
BARE = [sys.executable, str(ROOT / "benchmarks" / "bare_input_app.py")]
SCENE = "S0001"


def timed_start(command: list[str], env: dict[str, str], ready: str) -> tuple[Terminal, float]:
    started = time.perf_counter()
    terminal = Terminal(command, env)
    terminal.wait_for(ready, timeout=60)
    return terminal, time.perf_counter() - started


def timed_scan(terminal: Terminal, code: str, shown: str) -> float:
    started = time.perf_counter()
    terminal.send(code, "Enter")
    terminal.wait_for(shown)
    return time.perf_counter() - started


def run(path: Path, scale: tuple[int, int, int], scans: int, starts: int, keep: bool = False) -> None:
    built = build_apart(path, *scale, keep=keep)
    compile_kiosk()
    db = connect(path)
    access.set_pin(db, "123456", "bench")
    names = {code: one(db, "SELECT p.name FROM badges b JOIN people p ON p.ref = b.person WHERE b.digest = ?",
                       [digest(code)])["name"] for code in built["open_scenes"][SCENE]}
    db.close()
    env = {"KIOSK_DB": str(path), "KIOSK_ID": "bench"}
    kiosk_command = [KIOSK, "run", "--scene", SCENE]

    kiosk_starts, bare_starts = [], []
    for _ in range(starts):
        for command, ready, into in ((kiosk_command, KIOSK_READY, kiosk_starts),
                                     (BARE, "READY", bare_starts)):
            terminal, seconds = timed_start(command, env, ready)
            terminal.close()
            into.append(seconds)

    kiosk, _ = timed_start(kiosk_command, env, KIOSK_READY)
    bare, _ = timed_start(BARE, env, "READY")
    codes = list(names)
    kiosk_scans, bare_scans = [], []
    try:
        for i in range(scans):
            code = codes[i % len(codes)]
            answer = "ADMIT" if (i // len(codes)) % 2 == 0 else "EXIT"  # each lap lets them in, then out
            kiosk_scans.append(timed_scan(kiosk, code, f"{answer}  {names[code]} - "))
            bare_scans.append(timed_scan(bare, code, f"GOT {code}"))
    finally:
        kiosk.close()
        bare.close()

    ms = 1000
    print(f"\nProduction: {scale[0]:,} people, {scale[1]:,} scenes, {scale[2]:,} logged scans "
          f"(built in {built['seconds']:.1f} s). {scans} scans and {starts} start-ups each, interleaved, "
          f"in tmux 100x30.\n")
    print("| measure | door kiosk | bare Textual Input | ratio | target |")
    print("|---|---|---|---|---|")
    for label, mine, floor, target in (
            ("scan to verdict on screen, median (ms)", kiosk_scans, bare_scans, "within 1.3x"),
            ("start-up to ready screen, median (ms)", kiosk_starts, bare_starts, "within 1.5x")):
        print(f"| {label} | {statistics.median(mine) * ms:.0f} | {statistics.median(floor) * ms:.0f} | "
              f"{statistics.median(mine) / statistics.median(floor):.2f}x | {target} |")
    print(f"| scan to verdict, 90th percentile (ms) | {sorted(kiosk_scans)[int(.9 * scans)] * ms:.0f} | "
          f"{sorted(bare_scans)[int(.9 * scans)] * ms:.0f} | | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="10,000 people, 100 scenes, 100,000 scans")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # tests/test_benchmarks.py
    parser.add_argument("--scans", type=int, default=100, help="timed scans per contender (default 100)")
    parser.add_argument("--starts", type=int, default=15, help="timed start-ups per contender (default 15)")
    parser.add_argument("--db", type=Path, help="where to build (default: a temp folder); a production built "
                        "there before at the same size is reused")
    args = parser.parse_args()
    scale = (200, 4, 1_000) if args.tiny else (10_000, 100, 100_000) if args.small else (100_000, 1_000, 1_000_000)
    scans, starts = (4, 1) if args.tiny else (args.scans, args.starts)
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as folder:
        run(args.db or Path(folder) / "bench.db", scale, scans, starts, keep=bool(args.db))


if __name__ == "__main__":
    main()
