"""The door with photos on and off, in a real terminal (tmux), in the same run: does the photo slow the answer?

    .venv/bin/python benchmarks/bench_photo.py           # 10,000 people, 100 scenes, 100,000 logged scans
    .venv/bin/python benchmarks/bench_photo.py --full    # 100,000 / 1,000 / 1,000,000, as bench_tui.py

Two doors on copies of the same production, started as ``kiosk run`` starts one (``tests/photo_door.py``): one where
nobody has a photo (as on main), one where everyone scanned has a grainy 480 x 640 JPEG, read from a folder
while photo storage is not on this branch.  Scan to verdict: tmux sends the code and Enter as a scanner
would, until the answer with the person's name is painted; with photos on, also until the photo (half blocks)
is painted beside it.  Scans are interleaved between the two doors, so the ratio holds on a busy machine.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from benchmarks import compile_kiosk  # noqa: E402
from benchmarks.bigprod import build  # noqa: E402
from kiosk.services import access  # noqa: E402
from kiosk.store import connect  # noqa: E402
from tests.tmux import Terminal  # noqa: E402

READY = "OPEN - closed set in force"
SCENE = "S0001"
HALF_BLOCK = "▀"
PAUSE = 0.5  # seconds between scans (see BENCHMARKS.md: sent at once after a photo, a loaded machine split bursts)


def photo(seed: int) -> bytes:
    """A 480 x 640 portrait JPEG with some grain, like a real photo (stored ones are at most about 50 KB)."""
    rng = random.Random(seed)
    picture = Image.effect_noise((480, 640), 40).convert("RGB")
    tint = Image.new("RGB", (480, 640), (rng.randrange(120, 230), rng.randrange(100, 200), rng.randrange(80, 180)))
    picture = Image.blend(picture, tint, 0.75).filter(ImageFilter.GaussianBlur(1.2))
    draw = ImageDraw.Draw(picture)
    draw.ellipse((120, 96, 360, 384), fill=(rng.randrange(40, 120), rng.randrange(30, 90), 30))
    draw.rectangle((48, 460, 432, 640), fill=(25, 25, rng.randrange(60, 160)))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=80)
    return out.getvalue()


def door(database: Path, folder: Path | None) -> Terminal:
    command = [sys.executable, "-m", "tests.photo_door", str(database), SCENE, *([str(folder)] if folder else [])]
    terminal = Terminal(command, {"PYTHONPATH": str(ROOT)})
    terminal.wait_for(READY, timeout=60)
    return terminal


def timed_scan(terminal: Terminal, code: str, answer: str, with_photo: bool) -> tuple[float, float | None]:
    """Seconds to the answer painted, and (with photos on) to the photo painted beside it."""
    time.sleep(PAUSE)  # the next person steps up: the last answer and photo are painted and settled
    started = time.perf_counter()
    terminal.send(code, "Enter")
    terminal.wait_for(answer)
    verdict = time.perf_counter() - started
    if not with_photo:
        return verdict, None
    terminal.wait_for(HALF_BLOCK)
    return verdict, time.perf_counter() - started


def run(database: Path, scale: tuple[int, int, int], scans: int) -> None:
    built = build(database, *scale)
    compile_kiosk()
    db = connect(database)
    access.set_pin(db, "123456", "bench")  # else the door opens on "set the supervisor PIN"
    db.close()
    ref_of = {code: ref for ref, code in built["codes"].items()}
    codes = built["open_scenes"][SCENE]
    folder = database.parent / "photos"
    folder.mkdir(mode=0o700)
    pictures = [photo(seed) for seed in range(12)]
    for index, code in enumerate(codes):
        path = folder / f"{ref_of[code]}.jpg"
        path.write_bytes(pictures[index % len(pictures)])
        os.chmod(path, 0o600)

    twin = database.with_name("twin.db")  # the same production for the other door: both answer alike
    shutil.copyfile(database, twin)
    off, on = door(twin, None), door(database, folder)
    times: dict[str, list[float]] = {"off": [], "on": [], "photo": []}
    try:
        for i in range(scans):
            code = codes[i % len(codes)]
            answer = f"{'ADMIT' if (i // len(codes)) % 2 == 0 else 'EXIT'}  Person {ref_of[code]} - "
            for name, terminal in ((("off", off), ("on", on)) if i % 2 else (("on", on), ("off", off))):
                try:
                    verdict, shown = timed_scan(terminal, code, answer, with_photo=name == "on")
                except AssertionError as error:
                    raise AssertionError(f"scan {i + 1} at the door with photos {name}: {error}") from None
                times[name].append(verdict)
                if shown is not None:
                    times["photo"].append(shown)
    finally:
        off.close()
        on.close()

    ms = 1000

    def median(values: list[float]) -> str:
        return f"{statistics.median(values) * ms:.0f}"

    def p90(values: list[float]) -> str:
        return f"{sorted(values)[int(.9 * len(values))] * ms:.0f}"

    print(f"\nProduction: {scale[0]:,} people, {scale[1]:,} scenes, {scale[2]:,} logged scans "
          f"(built in {built['seconds']:.1f} s). {scans} scans at each door, interleaved, in tmux 100x30, "
          f"photos {min(map(len, pictures)) / 1024:.0f}-{max(map(len, pictures)) / 1024:.0f} KB JPEG, in half blocks; "
          f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n")
    print("| measure | photos on | photos off (floor) | ratio | target |")
    print("|---|---|---|---|---|")
    print(f"| scan to verdict on screen, median (ms) | {median(times['on'])} | {median(times['off'])} | "
          f"{statistics.median(times['on']) / statistics.median(times['off']):.2f}x | within 1.3x |")
    print(f"| scan to verdict, 90th percentile (ms) | {p90(times['on'])} | {p90(times['off'])} | | |")
    print(f"| scan to photo beside it, median (ms) | {median(times['photo'])} | | | |")
    print(f"| scan to photo, 90th percentile (ms) | {p90(times['photo'])} | | | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="100,000 people, 1,000 scenes, 1,000,000 scans")
    parser.add_argument("--scans", type=int, default=100, help="timed scans per door (default 100)")
    args = parser.parse_args()
    scale = (100_000, 1_000, 1_000_000) if args.full else (10_000, 100, 100_000)
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as folder:
        run(Path(folder) / "bench.db", scale, args.scans)


if __name__ == "__main__":
    main()
