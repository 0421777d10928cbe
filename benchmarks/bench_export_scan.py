"""Scan to verdict at the door while a large report is exported as PDF, beside scan to verdict idle, same run.

    .venv/bin/python benchmarks/bench_export_scan.py            # a scene of 100,000 logged door events
    .venv/bin/python benchmarks/bench_export_scan.py --small    # a quick look (10,000)

The real kiosk app (``KioskApp``, headless through Textual's ``run_test``) guards scene S0002; the report is of
scene S0001, whose day of door events is real chained events (``bigprod.add_day``).  Everything goes through the
services as the screens call them (``Services.run``, ``read``, ``draw``): the report is gathered on the reading
thread (its own read-only connection, one read transaction), as the reports screen does when a scene is chosen,
and the PDF drawn in the render process, as the export form does.

Scan to verdict: from ``app.scan(code)`` (what a scanner's burst ends in) to the app's answer set to that scan's
verdict, stored on disk (the door screen paints it from that answer).  Scans come one every ``--gap`` seconds
(a busy door); the idle ones and those during exports take turns, round by round:

- idle: nothing else running;
- during the PDF export: while ``services.draw(render, report, ..., "pdf")`` runs (target: within 1.5x idle);
- while the report is gathered: while ``services.read(scene_report, ...)`` runs on the reading thread
  (target: within 1.5x idle, as for the export);
- ``--database-thread`` adds the old way for comparison, in the same run: the report gathered with
  ``services.db`` on the database thread, where every scan waits behind it.

Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bigprod import add_day, build
from kiosk.reports import render
from kiosk.services import access, reports
from kiosk.services.door import Verdict
from kiosk.store import connect
from kiosk.tui.app import KioskApp

REPORTED, GUARDED = "S0001", "S0002"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Door:
    """Scans into the running app, each timed until its verdict is the app's answer."""

    def __init__(self, app: KioskApp, codes: list[str]) -> None:
        self.app, self.codes, self.turn = app, codes, 0
        self.answered = asyncio.Event()
        app.watch(app, "answer", self._answered, init=False)

    def _answered(self, answer: object) -> None:
        self.answered.set()

    async def scan(self) -> float:
        code = self.codes[self.turn % len(self.codes)]
        self.turn += 1
        self.answered.clear()
        started = time.perf_counter()
        self.app.scan(code)
        await asyncio.wait_for(self.answered.wait(), timeout=120)
        spent = time.perf_counter() - started
        assert isinstance(self.app.answer, Verdict), self.app.answer
        return spent

    async def scans_while(self, busy: asyncio.Future | None, count: int, gap: float) -> list[float]:
        """``count`` scans (idle: ``busy`` None), or as many as come while ``busy`` runs, one every ``gap`` s."""
        timings: list[float] = []
        while (busy is None and len(timings) < count) or (busy is not None and not busy.done()):
            timings.append(await self.scan())
            await asyncio.sleep(gap)
        return timings


async def bench(path: Path, codes: list[str], rounds: int, gap: float, idle_scans: int, old_way: bool) -> dict:
    db = connect(path)
    app = KioskApp(db, "bench", GUARDED)
    results: dict[str, list[float]] = {"idle": [], "export": [], "gather": [], "gather_db": []}
    exports: list[float] = []
    gathers: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        door = Door(app, codes)
        loop = asyncio.get_running_loop()
        out = path.parent / "report.pdf"

        def task(call, *args, **kwargs) -> asyncio.Future:
            """Run ``call(*args, **kwargs)`` as the screens do (inside ``Services.run``); a future done when it is."""
            done = loop.create_future()

            async def wrapped() -> None:
                try:
                    done.set_result(await call(*args, **kwargs))
                except BaseException as error:
                    done.set_exception(error)
                    raise

            app.services.run(app, wrapped, group="bench")
            return done

        report = None
        for _ in range(rounds):
            results["idle"] += await door.scans_while(None, idle_scans, gap)
            if old_way:
                gathering = task(app.services.db, reports.scene_report, REPORTED, UTC)
                results["gather_db"] += await door.scans_while(gathering, 0, gap)
                await gathering
                results["idle"] += await door.scans_while(None, idle_scans, gap)
            started = time.perf_counter()
            gathering = task(app.services.read, reports.scene_report, REPORTED, UTC)
            results["gather"] += await door.scans_while(gathering, 0, gap)
            report = await gathering
            gathers.append(time.perf_counter() - started)
            started = time.perf_counter()
            exporting = task(app.services.draw, render, report, out, "pdf", paper="a4")
            results["export"] += await door.scans_while(exporting, 0, gap)
            await exporting
            exports.append(time.perf_counter() - started)
        results["idle"] += await door.scans_while(None, idle_scans, gap)
    db.close()
    assert report is not None
    return {"results": results, "exports": exports, "gathers": gathers, "events": len(report.scenes[0].events),
            "pdf_mb": out.stat().st_size / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="10,000 door events in the reported scene")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # tests/test_benchmarks.py
    parser.add_argument("--rounds", type=int, default=3, help="idle scans then an export, this many times")
    parser.add_argument("--gap", type=float, default=0.05, help="seconds between scans (default 0.05)")
    parser.add_argument("--database-thread", action="store_true",
                        help="also gather on the database thread (the old way), for comparison")
    args = parser.parse_args()
    scans = 500 if args.tiny else 10_000 if args.small else 100_000
    people = 200 if args.tiny else 5_000
    rounds, idle_scans = (1, 5) if args.tiny else (args.rounds, 40)
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as folder:
        path = Path(folder) / "bench.db"
        started = time.perf_counter()
        built = build(path, people=people, scenes=60, scans=0)
        add_day(path, REPORTED, scans)
        db = connect(path)
        access.set_pin(db, "123456", "bench")
        db.close()
        seconds = time.perf_counter() - started
        found = asyncio.run(bench(path, built["open_scenes"][GUARDED], rounds, args.gap, idle_scans,
                                 args.database_thread))
    results, ms = found["results"], 1000
    idle = statistics.median(results["idle"])
    print(f"\nScene {REPORTED}: {scans:,} logged door events, {found['events']:,} in its report (built in "
          f"{seconds:.0f} s); PDF {found['pdf_mb']:.1f} MB, drawn in {statistics.median(found['exports']):.1f} s "
          f"(median of {rounds}), gathered in {statistics.median(found['gathers']):.1f} s. The door guards "
          f"{GUARDED}; a scan every {args.gap * ms:.0f} ms.\n")
    print("| scan to verdict | scans | median (ms) | p90 (ms) | max (ms) | vs idle (median) | target |")
    print("|---|---|---|---|---|---|---|")
    for name, words, target in (("idle", "idle (the floor)", ""),
                                ("export", "during the PDF export (render process)", "within 1.5x"),
                                ("gather", "while the report is gathered (reading thread)", "within 1.5x"),
                                ("gather_db", "while gathered on the database thread (the old way)", "")):
        if name == "gather_db" and not args.database_thread:
            continue
        found_here = results[name]
        if not found_here:
            print(f"| {words} | 0 | | | | | {target} |")
            continue
        print(f"| {words} | {len(found_here)} | {statistics.median(found_here) * ms:.1f} | "
              f"{percentile(found_here, .9) * ms:.1f} | {max(found_here) * ms:.1f} | "
              f"{statistics.median(found_here) / idle:.2f}x | {target} |")


if __name__ == "__main__":
    main()
