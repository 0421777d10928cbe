"""Badge issue speed: `stage` + `commit` (a PNG per person and the PDF sheet) beside plain `qrcode.make().save()`.

    .venv/bin/python benchmarks/bench_badges.py               # 500 badges, 7 rounds
    .venv/bin/python benchmarks/bench_badges.py --badges 100 --rounds 3

Both contenders get the same codes in every round and take turns going first, so they share the machine's
noise; CPU time (this process's own) is the steadier figure on a shared machine, wall time is shown too.
Every kiosk round starts with cold caches, as a fresh `kiosk badge issue` would.  The floor is the least a
badge can cost: qrcode's own image of the code, saved as PNG.  The kiosk draws the whole card (production,
name, department, role, QR, code as text) at 300 dpi and also lays every card out on the printable sheet.
Recording the issue (the database write) is left out: bench_scan measures the write path.
Prints a Markdown table: median seconds for the batch and per badge, and the ratio (target: within 2x).
"""

from __future__ import annotations

import argparse
import csv
import functools
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qrcode

from kiosk import DATA, fonts
from kiosk.badges import card, layout, stage
from kiosk.core import codes
from kiosk.core.badge import BadgeCard


def crew(count: int) -> list[BadgeCard]:
    """``count`` badges from the demo crew's names, departments and roles (repeated), each with a fresh code."""
    with (DATA / "demo-crew.csv").open(encoding="utf-8") as file:
        people = list(csv.DictReader(file))
    return [BadgeCard("Night Garden", f"B{index:05d}", person["name"], person["department"], person["role"],
                      codes.new_code())
            for index, person in ((index, people[index % len(people)]) for index in range(count))]


def timed(work) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) that ``work()`` took."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def floor(cards: list[BadgeCard], folder: Path) -> None:
    for badge in cards:
        qrcode.make(badge.code).save(folder / f"{badge.ref}.png")


def cold_start() -> None:
    """Forget the fonts, fitted texts and glyphs an earlier round cached, as a fresh `kiosk` process would."""
    for cached in (fonts._charset, fonts.system_fallbacks, layout.font, layout.fit, card._heading, card._stamp):
        cached.cache_clear()


def kiosk(cards: list[BadgeCard], folder: Path, paper: str) -> None:
    """What an issue draws: ``stage`` (every PNG and the sheet, beside their targets), then ``commit`` (moved into
    place); recording the issue in between is the database's part, left out here."""
    stage(cards, folder / "badges", folder / "sheet.pdf", paper).commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--badges", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--paper", choices=("a4", "letter"), default="a4")
    args = parser.parse_args()
    cards = crew(args.badges)
    floors, kiosks = [], []
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as root:
        for round_ in range(args.rounds):
            folder = Path(root, str(round_))
            folder.mkdir()
            cold_start()
            contenders = [(floors, functools.partial(floor, cards, folder)),
                          (kiosks, functools.partial(kiosk, cards, folder, args.paper))]
            for results, work in contenders[::-1] if round_ % 2 else contenders:  # take turns going first
                results.append(timed(work))
        sheet_kb = Path(root, "0", "sheet.pdf").stat().st_size / 1024
    print(f"\n{args.badges} badges, {args.rounds} rounds, {args.paper} sheet ({sheet_kb:.0f} KB); "
          f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n")
    print("| measure | kiosk `stage` + `commit` (PNGs + sheet) | floor `qrcode.make().save()` | ratio | target |")
    print("|---|---|---|---|---|")
    for label, index in (("CPU time", 1), ("wall time", 0)):
        kiosk_s = statistics.median(result[index] for result in kiosks)
        floor_s = statistics.median(result[index] for result in floors)
        ratios = sorted(k[index] / f[index] for k, f in zip(kiosks, floors))
        print(f"| {label}, median batch (s) | {kiosk_s:.2f} | {floor_s:.2f} | {kiosk_s / floor_s:.2f}x "
              f"(rounds {ratios[0]:.2f}-{ratios[-1]:.2f}x) | within 2x |")
        print(f"| {label} per badge (ms) | {kiosk_s * 1000 / args.badges:.2f} | "
              f"{floor_s * 1000 / args.badges:.2f} | | |")


if __name__ == "__main__":
    main()
