"""The door's photo in a real terminal (tmux): half blocks in colour beside the answer, which stays readable at
80x24 and 120x40; gone at the next answer of someone without one.

The door runs as ``kiosk run`` does (``tests/photo_door.py``), with the photos read from a folder: photo
storage is not on this branch.
"""

from __future__ import annotations

import re
import shutil
import sys
import time
from pathlib import Path

import pytest

from tests.photo_door import portrait_jpeg
from tests.support import SIZES
from tests.tmux import Terminal

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")]

ROOT = Path(__file__).resolve().parent.parent
COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def door_with_photos(env: dict[str, str], folder: Path, size: tuple[int, int]) -> Terminal:
    return Terminal([sys.executable, "-m", "tests.photo_door", env["KIOSK_DB"], "42", str(folder)],
                    {**env, "PYTHONPATH": str(ROOT)}, size=size)


@pytest.mark.parametrize("size", SIZES)
def test_the_photo_shows_in_half_blocks_beside_the_answer(production, tmp_path, size):
    env, codes = production
    folder = tmp_path / "photos"
    folder.mkdir(mode=0o700)
    (folder / "P01.jpg").write_bytes(portrait_jpeg())
    terminal = door_with_photos(env, folder, size)
    try:
        terminal.wait_for("READY - scan a badge")
        terminal.send(codes["P01"], "Enter")
        terminal.wait_for("▀")
        time.sleep(0.5)  # the whole frame painted, not the first rows of it
        shown = terminal.screen()
        lines = shown.splitlines()
        answer = next(index for index, line in enumerate(lines) if "✔ ADMIT" in line)
        assert "Ines Duarte - Camera, Director of photography" in lines[answer]  # not cut by the photo
        assert "Approved for set - scene 42" in lines[answer + 1]
        photo_rows = [line for line in lines if "▀" in line]
        assert len(photo_rows) >= (7 if size[1] < 32 else 9)  # as high as the answer panel
        for row in photo_rows:
            blocks = row.rstrip()
            assert blocks.endswith("▀" * 10) and len(blocks) <= size[0]  # at the right, beside the answer
            assert blocks.index("▀") > size[0] - 20
        coloured = terminal._tmux("capture-pane", "-p", "-e", "-t", "kiosk")
        rows = [line for line in coloured.splitlines() if "▀" in line]
        assert len({code for row in rows for code in COLOUR.findall(row)}) > 6  # a picture, in colour
        terminal.send(codes["R01"], "Enter")  # Hannah Cole: no photo
        gone = terminal.wait_until_gone("▀")
        assert "Not on the approved list for scene 42" in gone
    finally:
        terminal.close()


def test_outside_tmux_the_terminal_is_asked_and_half_blocks_are_the_fallback(tmp_path):
    """textual-image asks the terminal (Sixel? Kitty graphics?) before the app starts; tmux without Sixel
    says neither, so the photo is drawn in half blocks, and asking did not hang or fail."""
    probe = ("import time; from kiosk.tui import photo; started = time.monotonic(); kind = photo.choose(); "
             "print('GRAPHICS', kind, round(time.monotonic() - started, 2), flush=True); time.sleep(30)")
    terminal = Terminal(["env", "-u", "TMUX", sys.executable, "-c", probe], {"PYTHONPATH": str(ROOT)})
    try:
        shown = terminal.wait_for("GRAPHICS")
        kind, seconds = re.search(r"GRAPHICS (\w+) ([\d.]+)", shown).groups()
        assert kind == "halfblocks" and float(seconds) < 5
    finally:
        terminal.close()
